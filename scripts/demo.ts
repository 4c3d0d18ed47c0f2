// `npm start`: the whole Bookinfo `reviews` v1 → v2 release, on the local Kubernetes API server stand-in,
// through the CLI — route (test users) → shift 10 → shift 50 → promote → finalize. No cluster, no set-up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { runCli } from '../src/cli/index.js';
import { startApiServer } from '../test/support/kube-apiserver/index.js';

const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'bookinfo');
const FILES = ['02-bookinfo.yaml', '03-virtual-services-v1.yaml', '04-destination-rules.yaml'];
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

const STAGES: { title: string; args: string[] }[] = [
  {
    title: 'route: test users (end-user: test-user) to v2',
    args: ['route', '--header-match', 'end-user=test-user'],
  },
  { title: 'shift: 10% of everyone else to v2', args: ['shift', '--weight', '10'] },
  { title: 'shift: 50%', args: ['shift', '--weight', '50'] },
  { title: 'promote: all traffic to v2', args: ['promote'] },
  {
    title: 'finalize: drop the v1 subset and delete reviews-v1 (seed step 8)',
    args: ['finalize', '--delete-stable'],
  },
];

async function main(): Promise<number> {
  const started = performance.now();
  const server = await startApiServer();
  try {
    // Deployments become available a moment after each change, so the rollout wait is visible.
    server.workloads.autoRollout(800);
    for (const file of FILES) {
      for (const doc of parseAllDocuments(readFileSync(join(EXAMPLE, file), 'utf8'))) {
        const object = doc.toJS() as { kind?: string; metadata?: object } | null;
        if (object?.kind)
          server.store.put({ ...object, metadata: { ...object.metadata, namespace: 'default' } });
      }
    }
    deployCanaryImage(server);
    console.log(bold(`Bookinfo loaded into a local Kubernetes API server stand-in at ${server.url}`));
    console.log(`(${FILES.map((file) => `examples/bookinfo/${file}`).join(', ')})\n`);
    const common = [
      '--service',
      'reviews',
      '--stable',
      'v1',
      '--canary',
      'v2',
      '--kubeconfig',
      server.kubeconfigPath,
    ];
    const io = { stdout: process.stdout, stderr: process.stderr };
    for (const [index, stage] of STAGES.entries()) {
      console.log(
        bold(`\n━━ ${index + 1}/${STAGES.length} istio-canary ${stage.args.join(' ')} ━━ ${stage.title}`),
      );
      const code = await runCli([...stage.args, ...common, '--settle', '0s', '--timeout', '30s'], io);
      if (code !== 0) return code;
    }
    const vs = server.store.get('networking.istio.io/v1', 'VirtualService', 'default', 'reviews');
    const dr = server.store.get('networking.istio.io/v1', 'DestinationRule', 'default', 'reviews');
    const spec = (object: unknown) =>
      stringify((object as { spec?: unknown } | undefined)?.spec).replace(/^/gm, '    ');
    console.log(bold(`\n━━ done in ${((performance.now() - started) / 1000).toFixed(1)} s ━━`));
    console.log(`VirtualService reviews, spec:\n${spec(vs)}`);
    console.log(`DestinationRule reviews, spec:\n${spec(dr)}`);
    const left = server.store.list('apps/v1', 'Deployment', 'default') as { metadata: { name: string } }[];
    console.log(`Deployments: ${left.map((deployment) => deployment.metadata.name).join(', ')}`);
    console.log(
      [
        '',
        'The same against a real cluster (kubectl context with Istio and Bookinfo):',
        '  npx istio-canary route   --service reviews --stable v1 --canary v2 --header-match end-user=test-user',
        '  npx istio-canary shift   --service reviews --stable v1 --canary v2 --weight 50',
        '  npx istio-canary promote --service reviews --stable v1 --canary v2',
        '  npx istio-canary finalize --service reviews --stable v1 --canary v2 --delete-stable',
        'or offline, without a cluster:  npx istio-canary plan --stage route --service reviews --stable v1 --canary v2 --header-match end-user=jason',
        'In a workflow: see examples/workflows/ and the README.',
      ].join('\n'),
    );
    return 0;
  } finally {
    await server.close();
  }
}

/** A new image for reviews-v2, as a CI job deploys its canary: the first stage waits for its rollout. */
function deployCanaryImage(server: Awaited<ReturnType<typeof startApiServer>>): void {
  type Deployment = { spec: { template: { spec: { containers: { image: string }[] } } } };
  const deployment = server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v2') as
    Deployment | undefined;
  const container = deployment?.spec.template.spec.containers[0];
  if (!deployment || !container) return;
  container.image = `${container.image.split(':')[0]}:canary`;
  server.store.put(deployment);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
