import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BOOKINFO_EXAMPLE, BOOKINFO_GATEWAY_API_EXAMPLE } from '../../src/cli/bookinfo-example.js';
import { registerCommand, runCli } from '../../src/cli/index.js';
import { routingEssence } from '../../src/plan/index.js';
import type { DestinationRule, VirtualService } from '../../src/plan/index.js';
import { httpRouteRoutingEssence } from '../../src/plan/gateway-api/index.js';
import type { HTTPRoute, Service } from '../../src/plan/gateway-api/index.js';
import { gatewayFixtureDir, scenarioRoute } from '../plan/gateway-api/support.js';
import { fixtureDir, scenarioVirtualService } from '../plan/support.js';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

function printedObjects(stdout: string): [VirtualService, DestinationRule] {
  const documents = parseAllDocuments(stdout).map(
    (document) => document.toJS() as VirtualService | DestinationRule,
  );
  expect(documents.map((document) => document.kind)).toEqual(['VirtualService', 'DestinationRule']);
  return documents as [VirtualService, DestinationRule];
}

const fixture = (file: string) => path.join(fixtureDir, file);
const seedFlags = [
  '--from',
  fixture('03-virtual-services-v1.yaml'),
  '--from',
  fixture('04-destination-rules.yaml'),
];
const reviews = ['--service', 'reviews', '--stable', 'v1', '--canary', 'v2'];
const embeddedNote =
  'note: no --from given, planning on the embedded Bookinfo example (every service on v1)\n';

