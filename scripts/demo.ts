// `npm start`: the whole Bookinfo `reviews` v1 → v2 release, on the local Kubernetes API server stand-in,
// through the CLI — route (test users) → shift 10 → shift 50 → promote → finalize. No cluster, no set-up.
// `npm start -- --gateway-api`: the same release on Gateway API, as Istio's ambient mode routes it: the
// HTTPRoute `reviews` attached to the Service and the per-version Services of Istio's Bookinfo samples
// (routing-api auto finds the HTTPRoute; the stand-in's istiod writes the route status each stage waits for).
import { stringify } from 'yaml';
import { runCli } from '../src/cli/index.js';
import { loadBookinfo, loadBookinfoGatewayApi } from '../test/support/bookinfo.js';
import { startApiServer, type ApiServer } from '../test/support/kube-apiserver/index.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

/** What each form of the demo loads, and the routing objects it shows at the end. */
interface Setup {
  files: string[];
  load(server: ApiServer): void;
  /** `[title, apiVersion, kind, name]` of each object whose spec is printed at the end. */
  shown: [string, string, string, string][];
  /** The routing the CLI works on, in the stage titles. */
  canarySplit: string;
}

const ISTIO: Setup = {
  files: [
    'examples/bookinfo/02-bookinfo.yaml',
    'examples/bookinfo/03-virtual-services-v1.yaml',
    'examples/bookinfo/04-destination-rules.yaml',
  ],
  load: (server) => loadBookinfo(server),
  shown: [
    ['VirtualService reviews', 'networking.istio.io/v1', 'VirtualService', 'reviews'],
    ['DestinationRule reviews', 'networking.istio.io/v1', 'DestinationRule', 'reviews'],
  ],
  canarySplit: 'drop the v1 subset',
};

const GATEWAY_API: Setup = {
  files: [
    'examples/bookinfo/02-bookinfo.yaml',
    'examples/bookinfo-gateway-api/01-bookinfo-versions.yaml',
    'examples/bookinfo-gateway-api/03-route-reviews-v1.yaml',
  ],
  load: (server) => loadBookinfoGatewayApi(server),
  shown: [['HTTPRoute reviews', 'gateway.networking.k8s.io/v1', 'HTTPRoute', 'reviews']],
  canarySplit: 'the route stops naming reviews-v1',
};

function stages(setup: Setup): { title: string; args: string[] }[] {
  return [
    {
      title: 'route: test users (end-user: test-user) to v2',
      args: ['route', '--header-match', 'end-user=test-user'],
    },
    { title: 'shift: 10% of everyone else to v2', args: ['shift', '--weight', '10'] },
    { title: 'shift: 50%', args: ['shift', '--weight', '50'] },
    { title: 'promote: all traffic to v2', args: ['promote'] },
    {
      title: `finalize: ${setup.canarySplit} and delete reviews-v1 (seed step 8)`,
      args: ['finalize', '--delete-stable'],
    },
  ];
}

function parseArgs(args: string[]): Setup | undefined {
  if (args.length === 0) return ISTIO;
  if (args.length === 1 && args[0] === '--gateway-api') return GATEWAY_API;
  return undefined;
}

async function main(args: string[]): Promise<number> {
  const setup = parseArgs(args);
  if (!setup) {
    console.error(
      `demo: unknown arguments ${args.join(' ')}: npm start (VirtualService) or npm start -- --gateway-api (HTTPRoute)`,
    );
    return 2;
  }
  const started = performance.now();
  const server = await startApiServer();
  try {
    // Deployments become available a moment after each change, so the rollout wait is visible.
    server.workloads.autoRollout(800);
    setup.load(server);
    deployCanaryImage(server);
    console.log(bold(`Bookinfo loaded into a local Kubernetes API server stand-in at ${server.url}`));
    console.log(`(${setup.files.join(', ')})\n`);
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
    const release = stages(setup);
    for (const [index, stage] of release.entries()) {
      console.log(
        bold(`\n━━ ${index + 1}/${release.length} istio-canary ${stage.args.join(' ')} ━━ ${stage.title}`),
      );
      const code = await runCli([...stage.args, ...common, '--settle', '0s', '--timeout', '30s'], io);
      if (code !== 0) return code;
    }
    console.log(bold(`\n━━ done in ${((performance.now() - started) / 1000).toFixed(1)} s ━━`));
    for (const [title, apiVersion, kind, name] of setup.shown) {
      const object = server.store.get(apiVersion, kind, 'default', name) as { spec?: unknown } | undefined;
      console.log(`${title}, spec:\n${stringify(object?.spec).replace(/^/gm, '    ')}`);
    }
    const names = (apiVersion: string, kind: string) =>
      (server.store.list(apiVersion, kind, 'default') as { metadata: { name: string } }[])
        .map((object) => object.metadata.name)
        .join(', ');
    if (setup === GATEWAY_API) console.log(`Services: ${names('v1', 'Service')}`);
    console.log(`Deployments: ${names('apps/v1', 'Deployment')}`);
    console.log(
      [
        '',
        `The same against a real cluster (kubectl context with Istio and Bookinfo${setup === GATEWAY_API ? ' routed by HTTPRoutes' : ''}):`,
        '  npx istio-canary route   --service reviews --stable v1 --canary v2 --header-match end-user=test-user',
        '  npx istio-canary shift   --service reviews --stable v1 --canary v2 --weight 50',
        '  npx istio-canary promote --service reviews --stable v1 --canary v2',
        '  npx istio-canary finalize --service reviews --stable v1 --canary v2 --delete-stable',
        'or offline, without a cluster:  npx istio-canary plan --stage route --service reviews --stable v1 --canary v2 --header-match end-user=jason' +
          (setup === GATEWAY_API ? ' --routing-api gateway-api' : ''),
        'In a workflow: see examples/workflows/ and the README.',
      ].join('\n'),
    );
    return 0;
  } finally {
    await server.close();
  }
}

/** A new image for reviews-v2, as a CI job deploys its canary: the first stage waits for its rollout. */
function deployCanaryImage(server: ApiServer): void {
  type Deployment = { spec: { template: { spec: { containers: { image: string }[] } } } };
  const deployment = server.store.get('apps/v1', 'Deployment', 'default', 'reviews-v2') as
    Deployment | undefined;
  const container = deployment?.spec.template.spec.containers[0];
  if (!deployment || !container) return;
  container.image = `${container.image.split(':')[0]}:canary`;
  server.store.put(deployment);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
