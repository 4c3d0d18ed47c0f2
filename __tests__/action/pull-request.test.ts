import * as github from '@actions/github';
import { parseRunOptions } from '../../src/options/index.js';
import {
  canaryCurl,
  commentMarker,
  commentOnPullRequest,
  renderComment,
  upsertComment,
  type PullRequestRef,
} from '../../src/action/pull-request.js';
import type { RunReporter } from '../../src/types.js';
import { startGitHubApi, type GitHubApiStandIn } from '../../test/support/github-api/server.js';
import { rolledBackAfterProbe, shiftedTo50 } from '../report/results.js';

const TOKEN = 'ghs_pullrequestcommenttoken000000000';
const PR: PullRequestRef = { owner: 'acme', repo: 'bookinfo', number: 7 };

const shiftOptions = parseRunOptions({
  stage: 'shift',
  service: 'reviews',
  stable: 'v1',
  canary: 'v2',
  weight: '50',
  'header-match': 'end-user=test-user',
});

/** Keeps what the comment code reports, as the action's log would show it. */
function recordingReporter(): RunReporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(`info: ${message}`),
    warning: (message) => lines.push(`warning: ${message}`),
  };
}

describe('canaryCurl', () => {
  test('sends the header-match values to the host', () => {
    expect(canaryCurl(shiftOptions)).toBe(`curl -H 'end-user: test-user' 'http://reviews/'`);
  });

  test('adds the method, the uri prefix, every header, and quotes for the shell', () => {
    const options = parseRunOptions({
      stage: 'route',
      service: 'reviews',
      stable: 'v1',
      canary: 'v2',
      host: 'reviews.prod.svc.cluster.local',
      'header-match': "end-user=o'brien\nx-tier: prefix:beta\nx-build: regex:^pr-[0-9]+$",
      'uri-prefix': '/api',
      method: 'POST',
    });
    expect(canaryCurl(options)).toBe(
      `curl -X POST -H 'end-user: o'\\''brien' -H 'x-tier: beta' -H 'x-build: <a value matching ^pr-[0-9]+$>' ` +
        `'http://reviews.prod.svc.cluster.local/api'`,
    );
  });
});

describe('renderComment', () => {
  test('shows the marker, the current split and how to reach the canary', () => {
    const body = renderComment(shiftedTo50(), {
      ...shiftOptions,
      runUrl: 'https://github.com/acme/bookinfo/actions/runs/1',
    });
    expect(body.startsWith('<!-- istio-canary:default/reviews -->\n')).toBe(true);
    expect(body).toContain('Stage `shift`: `v1` stable, `v2` canary at 50%.');
    expect(body).toContain('| end-user=test-user | v2: 100 |\n| default | v1: 50, v2: 50 |');
    expect(body).toContain(
      "Reach `v2` from inside the mesh:\n\n```sh\ncurl -H 'end-user: test-user' 'http://reviews/'\n```",
    );
    expect(body).toContain('50% of all other requests go to `v2`.');
    expect(body).toContain('[Run](https://github.com/acme/bookinfo/actions/runs/1)');
  });

  test('gives, for each gateway-bound route moved, a curl to the gateway host and the route path', () => {
    const door = {
      namespace: 'default',
      door: 'gateway' as const,
      gateways: ['bookinfo-gateway'],
      match: 'uri prefix /reviews',
      before: [{ subset: 'v1', weight: 100 }],
      after: [
        { subset: 'v1', weight: 50 },
        { subset: 'v2', weight: 50 },
      ],
    };
    const result = shiftedTo50({
      routes: [
        {
          ...door,
          resource: 'VirtualService default/bookinfo-edge',
          object: 'bookinfo-edge',
          hosts: ['bookinfo.example.com'],
          path: '/reviews',
        },
        {
          ...door,
          resource: 'VirtualService default/bookinfo',
          object: 'bookinfo',
          hosts: ['*'],
          path: '/reviews',
        },
        {
          ...door,
          resource: 'VirtualService default/shop',
          object: 'shop',
          hosts: ['shop.example.com'],
          leftAlone: 'not in virtual-services',
        },
      ],
    });
    const body = renderComment(result, shiftOptions);
    expect(body).toContain(
      "Through the gateway (VirtualService default/bookinfo-edge):\n\n```sh\ncurl -H 'end-user: test-user' 'http://bookinfo.example.com/reviews'\n```",
    );
    expect(body).not.toContain('http://*');
    expect(body).not.toContain('shop.example.com');
  });

  test('says when a failure rolled the canary back, without the curl', () => {
    const body = renderComment(rolledBackAfterProbe(), shiftOptions);
    expect(body).toContain(
      '⚠️ **Rolled back**: probe http://reviews:9080/health failed: HTTP 503 on 3 of 3 requests; fix the canary ' +
        'or raise timeout. The routing is as it was before the run.',
    );
    expect(body).not.toContain('curl');
  });

  test('says when the canary was rolled back or finalized on purpose', () => {
    const rollback = renderComment(shiftedTo50({ stage: 'rollback', weight: 0 }), shiftOptions);
    expect(rollback).toContain('↩️ **Rolled back**: all traffic is on `v1`; `v2` gets none.');
    expect(rollback).not.toContain('curl');
    const finalize = renderComment(shiftedTo50({ stage: 'finalize', weight: 100 }), shiftOptions);
    expect(finalize).toContain('🏁 **Finalized**: `v2` serves all traffic; the `v1` subset is gone.');
  });
});