/** A file holding the reviews VirtualService of namespace default with these http routes (YAML lines). */
function reviewsFile(name: string, httpYaml: string): string {
  return tempFile(
    name,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http:
${httpYaml}`,
  );
}

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'istio-canary-cli-')), name);
  writeFileSync(file, text);
  return file;
}

describe('istio-canary plan', () => {
  it('prints every VirtualService with a route to the service, then the DestinationRule', async () => {
    const doors = path.join(fixtureDir, '../several-virtual-services/reviews-doors.yaml');
    const run = await cli(
      'plan',
      '--stage',
      'shift',
      '--weight',
      '20',
      ...reviews,
      ...seedFlags,
      '--from',
      doors,
      '--virtual-services',
      'reviews,bookinfo-edge',
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const documents = parseAllDocuments(run.stdout).map(
      (document) => document.toJS() as VirtualService | DestinationRule,
    );
    expect(documents.map((document) => `${document.kind}/${document.metadata.name}`)).toEqual([
      'VirtualService/reviews',
      'VirtualService/bookinfo-edge',
      'DestinationRule/reviews',
    ]);
    const edge = documents[1] as VirtualService;
    expect(edge.spec.http?.[1]?.route?.map((d) => `${d.destination.subset} ${d.weight}`)).toEqual([
      'v1 80',
      'v2 20',
    ]);
  });

  it('plans route on the embedded Bookinfo example: tutorial step 5', async () => {
    const run = await cli('plan', '--stage', 'route', ...reviews, '--header-match', 'end-user=test-user');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(embeddedNote);
    const [vs, dr] = printedObjects(run.stdout);
    expect(routingEssence(vs)).toEqual(
      routingEssence(scenarioVirtualService(fixtureDir, '05-reviews-test-user.yaml')),
    );
    expect(dr.spec.subsets?.map((subset) => subset.name)).toEqual(['v1', 'v2', 'v3']);
  });

  it('reads --from files and --flag=value forms: shift 50 for jason is step 6, promote is step 7', async () => {
    const shift = await cli(
      'plan',
      '--stage=shift',
      ...reviews,
      '--weight=50',
      '--header-match=end-user=jason',
      ...seedFlags,
    );
    expect([shift.code, shift.stderr]).toEqual([0, '']);
    expect(routingEssence(printedObjects(shift.stdout)[0])).toEqual(
      routingEssence(scenarioVirtualService(fixtureDir, '06-reviews-50.yaml')),
    );
    const promote = await cli('plan', '--stage', 'promote', ...reviews, ...seedFlags);
    expect(routingEssence(printedObjects(promote.stdout)[0])).toEqual(
      routingEssence(scenarioVirtualService(fixtureDir, '07-reviews-100-v2.yaml')),
    );
  });

  it('AND-s repeated --header-match flags in one match block', async () => {
    const run = await cli(
      'plan',
      '--stage',
      'route',
      ...reviews,
      '--header-match',
      'end-user=jason',
      '--header-match',
      'x-beta: prefix:yes',
      '--uri-prefix',
      '/reviews',
      ...seedFlags,
    );
    expect(printedObjects(run.stdout)[0].spec.http?.[0]?.match).toEqual([
      {
        headers: { 'end-user': { exact: 'jason' }, 'x-beta': { prefix: 'yes' } },
        uri: { prefix: '/reviews' },
      },
    ]);
  });

  it('prints clean objects from kubectl output: List items, v1 and v1beta1, other kinds ignored', async () => {
    const kubectlOutput = `
apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata:
    name: reviews
    namespace: default
    resourceVersion: "1234"
    uid: 0b6c7d9e-1111-2222-3333-444455556666
    generation: 3
    creationTimestamp: "2026-11-01T10:00:00Z"
    managedFields: [{ manager: kubectl, operation: Apply }]
    labels: { app: reviews }
  spec:
    hosts: [reviews]
    http:
    - route: [{ destination: { host: reviews, subset: v1 } }]
  status: { observedGeneration: 3 }
- apiVersion: v1
  kind: Service
  metadata: { name: reviews }
  spec: { ports: [{ port: 9080 }] }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: reviews, namespace: default, resourceVersion: "99" }
spec:
  host: reviews
  subsets: [{ name: v1, labels: { version: v1 } }]
`;
    const run = await cli(
      'plan',
      '--stage',
      'shift',
      ...reviews,
      '--weight',
      '10',
      '--from',
      tempFile('objects.yaml', kubectlOutput),
    );
    expect(run.code).toBe(0);
    const [vs, dr] = printedObjects(run.stdout);
    expect(vs.apiVersion).toBe('networking.istio.io/v1');
    expect(vs.metadata).toEqual({
      name: 'reviews',
      namespace: 'default',
      labels: { app: 'reviews' },
      annotations: { 'istio-canary.io/stage': 'shift', 'istio-canary.io/weights': 'v1=90,v2=10' },
    });
    expect(vs.status).toBeUndefined();
    expect(dr.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(dr.metadata).toEqual({ name: 'reviews', namespace: 'default' });
    expect(dr.spec.subsets).toEqual([
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' } },
    ]);
    expect(run.stdout).not.toMatch(/resourceVersion|managedFields|status|uid|creationTimestamp/);
  });

  it('reports warnings on stderr and still plans', async () => {
    const productpageToV7 = readFileSync(fixture('03-virtual-services-v1.yaml'), 'utf8').replace(
      'host: productpage\n        subset: v1',
      'host: productpage\n        subset: v7',
    );
    const run = await cli(
      'plan',
      '--stage=promote',
      ...reviews,
      '--from',
      tempFile('03.yaml', productpageToV7),
      '--from',
      fixture('04-destination-rules.yaml'),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'Warning [IST0101] (VirtualService default/productpage) Referenced host+subset in DestinationRule not found: "productpage+v7"\n',
    );
  });

  it('fails a check with one line per finding and exit 1, printing no YAML', async () => {
    const duplicate = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews-extra }
spec:
  hosts: [reviews]
  http:
  - route: [{ destination: { host: reviews, subset: v1 } }]
`;
    const run = await cli(
      'plan',
      '--stage',
      'promote',
      ...reviews,
      ...seedFlags,
      '--from',
      tempFile('extra.yaml', duplicate),
    );
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error [IST0109] (VirtualService default/reviews) The VirtualServices default/reviews,default/reviews-extra define the same host reviews on the same gateway, which can lead to undefined behavior; merge them into a single resource\n' +
        'error: 1 routing check failed; fix the objects named above\n',
    });
  });

  it.each([
    [['--weight', '150'], 'error: weight must be an integer 0–100, got "150"\n'],
    [['--weight'], 'error: --weight needs a value: see istio-canary plan --help\n'],
    [['--weight', '50', '--wieght', '50'], 'error: unknown flag --wieght: see istio-canary plan --help\n'],
    [['--weight', '50', '--dry-run'], 'error: unknown flag --dry-run: see istio-canary plan --help\n'],
    [
      ['50'],
      'error: unexpected argument "50": values follow their flag (--name value); see istio-canary plan --help\n',
    ],
    [[], 'error: weight is required for stage shift: an integer 0–100\n'],
    [
      ['--weight', '5', '--header-match', 'End-User=x'],
      `error: header-match name must be a lowercase header name (a-z, 0-9 and !#$%&'*+.^_\`|~-), got "End-User"\n`,
    ],
    [
      ['--weight', '5', '--header-match', 'end-user=test-user', '--header-match', 'end-user=qa-user'],
      'error: header-match has two lines for header "end-user" (end-user=test-user, end-user=qa-user), and a match holds one condition per header: keep one line per header (one regex can accept several values, like end-user: regex:a|b)\n',
    ],
    [
      ['--weight', '5', '--from', '/nonexistent/objects.yaml'],
      'error: from must name a readable file, got "/nonexistent/objects.yaml" (ENOENT)\n',
    ],
  ])('rejects %j with one line and exit 2', async (flags, stderr) => {
    const run = await cli('plan', '--stage', 'shift', ...reviews, ...flags);
    expect(run).toEqual({ code: 2, stdout: '', stderr });
  });

  it('rejects a file that is not YAML', async () => {
    const run = await cli(
      'plan',
      '--stage',
      'promote',
      ...reviews,
      '--from',
      tempFile('bad.yaml', 'a: [unclosed\n'),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: from must be YAML files of Kubernetes objects, got ".*bad\.yaml": .+\n$/,
    );
    expect(run.stderr.split('\n')).toHaveLength(2);
  });

  it('prints its flags with --help, from the option table', async () => {
    const run = await cli('plan', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: istio-canary plan --stage <stage>');
    expect(run.stdout).toMatch(/--header-match <value> \.\.\. +Requests routed to the canary/);
    expect(run.stdout).toMatch(/--version-label <value> +Pod label .*\(default version\)/);
    expect(run.stdout).toMatch(/--from <value> \.\.\./);
    expect(run.stdout).not.toContain('--kubeconfig');
  });

  it('embeds the project fixtures 03 and 04, and 01 and 03 of the Gateway API form, unchanged', () => {
    for (const { file, yaml } of BOOKINFO_EXAMPLE) expect(yaml).toBe(readFileSync(fixture(file), 'utf8'));
    expect(BOOKINFO_EXAMPLE.map(({ file }) => file)).toEqual([
      '03-virtual-services-v1.yaml',
      '04-destination-rules.yaml',
    ]);
    for (const { file, yaml } of BOOKINFO_GATEWAY_API_EXAMPLE) {
      expect(yaml).toBe(readFileSync(path.join(gatewayFixtureDir, file), 'utf8'));
    }
    expect(BOOKINFO_GATEWAY_API_EXAMPLE.map(({ file }) => file)).toEqual([
      '01-bookinfo-versions.yaml',
      '03-route-reviews-v1.yaml',
    ]);
  });
});

