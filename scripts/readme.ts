// The README's generated sections: the inputs and outputs tables (from action.yml) and the YAML each stage
// produces for Bookinfo (from the planner). `npm run readme` rewrites them; a test fails when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseStageOptions } from '../src/options/index.js';
import { emptyState, formatFinding, planStage, readRoutingYaml, toYaml } from '../src/plan/index.js';
import type { ClusterState, StageOptions, VirtualService } from '../src/plan/index.js';
import { gatewayApiOptions, planGatewayApiStage, readGatewayApiYaml } from '../src/plan/gateway-api/index.js';
import type { GatewayApiPlan, GatewayApiState } from '../src/plan/gateway-api/index.js';

const ROOT = join(import.meta.dirname, '..');

interface ActionYaml {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function inputsTable(action: ActionYaml): string {
  const rows = Object.entries(action.inputs).map(
    ([name, input]) =>
      `| \`${name}\` | ${cell(input.description)} | ${input.default !== undefined ? `\`${input.default}\`` : ''} |`,
  );
  return ['| input | what it does | default |', '| --- | --- | --- |', ...rows].join('\n');
}

function outputsTable(action: ActionYaml): string {
  const rows = Object.entries(action.outputs).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`,
  );
  return ['| output | value |', '| --- | --- |', ...rows].join('\n');
}

function bookinfoState(): ClusterState {
  const dir = join(ROOT, 'examples', 'bookinfo');
  return ['03-virtual-services-v1.yaml', '04-destination-rules.yaml'].reduce(
    (state, file) => readRoutingYaml(readFileSync(join(dir, file), 'utf8'), file, state),
    emptyState(),
  );
}

/** The Bookinfo release the README walks through: each stage's inputs besides service, stable and canary. */
const RELEASE: Record<string, string>[] = [
  { stage: 'route', 'header-match': 'end-user=test-user' },
  { stage: 'shift', weight: '50' },
  { stage: 'promote' },
  { stage: 'finalize' },
];

const reviewsStage = (raw: Record<string, string>): StageOptions =>
  parseStageOptions({ service: 'reviews', stable: 'v1', canary: 'v2', ...raw });

/** ` --weight 50`: the flags of a stage's inputs, as the CLI takes them. */
const flagsOf = (raw: Record<string, string>) =>
  Object.entries(raw)
    .filter(([name]) => name !== 'stage')
    .map(([name, value]) => ` --${name} ${value}`)
    .join('');

const commandOf = (raw: Record<string, string>) =>
  `\`istio-canary ${raw.stage} --service reviews --stable v1 --canary v2${flagsOf(raw)}\``;

/** Each stage from the previous one's result, as a release goes: the YAML a person would see applied. */
function stagesSection(): string {
  const titles = [
    'test users to the canary',
    'half of everyone else',
    'everyone on the canary',
    'the stable subset dropped',
  ];
  let state = bookinfoState();
  const parts: string[] = [];
  for (const [index, raw] of RELEASE.entries()) {
    const plan = planStage(reviewsStage(raw), state);
    parts.push(
      `#### \`${raw.stage}\`: ${titles[index]}`,
      '',
      commandOf(raw),
      '',
      '```yaml',
      toYaml(plan.virtualService).trimEnd(),
      '---',
      toYaml(plan.destinationRule).trimEnd(),
      '```',
      '',
    );
    state = {
      virtualServices: state.virtualServices.map((vs) =>
        vs.metadata.name === 'reviews' ? plan.virtualService : vs,
      ),
      destinationRules: state.destinationRules.map((dr) =>
        dr.metadata.name === 'reviews' ? plan.destinationRule : dr,
      ),
    };
  }
  return parts.join('\n').trimEnd();
}

/** Bookinfo on Gateway API: the cluster's Services (02) and, unless `routeToMain`, the version Services (01). */
function gatewayApiState(routeToMain = false): GatewayApiState {
  const example = (file: string) =>
    readFileSync(join(ROOT, 'examples', 'bookinfo-gateway-api', file), 'utf8');
  const cluster = readGatewayApiYaml(
    readFileSync(join(ROOT, 'examples', 'bookinfo', '02-bookinfo.yaml'), 'utf8'),
    '02-bookinfo.yaml',
  );
  if (!routeToMain) {
    const withVersions = readGatewayApiYaml(example('01-bookinfo-versions.yaml'), '01', cluster);
    return readGatewayApiYaml(example('03-route-reviews-v1.yaml'), '03', withVersions);
  }
  // The all-v1 route of 03 as a first release finds it without version Services: to reviews itself.
  const toMain = example('03-route-reviews-v1.yaml').replace('- name: reviews-v1', '- name: reviews');
  return readGatewayApiYaml(toMain, '03', cluster);
}

/** The cluster after a plan's writes: routes replaced by name, version Services created and deleted. */
function gatewayApiStateAfter(state: GatewayApiState, plan: GatewayApiPlan): GatewayApiState {
  const written = (name: string) => plan.httpRoutes.find((route) => route.metadata.name === name);
  const deleted = plan.writes.filter((write) => write.action === 'delete').map((write) => write.before);
  const created = plan.writes.flatMap((write) =>
    write.action === 'create' && write.after?.kind === 'Service' ? [write.after] : [],
  );
  return {
    ...state,
    httpRoutes: state.httpRoutes.map((route) => written(route.metadata.name) ?? route),
    services: [...state.services.filter((service) => !deleted.includes(service)), ...created],
  };
}

