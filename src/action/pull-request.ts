// One comment per service on the pull request, found again by a hidden marker and updated in place.
import * as github from '@actions/github';
import { parse } from '../plan/yaml-diff.js';
import type { HeaderMatch } from '../plan/types.js';
import type { RunOptions, RunReporter, StageResult } from '../types.js';
import { escapeMarkdown, inlineCode, codeBlock } from '../report/escape.js';
import { connectionFailure, describeCause, isErrorLike } from '../kube/api-error-shape.js';
import { fitRows } from '../report/bound.js';
import { nothingRead } from '../report/facts.js';
import { formatDestinations, routeLabel } from '../report/routing.js';
import { gatewayCurls } from './gateway-curl.js';

type Octokit = ReturnType<typeof github.getOctokit>;
type Context = typeof github.context;

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
}

/** The pull request of a `pull_request` / `pull_request_target` event; none for other events. */
export function pullRequestOf(context: Context): PullRequestRef | undefined {
  const number = context.payload.pull_request?.number;
  if (typeof number !== 'number') return undefined;
  return { ...context.repo, number };
}

export function commentMarker(namespace: string, service: string): string {
  return `<!-- istio-canary:${namespace}/${service} -->`;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A header value the match accepts: the value itself for exact and prefix, a placeholder for a regex. */
function headerValue(match: HeaderMatch): string {
  return match.kind === 'regex' ? `<a value matching ${match.value}>` : match.value;
}

/** `curl -H 'end-user: test-user' http://reviews/`: a request the header route sends to the canary. */
export function canaryCurl(
  options: Pick<RunOptions, 'host' | 'headerMatch' | 'uriPrefix' | 'method'>,
  port?: number,
): string {
  const method = options.method && options.method !== 'GET' ? ['-X', options.method] : [];
  const headers = options.headerMatch.flatMap((match) => [
    '-H',
    shellQuote(`${match.name}: ${headerValue(match)}`),
  ]);
  const path = options.uriPrefix ?? '/';
  const authority = port === undefined || port === 80 ? options.host : `${options.host}:${port}`;
  const url = shellQuote(`http://${authority}${path.startsWith('/') ? path : `/${path}`}`);
  return ['curl', ...method, ...headers, url].join(' ');
}

/** GitHub refuses a comment body over 65,536 characters (422 "Body is too long"), keeping the old comment. */
export const COMMENT_LIMIT_CHARACTERS = 65_536;

function tableRows(result: StageResult): string[] {
  const label = routeLabel(result.after);
  return result.after.map(
    (row) => `| ${escapeMarkdown(label(row))} | ${escapeMarkdown(formatDestinations(row))} |`,
  );
}

function routingTable(rows: readonly string[], omitted: number): string {
  const more =
    omitted > 0 ? [`| … ${omitted} more routes not shown (comment size limit): see the job summary | |`] : [];
  return ['| Match | Destinations |', '| --- | --- |', ...rows, ...more].join('\n');
}

/** What happened, in one sentence, when the canary no longer runs beside stable under test. */
function ending(result: StageResult): string | undefined {
  const canary = inlineCode(result.canary);
  const stable = inlineCode(result.stable);
  if (result.rolledBack)
    return `⚠️ **Rolled back**: ${escapeMarkdown(result.error?.message ?? 'the run failed')} The routing is as it was before the run.`;
  if (result.error) return `❌ **Failed**: ${escapeMarkdown(result.error.message)}`;
  if (result.stage === 'rollback')
    return `↩️ **Rolled back**: all traffic is on ${stable}; ${canary} gets none.`;
  if (result.stage === 'finalize')
    return `🏁 **Finalized**: ${canary} serves all traffic; the ${stable} subset is gone.`;
  if (result.stage === 'promote') return `🚀 **Promoted**: ${canary} serves all traffic.`;
  return undefined;
}

/**
 * Whether the VirtualService as written serves only gateways (its own `gateways`, without `mesh`): the
 * `gateways` input applies to a VirtualService this creates, never to an existing one, so it says nothing.
 */
function boundToGatewaysOnly(result: StageResult): boolean {
  let gateways: unknown;
  try {
    gateways = (parse(result.virtualServiceYaml) as { spec?: { gateways?: unknown } } | null)?.spec?.gateways;
  } catch {
    return false;
  }
  return Array.isArray(gateways) && gateways.length > 0 && !gateways.includes('mesh');
}

function howToReach(result: StageResult, options: RunOptions): string | undefined {
  if (result.rolledBack || result.stage === 'rollback' || result.stage === 'finalize') return undefined;
  if (result.weight === undefined) return undefined;
  const share =
    result.weight > 0
      ? `${result.weight}% of all other requests go to ${inlineCode(result.canary)}.`
      : undefined;
  if (options.headerMatch.length === 0) return share;
  const where = boundToGatewaysOnly(result) ? 'through the gateway' : 'from inside the mesh';
  const throughGateways = gatewayCurls(result, options).map(
    ({ resource, host, path }) =>
      `Through the gateway (${escapeMarkdown(resource)}):\n\n${codeBlock(canaryCurl({ ...options, host, uriPrefix: path }), 'sh')}`,
  );
  const reach = [
    `Reach ${inlineCode(result.canary)} ${where}:\n\n${codeBlock(canaryCurl(options, result.servicePort), 'sh')}`,
    ...throughGateways,
  ].join('\n\n');
  return share ? `${reach}\n\n${share}` : reach;
}

/** The comment, at most COMMENT_LIMIT_CHARACTERS long: the routing table is cut to the rows that fit. */
export function renderComment(
  result: StageResult,
  options: RunOptions,
  limit = COMMENT_LIMIT_CHARACTERS,
): string {
  const title = `### istio-canary: ${escapeMarkdown(result.service)} (${escapeMarkdown(result.namespace)})`;
  const share =
    result.weight === undefined ? 'weight unknown (the routing could not be read)' : `at ${result.weight}%`;
  const state = `Stage ${inlineCode(result.stage)}${result.dryRun ? ' (dry run: nothing changed)' : ''}: ${inlineCode(
    result.stable,
  )} stable, ${inlineCode(result.canary)} canary ${share}.`;
  const run = options.runUrl ? `[Run](${options.runUrl})` : undefined;
  const compose = (table: string | undefined) =>
    [
      commentMarker(result.namespace, result.service),
      title,
      ending(result),
      state,
      table,
      howToReach(result, options),
      run,
    ]
      .filter((part) => part !== undefined)
      .join('\n\n');
  if (nothingRead(result)) return compose(undefined);
  // UTF-16 length ≥ characters: a body within it is within GitHub's count too.
  return fitRows(
    tableRows(result),
    (shown, omitted) => compose(routingTable(shown, omitted)),
    (text) => text.length <= limit,
  );
}

/** Creates the comment the first time, then edits the one carrying the marker. */
export async function upsertComment(
  octokit: Octokit,
  pullRequest: PullRequestRef,
  marker: string,
  body: string,
): Promise<'created' | 'updated'> {
  const { owner, repo, number: issue_number } = pullRequest;
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  for await (const page of pages) {
    const ours = page.data.find((comment) => comment.body?.includes(marker));
    if (ours) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: ours.id, body });
      return 'updated';
    }
  }
  await octokit.rest.issues.createComment({ owner, repo, issue_number, body });
  return 'created';
}