describe('istio-canary commands', () => {
  it('prints the usage with --help, and to stderr with exit 2 when no command is given', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: istio-canary <command> \[flags\]\n/);
    expect(help.stdout).toMatch(/\n {2}plan +Plan a stage offline/);
    const none = await cli();
    expect([none.code, none.stdout, none.stderr]).toEqual([2, '', help.stdout]);
  });

  it('rejects an unknown command with the list of commands and the usage', async () => {
    const run = await cli('deploy', '--weight', '5');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: unknown command "deploy": use one of plan(, [a-z]+)*\nUsage: istio-canary/,
    );
  });

  it('runs a registered command and lists it', async () => {
    registerCommand({
      name: 'echo-test',
      summary: 'Echo the arguments (test command)',
      help: () => 'Usage: istio-canary echo-test\n',
      run: async (args, io) => {
        io.stdout.write(`${args.join(' ')}\n`);
        return args.length;
      },
    });
    expect(await cli('echo-test', 'a', 'b')).toEqual({ code: 2, stdout: 'a b\n', stderr: '' });
    expect((await cli('--help')).stdout).toMatch(/\n {2}echo-test +Echo the arguments/);
  });

  it('turns an exception of a command into one error line and exit 1', async () => {
    registerCommand({
      name: 'throw-test',
      summary: 'Throws (test command)',
      help: () => '',
      run: async () => {
        throw new Error('cluster unreachable\nstack details');
      },
    });
    expect(await cli('throw-test')).toEqual({ code: 1, stdout: '', stderr: 'error: cluster unreachable\n' });
  });
});

