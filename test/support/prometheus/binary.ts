// Finds Debian's Prometheus binary, installing the `prometheus` package when it is missing.
// Tests need a real Prometheus (its PromQL engine answers the analysis queries), not a fake one.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export type PrometheusBinary = { path: string; version: string } | { skip: string };

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** apt-get under a lock file: test workers that start at once must not race for dpkg's lock. */
function aptGet(args: string[]) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  return run('flock', ['/tmp/istio-canary-apt.lock', 'apt-get', ...args], { env, timeout: 600_000 });
}

async function aptInstall(): Promise<void> {
  const install = () => aptGet(['install', '-y', '--no-install-recommends', 'prometheus']);
  try {
    await install();
  } catch {
    // A fresh machine has no package lists yet: fetch them once, then try again.
    await aptGet(['update']);
    await install();
  }
}

async function versionOf(path: string): Promise<string> {
  const { stdout, stderr } = await run(path, ['--version']);
  return (stdout || stderr).split('\n')[0] ?? 'unknown';
}

/**
 * The Prometheus binary, installed with apt-get when missing (the machines run as root; Debian's
 * policy-rc.d keeps the packaged service from starting, and nothing here relies on systemd).
 * When it cannot be had: under CI=true this throws (CI must not pass by skipping), elsewhere it
 * returns why, for the test to print and skip.
 */
export async function ensurePrometheusBinary(): Promise<PrometheusBinary> {
  if (!(await isExecutable(PROMETHEUS_BINARY))) {
    try {
      await aptInstall();
    } catch (error) {
      const reason =
        `Prometheus is not installed at ${PROMETHEUS_BINARY} and 'apt-get install -y prometheus' failed ` +
        `(${error instanceof Error ? error.message.split('\n')[0] : String(error)}): install Debian's ` +
        `prometheus package as root`;
      if (process.env.CI === 'true') throw new Error(reason);
      return { skip: reason };
    }
  }
  return { path: PROMETHEUS_BINARY, version: await versionOf(PROMETHEUS_BINARY) };
}
