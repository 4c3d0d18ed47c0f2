// Runs the bundled action (dist/index.js) in a child process the way the runner does: inputs as INPUT_*
// variables (action.yml's defaults filled in), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, an event file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ActionEvent {
  name: string;
  payload: Record<string, unknown>;
}

export interface RunActionOptions {
  inputs: Record<string, string>;
  event?: ActionEvent;
  /** GITHUB_API_URL */
  apiUrl?: string;
  repository?: string;
  /** Sends this signal once `after` settles, as the runner does when the workflow is cancelled. */
  cancel?: { after: Promise<unknown>; signal: NodeJS.Signals };
  timeoutMs?: number;
  /** Files in the step's working directory (a kubeconfig given by relative path), name → content. */
  files?: Record<string, string>;
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** The runner's name for an input's variable: upper case, spaces to `_`, dashes kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** The runner passes every declared input, with action.yml's default where the workflow gave none. */
function inputEnvironment(inputs: Record<string, string>): Record<string, string> {
  const declared = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')).inputs as Record<
    string,
    { default?: string }
  >;
  const unknown = Object.keys(inputs).filter((name) => !(name in declared));
  if (unknown.length > 0) throw new Error(`not inputs of action.yml: ${unknown.join(', ')}`);
  return Object.fromEntries(
    Object.entries(declared).map(([name, { default: fallback }]) => [
      inputVariable(name),
      inputs[name] ?? fallback ?? '',
    ]),
  );
}

/**
 * GITHUB_OUTPUT as actions/runner reads it (FileCommandManager): line by line, `name=value` when `=` comes
 * before any `<<`, else `name<<DELIMITER` and the lines up to the one equal to DELIMITER; a malformed line or
 * a missing delimiter fails the step, so it throws here.
 */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      outputs[line.slice(0, equals)] = line.slice(equals + 1);
      continue;
    }
    if (heredoc <= 0 || heredoc + 2 >= line.length) throw new Error(`Invalid format '${line}'`);
    const delimiter = line.slice(heredoc + 2);
    const end = lines.indexOf(delimiter, index + 1);
    if (end < 0) throw new Error(`Matching delimiter not found '${delimiter}'`);
    outputs[line.slice(0, heredoc)] = lines.slice(index + 1, end).join('\n');
    index = end;
  }
  return outputs;
}

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'istio-canary-action-'));
  const files = {
    output: join(dir, 'output'),
    summary: join(dir, 'summary.md'),
    event: join(dir, 'event.json'),
  };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  writeFileSync(files.event, JSON.stringify(options.event?.payload ?? {}));
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    NO_PROXY: '127.0.0.1,localhost',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: options.event?.name ?? 'workflow_dispatch',
    GITHUB_REPOSITORY: options.repository ?? 'acme/bookinfo',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    ...(options.apiUrl ? { GITHUB_API_URL: options.apiUrl } : {}),
    ...inputEnvironment(options.inputs),
  };
  try {
    const child = spawn(process.execPath, [join(ROOT, 'dist/index.js')], { env, cwd: dir });
    let stdout = '';
    let stderr = '';
    const { cancel } = options;
    if (cancel) void cancel.after.finally(() => child.exitCode === null && child.kill(cancel.signal));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    }).finally(() => clearTimeout(timer));
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
      summary: readFileSync(files.summary, 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Log lines as the runner shows them: the `::add-mask::` commands are consumed, never displayed. */
export function visibleLog(run: Pick<ActionRun, 'stdout' | 'stderr'>): string {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** What `::add-mask::` registered (the command's value escaping undone). */
export function maskedValues(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) =>
      line.slice('::add-mask::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'),
    );
}

/** The log as the runner shows it: `::add-mask::` lines consumed, every masked value replaced by `***`. */
export function runnerLog(run: Pick<ActionRun, 'stdout' | 'stderr'>): string {
  return maskedValues(run.stdout)
    .filter((value) => value !== '')
    .reduce((log, value) => log.split(value).join('***'), visibleLog(run));
}

/**
 * The outputs a later job receives (`needs.<job>.outputs`): the runner skips every output whose value
 * contains a masked string ("Skip output 'x' since it may contain secret.").
 */
export function jobOutputs(run: Pick<ActionRun, 'stdout' | 'outputs'>): Record<string, string> {
  const masks = maskedValues(run.stdout).filter((value) => value !== '');
  return Object.fromEntries(
    Object.entries(run.outputs).filter(([, value]) => !masks.some((mask) => value.includes(mask))),
  );
}