describe('istio-canary plan, read and written as kubectl reads YAML (1.1)', () => {
  const asKubectlReads = (text: string) =>
    parseAllDocuments(text, { version: '1.1' }).map((doc) => doc.toJS());

  it('quotes yes/on/no/off/y/n, from flags and from the objects read, so YAML 1.1 and 1.2 read the same', async () => {
    const file = tempFile(
      'reviews.yaml',
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - name: beta
    match: [{ headers: { x-beta: { exact: "on" } } }, { headers: { x-debug: { exact: "n" } } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
  - route: [{ destination: { host: reviews, subset: v1 } }]
`,
    );
    const run = await cli(
      'plan',
      '--stage',
      'route',
      ...reviews,
      '--header-match',
      'x-canary=yes',
      '--header-match',
      'x-off: prefix:off',
      '--from',
      file,
      '--from',
      fixture('04-destination-rules.yaml'),
    );
    expect([run.code, run.stderr]).toEqual([0, '']);
    for (const scalar of ['"yes"', '"off"', '"on"', '"n"']) expect(run.stdout).toContain(`: ${scalar}`);
    expect(asKubectlReads(run.stdout)).toEqual(parseAllDocuments(run.stdout).map((doc) => doc.toJS()));
    const header = printedObjects(run.stdout)[0].spec.http?.find(
      (route) => route.name === 'reviews-canary-header',
    );
    expect(header?.match).toEqual([
      { headers: { 'x-canary': { exact: 'yes' }, 'x-off': { prefix: 'off' } } },
    ]);
  });

  it('resolves YAML merge keys as kubectl does: no literal << in the plan', async () => {
    const file = reviewsFile(
      'helm-rendered.yaml',
      `  - name: api
    match: [{ uri: { prefix: /api } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
    retries: &retries { attempts: 3, perTryTimeout: 2s }
  - retries:
      <<: *retries
      attempts: 5
    route:
    - destination: &v1 { host: reviews, subset: v1, port: { number: 9080 } }
`,
    );
    const run = await cli(
      'plan',
      '--stage',
      'shift',
      ...reviews,
      '--weight',
      '20',
      '--from',
      file,
      '--from',
      fixture('04-destination-rules.yaml'),
    );
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).not.toContain('<<');
    const primary = printedObjects(run.stdout)[0].spec.http?.[1];
    expect(primary?.retries).toEqual({ attempts: 5, perTryTimeout: '2s' });
    expect(primary?.route?.map((destination) => destination.destination)).toEqual([
      { host: 'reviews', subset: 'v1', port: { number: 9080 } },
      { host: 'reviews', subset: 'v2', port: { number: 9080 } },
    ]);
  });
});

describe('istio-canary plan, objects of another namespace in --from', () => {
  const inNamespace = (namespace: string) =>
    tempFile(
      `${namespace}.yaml`,
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: ${namespace} }
spec:
  hosts: [reviews]
  http:
  - route: [{ destination: { host: reviews, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: ${namespace} }
spec:
  host: reviews
  subsets: [{ name: v1, labels: { version: v1 } }]
`,
    );

  it('plans in their namespace when --namespace is not given, and says so', async () => {
    const run = await cli(
      'plan',
      '--stage',
      'shift',
      ...reviews,
      '--weight',
      '30',
      '--from',
      inNamespace('bookinfo'),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'note: planning in namespace bookinfo, where the objects of reviews in --from are\n',
    );
    const [vs, dr] = printedObjects(run.stdout);
    expect([vs.metadata.namespace, dr.metadata.namespace]).toEqual(['bookinfo', 'bookinfo']);
    expect(vs.spec.http?.map((route) => route.name)).toEqual(['reviews-primary']);
  });

  it('refuses a --namespace that holds none of them, and objects spread over namespaces, with exit 2', async () => {
    const given = await cli(
      'plan',
      '--stage',
      'promote',
      ...reviews,
      '--namespace',
      'default',
      '--from',
      inNamespace('bookinfo'),
    );
    expect(given).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: namespace is default, but the objects of reviews in --from are in namespace bookinfo: set --namespace to bookinfo\n',
    });
    const spread = await cli(
      'plan',
      '--stage',
      'promote',
      ...reviews,
      '--from',
      inNamespace('team-a'),
      '--from',
      inNamespace('team-b'),
    );
    expect(spread).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: the objects of reviews in --from are in namespaces team-a, team-b: choose one with --namespace\n',
    });
  });
});

describe('istio-canary plan, malformed objects in --from', () => {
  it('answers one line naming the file, the object and the field, with exit 2', async () => {
    const file = reviewsFile(
      'typo.yaml',
      `  - match: { uri: { prefix: /api } }
    route: [{ destination: { host: reviews, subset: v1 } }]
`,
    );
    const run = await cli('plan', '--stage', 'shift', ...reviews, '--weight', '10', '--from', file);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${file}: VirtualService default/reviews: spec.http[0].match must be a list, got a map, which Istio's VirtualService schema does not allow: fix the object and run again\n`,
    });
  });
});

