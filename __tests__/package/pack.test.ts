// The library as another project gets it: `npm pack`, install the tarball in an empty project, import the
// public API from JavaScript and type-check a TypeScript consumer against the shipped declarations.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const root = resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'istio-canary-pack-'));
const consumer = join(work, 'consumer');
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

beforeAll(() => {
  npm(['pack', '--pack-destination', work, '--silent'], root);
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${work}`);
  execFileSync('mkdir', ['-p', consumer]);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // The dependencies come from npm's cache, filled by the project's own install.
  npm(
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, tarball)],
    consumer,
  );
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("import { … } from 'istio-canary'", () => {
  it('plans a stage from the installed package', () => {
    const script = `
      import { planStage, emptyState, parseStageOptions, runStage, OPTION_DEFINITIONS } from 'istio-canary';
      const options = parseStageOptions({ stage: 'route', service: 'reviews', stable: 'v1', canary: 'v2', 'header-match': 'end-user=jason' });
      const plan = planStage(options, emptyState());
      console.log(JSON.stringify({ routes: plan.after.length, runStage: typeof runStage, options: OPTION_DEFINITIONS.length > 10 }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ routes: 2, runStage: 'function', options: true });
  });

  it('plans a stage on Gateway API from the installed package, choosing the API from the objects', () => {
    const script = `
      import { chooseRoutingApi, gatewayApiOptions, parseStageOptions, planGatewayApiStage, readGatewayApiYaml } from 'istio-canary';
      const state = readGatewayApiYaml(\`
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec: { ports: [{ name: http, port: 9080 }], selector: { app: reviews } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews, namespace: default }
spec:
  parentRefs: [{ group: "", kind: Service, name: reviews }]
  rules: [{ backendRefs: [{ name: reviews, port: 9080 }] }]
\`, 'objects.yaml');
      const options = gatewayApiOptions(parseStageOptions({ stage: 'shift', service: 'reviews', stable: 'v1', canary: 'v2', weight: '20' }));
      const api = chooseRoutingApi('auto', options, { virtualServices: [], httpRoutes: state.httpRoutes });
      const plan = planGatewayApiStage(options, state);
      console.log(JSON.stringify({ api, writes: plan.writes.map((w) => w.action + ' ' + (w.after ?? w.before).metadata.name), weight: plan.weight }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      api: 'gateway-api',
      writes: ['create reviews-v1', 'create reviews-v2', 'update reviews'],
      weight: 20,
    });
  });

  it('type-checks a TypeScript consumer against the shipped declarations', () => {
    writeFileSync(
      join(consumer, 'use.ts'),
      `import { runStage, planGatewayApiStage, type RunOptions, type StageResult } from 'istio-canary';
       import type { GatewayApiStageOptions, GatewayApiState, HTTPRoute } from 'istio-canary';
       export async function release(options: RunOptions): Promise<number | undefined> {
         const result: StageResult = await runStage(options);
         // Absent when the routing could not be read: never a weight that was not read.
         return result.weight;
       }
       export function routesAfter(options: GatewayApiStageOptions, state: GatewayApiState): HTTPRoute[] {
         return planGatewayApiStage(options, state).httpRoutes;
       }\n`,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--skipLibCheck',
      'use.ts',
    ];
    expect(() =>
      execFileSync(process.execPath, [tsc, ...args], { cwd: consumer, encoding: 'utf8' }),
    ).not.toThrow();
  });

  it('installs the CLI as a bin', () => {
    const out = execFileSync(join(consumer, 'node_modules', '.bin', 'istio-canary'), ['--help'], {
      cwd: consumer,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
    });
    expect(out).toContain('Usage: istio-canary <command> [flags]');
  });
});