/** The Bookinfo release on Gateway API, stage after stage: each plan and the state it leaves. */
function gatewayApiRelease(state: GatewayApiState): { raw: Record<string, string>; plan: GatewayApiPlan }[] {
  return RELEASE.map((raw) => {
    const plan = planGatewayApiStage(
      gatewayApiOptions(reviewsStage({ ...raw, 'routing-api': 'gateway-api' })),
      state,
    );
    state = gatewayApiStateAfter(state, plan);
    return { raw, plan };
  });
}

const writeOf = (write: GatewayApiPlan['writes'][number]) =>
  `${write.action} ${write.kind} ${(write.after ?? write.before)?.metadata.name ?? ''}`;

/** The same release on HTTPRoute (routing-api gateway-api): the route each stage writes. */
function httpRoutesSection(): string {
  const parts: string[] = [];
  for (const { raw, plan } of gatewayApiRelease(gatewayApiState())) {
    const findings = plan.findings.map((finding) => `\`${formatFinding(finding)}\``);
    parts.push(
      `#### \`${raw.stage}\``,
      '',
      commandOf({ ...raw, 'routing-api': 'gateway-api' }),
      '',
      `Writes: ${plan.writes.map(writeOf).join(', ')}.${findings.length > 0 ? ` Says: ${findings.join('; ')}.` : ''}`,
      '',
      '```yaml',
      plan.httpRoutes.map((route) => toYaml(route).trimEnd()).join('\n---\n'),
      '```',
      '',
    );
  }
  return parts.join('\n').trimEnd();
}

/** A first release without version Services: what each stage writes, and the Service it creates. */
function versionServicesSection(): string {
  const release = gatewayApiRelease(gatewayApiState(true));
  const rows = release.map(
    ({ raw, plan }) => `| \`${raw.stage}${flagsOf(raw)}\` | ${plan.writes.map(writeOf).join(', ')} |`,
  );
  const created = release
    .flatMap(({ plan }) => plan.writes)
    .find((write) => write.after?.kind === 'Service' && write.after.spec.selector?.version === 'v2')?.after;
  if (!created) throw new Error('the release on Gateway API created no version Service for v2');
  return [
    '| stage | writes, in order |',
    '| --- | --- |',
    ...rows,
    '',
    `The version Service \`route\` creates for the canary (\`${created.metadata.name}\`), from the Service \`reviews\`:`,
    '',
    '```yaml',
    toYaml(created).trimEnd(),
    '```',
  ].join('\n');
}

/**
 * The gateway-bound VirtualService of examples/several-virtual-services beside the mesh one: its http
 * routes before the release and after each stage, as the planner writes them.
 */
function doorsSection(): string {
  const doors = join(ROOT, 'examples', 'several-virtual-services', 'reviews-doors.yaml');
  let state = readRoutingYaml(readFileSync(doors, 'utf8'), 'reviews-doors.yaml', bookinfoState());
  const edge = (current: ClusterState) =>
    current.virtualServices.find((vs) => vs.metadata.name === 'bookinfo-edge')?.spec.http ?? [];
  const block = (title: string, http: unknown) =>
    [title, '', '```yaml', stringify({ http }, { lineWidth: 0 }).trimEnd(), '```', ''].join('\n');
  const parts = [block('Before the release (`bookinfo-edge`, as its owner wrote it):', edge(state))];
  const stages: Record<string, string>[] = [
    { stage: 'route', 'header-match': 'end-user=test-user' },
    { stage: 'shift', weight: '50' },
    { stage: 'promote' },
    { stage: 'rollback' },
  ];
  for (const raw of stages) {
    const plan = planStage(reviewsStage(raw), state);
    const written = plan.objects
      .map((object) => object.after)
      .filter((after): after is VirtualService => after.kind === 'VirtualService');
    state = {
      virtualServices: state.virtualServices.map(
        (vs) => written.find((after) => after.metadata.name === vs.metadata.name) ?? vs,
      ),
      destinationRules: state.destinationRules,
    };
    const moved = plan.routes.map((route) => `${route.object} (${route.match})`).join(', ');
    parts.push(block(`After \`${raw.stage}${flagsOf(raw)}\` (moves ${moved}):`, edge(state)));
  }
  return parts.join('\n').trimEnd();
}

export function generatedSections(): Record<string, string> {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionYaml;
  return {
    inputs: inputsTable(action),
    outputs: outputsTable(action),
    stages: stagesSection(),
    httproutes: httpRoutesSection(),
    versionservices: versionServicesSection(),
    doors: doorsSection(),
  };
}

/** README text with every `<!-- generated:NAME -->…<!-- /generated:NAME -->` block filled in. */
export function renderReadme(readme: string, sections = generatedSections()): string {
  return readme.replace(
    /(<!-- generated:([a-z]+) -->)[\s\S]*?(<!-- \/generated:\2 -->)/g,
    (whole, open: string, name: string, close: string) =>
      sections[name] === undefined ? whole : `${open}\n${sections[name]}\n${close}`,
  );
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const path = join(ROOT, 'README.md');
  writeFileSync(path, renderReadme(readFileSync(path, 'utf8')));
  console.log('README.md: generated sections rewritten');
}