describe('istio-canary plan on Gateway API (HTTPRoutes in --from)', () => {
  const gatewayFile = (file: string) => path.join(gatewayFixtureDir, file);
  /** `istio-canary plan --stage <stage>` on reviews v1 → v2 with these flags. */
  const plan = (stage: string, ...flags: string[]) => cli('plan', `--stage=${stage}`, ...reviews, ...flags);
  const from = (...files: string[]) => files.map((file) => `--from=${file}`);
  /** The cluster's Services (02), the per-version Services (01) and every request to reviews-v1 (03). */
  const gatewaySeed = from(
    fixture('02-bookinfo.yaml'),
    gatewayFile('01-bookinfo-versions.yaml'),
    gatewayFile('03-route-reviews-v1.yaml'),
  );
  const printed = (stdout: string) =>
    parseAllDocuments(stdout).map((document) => document.toJS() as HTTPRoute | Service);
  const kinds = (stdout: string) => printed(stdout).map((object) => `${object.kind}/${object.metadata.name}`);
  const essence = (stdout: string) =>
    printed(stdout)
      .filter((object): object is HTTPRoute => object.kind === 'HTTPRoute')
      .map(httpRouteRoutingEssence);
  const scenario = (file: string) => [httpRouteRoutingEssence(scenarioRoute(gatewayFixtureDir, file))];

  it('chooses Gateway API on its own (auto): route, shift 50 for jason and promote give 05, 06 and 07', async () => {
    const route = await plan('route', '--header-match', 'end-user=test-user', ...gatewaySeed);
    expect([route.code, route.stderr, kinds(route.stdout)]).toEqual([0, '', ['HTTPRoute/reviews']]);
    expect(essence(route.stdout)).toEqual(scenario('05-reviews-test-user.yaml'));
    const shift = await plan('shift', '--weight=50', '--header-match=end-user=jason', ...gatewaySeed);
    expect([shift.code, shift.stderr]).toEqual([0, '']);
    expect(essence(shift.stdout)).toEqual(scenario('06-reviews-50.yaml'));
    const promote = await plan('promote', ...gatewaySeed);
    expect(essence(promote.stdout)).toEqual(scenario('07-reviews-100-v2.yaml'));
  });

  it('plans on the embedded Gateway API example with --routing-api gateway-api and no --from', async () => {
    const run = await plan('route', '--routing-api', 'gateway-api', '--header-match', 'end-user=test-user');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'note: no --from given, planning on the embedded Bookinfo example on Gateway API (the HTTPRoute reviews sends everything to reviews-v1)\n',
    );
    expect(essence(run.stdout)).toEqual(scenario('05-reviews-test-user.yaml'));
  });

  it('prints the version Services to create before the route, and says which finalize deletes', async () => {
    // kubectl get -o yaml output of a first run: the main Service, and a route to it as the server stores it.
    const mainService = tempFile(
      'service.yaml',
      `apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default, resourceVersion: "12", labels: { app: reviews } }
spec:
  type: NodePort
  ports: [{ name: http, port: 9080, targetPort: 9080, nodePort: 30080, protocol: TCP }]
  selector: { app: reviews }
`,
    );
    const firstRoute = tempFile(
      'route.yaml',
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews, namespace: default, generation: 1, resourceVersion: "13" }
spec:
  parentRefs: [{ group: "", kind: Service, name: reviews, port: 9080 }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: / } }]
    backendRefs: [{ group: "", kind: Service, name: reviews, port: 9080, weight: 1 }]
status: { parents: [] }
`,
    );
    const route = await plan('route', '--header-match', 'end-user=jason', ...from(mainService, firstRoute));
    expect([route.code, route.stderr]).toEqual([0, '']);
    expect(kinds(route.stdout)).toEqual(['Service/reviews-v1', 'Service/reviews-v2', 'HTTPRoute/reviews']);
    expect(printed(route.stdout)[1]).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'reviews-v2',
        namespace: 'default',
        labels: { 'app.kubernetes.io/managed-by': 'istio-canary' },
      },
      spec: {
        ports: [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }],
        selector: { app: 'reviews', version: 'v2' },
      },
    });
    // As `kubectl apply` of each plan's output would leave the cluster: promote, then finalize.
    const routed = tempFile('routed.yaml', route.stdout);
    const promote = await plan('promote', ...from(mainService, routed));
    expect([promote.code, promote.stderr, kinds(promote.stdout)]).toEqual([0, '', ['HTTPRoute/reviews']]);
    const versionServices = tempFile('services.yaml', route.stdout.split('---\n').slice(0, 2).join('---\n'));
    const promoted = tempFile('promoted.yaml', promote.stdout);
    const finalize = await plan('finalize', ...from(mainService, versionServices, promoted));
    expect(finalize).toEqual({
      code: 0,
      stdout: promote.stdout.replace('istio-canary.io/stage: promote', 'istio-canary.io/stage: finalize'),
      stderr:
        'note: finalize deletes Service default/reviews-v1 once the HTTPRoutes above are written (istio-canary created it; no route names it any more)\n',
    });
  });

  it('refuses files routing the service with both APIs, naming the objects, with exit 2', async () => {
    const run = await plan('promote', ...seedFlags, ...gatewaySeed);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: routing-api auto cannot choose: VirtualService default/reviews, HTTPRoute default/reviews all route reviews (Istio leaves a workload routed by both APIs undefined); remove the ones not in use, or set routing-api to istio or gateway-api\n',
    });
  });

  it('honours --routing-api istio and gateway-api over what the files hold', async () => {
    const istio = await plan('promote', '--routing-api', 'istio', ...seedFlags, ...gatewaySeed);
    expect(istio.code).toBe(0);
    expect(routingEssence(printedObjects(istio.stdout)[0])).toEqual(
      routingEssence(scenarioVirtualService(fixtureDir, '07-reviews-100-v2.yaml')),
    );
    const gatewayApi = await plan('promote', '--routing-api=gateway-api', ...seedFlags, ...gatewaySeed);
    expect([gatewayApi.code, kinds(gatewayApi.stdout)]).toEqual([0, ['HTTPRoute/reviews']]);
    expect(essence(gatewayApi.stdout)).toEqual(scenario('07-reviews-100-v2.yaml'));
  });

  it.each([
    [
      ['--sticky-cookie', 'canary'],
      'error: sticky-cookie cannot be used with routing-api gateway-api: the standard channel of Gateway API has no session persistence; remove sticky-cookie or use routing-api istio\n',
    ],
    [
      ['--version-service', '{service}_{version}'],
      `error: version-service must give each version's Service a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters), got "{service}_{version}", which names the Service of v1 "reviews_v1"\n`,
    ],
    [
      ['--uri-prefix', '/reviews//all'],
      `error: uri-prefix must be a path an HTTPRoute accepts (letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes; no //, /./, /../, %2f or #), got "/reviews//all"\n`,
    ],
  ])('refuses %j on Gateway API with one line and exit 2', async (flags, stderr) => {
    const run = await plan('route', '--header-match', 'end-user=jason', ...flags, ...gatewaySeed);
    expect(run).toEqual({ code: 2, stdout: '', stderr });
  });

  it('plans in the namespace of the HTTPRoutes when --namespace is not given, and says so', async () => {
    const inBookinfo = (file: string) =>
      tempFile(
        file,
        readFileSync(gatewayFile(file), 'utf8').replace(
          /^metadata:\n/gm,
          'metadata:\n  namespace: bookinfo\n',
        ),
      );
    const run = await plan(
      'shift',
      '--weight',
      '10',
      ...from(inBookinfo('01-bookinfo-versions.yaml'), inBookinfo('03-route-reviews-v1.yaml')),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'note: planning in namespace bookinfo, where the objects of reviews in --from are\n',
    );
    expect(printed(run.stdout).map((object) => object.metadata.namespace)).toEqual(['bookinfo']);
  });

  it('fails a check on a route of another namespace without a ReferenceGrant, and plans once one is given', async () => {
    const ingress = tempFile(
      'ingress.yaml',
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bookinfo-edge, namespace: ingress }
spec:
  parentRefs: [{ name: edge-gateway }]
  hostnames: [bookinfo.example.com]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /reviews } }]
    backendRefs: [{ name: reviews-v1, namespace: default, port: 9080 }]