describe('the pull-request comment on the GitHub API', () => {
  let api: GitHubApiStandIn;
  beforeEach(async () => {
    api = await startGitHubApi({ token: TOKEN, maxPerPage: 2 });
  });
  afterEach(() => api.close());

  test('is created once, then found by its marker (past other comments and pages) and updated', async () => {
    for (const body of ['LGTM', 'one nit', 'fixed']) api.addComment(PR.owner, PR.repo, PR.number, body);
    const octokit = github.getOctokit(TOKEN, { baseUrl: api.url });
    const marker = commentMarker('default', 'reviews');

    expect(await upsertComment(octokit, PR, marker, `${marker}\nfirst`)).toBe('created');
    api.addComment(PR.owner, PR.repo, PR.number, 'after the bot');
    expect(await upsertComment(octokit, PR, marker, `${marker}\nsecond`)).toBe('updated');

    const bodies = api.comments(PR.owner, PR.repo, PR.number).map((comment) => comment.body);
    expect(bodies).toEqual(['LGTM', 'one nit', 'fixed', `${marker}\nsecond`, 'after the bot']);
    expect(api.requests.map(({ method, path, query }) => `${method} ${path} ${query.page ?? ''}`)).toEqual([
      'GET /repos/acme/bookinfo/issues/7/comments ',
      'GET /repos/acme/bookinfo/issues/7/comments 2',
      'POST /repos/acme/bookinfo/issues/7/comments ',
      'GET /repos/acme/bookinfo/issues/7/comments ',
      'GET /repos/acme/bookinfo/issues/7/comments 2',
      'PATCH /repos/acme/bookinfo/issues/comments/1003 ',
    ]);
  });

  test('keeps one comment per service in one pull request', async () => {
    const octokit = github.getOctokit(TOKEN, { baseUrl: api.url });
    await upsertComment(
      octokit,
      PR,
      commentMarker('default', 'reviews'),
      `${commentMarker('default', 'reviews')}`,
    );
    await upsertComment(
      octokit,
      PR,
      commentMarker('default', 'ratings'),
      `${commentMarker('default', 'ratings')}`,
    );
    expect(api.comments(PR.owner, PR.repo, PR.number)).toHaveLength(2);
  });

  test('an API refusal becomes a warning naming the remedy, not a failure', async () => {
    api.failWith(403, 'Resource not accessible by integration');
    const reporter = recordingReporter();
    await commentOnPullRequest(
      { token: TOKEN, pullRequest: PR, apiUrl: api.url },
      shiftedTo50(),
      shiftOptions,
      reporter,
    );
    expect(reporter.lines).toEqual([
      'warning: Could not comment on pull request #7: HTTP 403 Resource not accessible by integration; ' +
        'give the token pull-requests: write, or leave github-token empty.',
    ]);
  });

  test('without a target (no token or no pull request) nothing is requested', async () => {
    const reporter = recordingReporter();
    await commentOnPullRequest(undefined, shiftedTo50(), shiftOptions, reporter);
    expect(reporter.lines).toEqual([]);
    expect(api.requests).toEqual([]);
  });
});