export interface CommentTarget {
  token: string;
  pullRequest: PullRequestRef;
  /** GITHUB_API_URL (GitHub Enterprise Server has its own). */
  apiUrl: string;
}

/** Where to comment: needs both a token and a pull-request event; otherwise no comment and no error. */
export function commentTarget(
  token: string | undefined,
  context: Context = github.context,
): CommentTarget | undefined {
  const pullRequest = pullRequestOf(context);
  return token && pullRequest ? { token, pullRequest, apiUrl: context.apiUrl } : undefined;
}

/** A comment that cannot be written is worth a warning, never a failed release. */
export async function commentOnPullRequest(
  target: CommentTarget | undefined,
  result: StageResult,
  options: RunOptions,
  reporter: RunReporter,
): Promise<void> {
  if (!target) return;
  const { number } = target.pullRequest;
  try {
    const octokit = github.getOctokit(target.token, { baseUrl: target.apiUrl });
    const marker = commentMarker(result.namespace, result.service);
    const action = await upsertComment(octokit, target.pullRequest, marker, renderComment(result, options));
    reporter.info(`Pull request #${number}: comment ${action}.`);
  } catch (error) {
    reporter.warning(`Could not comment on pull request #${number}: ${commentFailure(error, target.apiUrl)}`);
  }
}

/** Why GitHub did not take the comment, and the remedy that fits that cause. */
export function commentFailure(error: unknown, apiUrl: string): string {
  const connection = connectionFailure(error);
  if (connection)
    return `cannot reach GitHub's API at ${apiUrl} (${describeCause(connection)}); the comment was not updated.`;
  const message = isErrorLike(error) ? (error.message.split('\n')[0] ?? '') : String(error);
  const status = (error as { status?: unknown }).status;
  const what = `${typeof status === 'number' ? `HTTP ${status} ` : ''}${message}`;
  if (status === 401) return `${what}; the token is not valid (expired or revoked): pass a current one.`;
  if (status === 403 || status === 404)
    return `${what}; give the token pull-requests: write, or leave github-token empty.`;
  return `${what}; the comment was not updated.`;
}