`,
    );
    const shift20 = (...files: string[]) => plan('shift', '--weight=20', ...gatewaySeed, ...from(...files));
    const refused = await shift20(ingress);
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error [RefNotPermitted] (HTTPRoute ingress/bookinfo-edge) rule reviews-primary sends to Service default/reviews-v1 in another namespace, and no ReferenceGrant in default lets HTTPRoutes of ingress reach it: add one (from HTTPRoute in ingress, to Service reviews-v1)\n' +
        'Error [RefNotPermitted] (HTTPRoute ingress/bookinfo-edge) rule reviews-primary sends to Service default/reviews-v2 in another namespace, and no ReferenceGrant in default lets HTTPRoutes of ingress reach it: add one (from HTTPRoute in ingress, to Service reviews-v2)\n' +
        'error: 2 routing checks failed; fix the objects named above\n',
    });
    const grant = tempFile(
      'grant.yaml',
      `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: ingress-to-reviews, namespace: default }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ingress }]
  to: [{ group: "", kind: Service }]
`,
    );
    const planned = await shift20(ingress, grant);
    expect([planned.code, planned.stderr, kinds(planned.stdout)]).toEqual([
      0,
      '',
      ['HTTPRoute/reviews', 'HTTPRoute/bookinfo-edge'],
    ]);
    const edge = printed(planned.stdout)[1] as HTTPRoute;
    expect(
      edge.spec.rules?.map((rule) => rule.backendRefs?.map((ref) => `${ref.name} ${ref.weight}`)),
    ).toEqual([['reviews-v1 80', 'reviews-v2 20']]);
  });
});
