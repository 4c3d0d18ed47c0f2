import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BOOKINFO_EXAMPLE } from '../../src/cli/bookinfo-example.js';
import { registerCommand, runCli } from '../../src/cli/index.js';
import { routingEssence } from '../../src/plan/index.js';
import type { DestinationRule, VirtualService } from '../../src/plan/index.js';
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

  it('embeds the project fixtures 03 and 04 unchanged', () => {
    for (const { file, yaml } of BOOKINFO_EXAMPLE) expect(yaml).toBe(readFileSync(fixture(file), 'utf8'));
    expect(BOOKINFO_EXAMPLE.map(({ file }) => file)).toEqual([
      '03-virtual-services-v1.yaml',
      '04-destination-rules.yaml',
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
