// The README's generated sections: the inputs and outputs tables (from action.yml) and the YAML each stage
// produces for Bookinfo (from the planner). `npm run readme` rewrites them; a test fails when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseStageOptions } from '../src/options/index.js';
import { emptyState, planStage, readRoutingYaml, toYaml } from '../src/plan/index.js';
import type { ClusterState, VirtualService } from '../src/plan/index.js';
import {
  emptyGatewayApiState,
  planGatewayApiStage,
  readGatewayApiYaml,
} from '../src/plan/gateway-api/index.js';
import type { GatewayApiState } from '../src/plan/gateway-api/index.js';

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

/** Each stage from the previous one's result, as a release goes: the YAML a person would see applied. */
function stagesSection(): string {
  const stages: { title: string; raw: Record<string, string> }[] = [
    {
      title: 'test users to the canary',
      raw: { stage: 'route', 'header-match': 'end-user=test-user' },
    },
    { title: 'half of everyone else', raw: { stage: 'shift', weight: '50' } },
    { title: 'everyone on the canary', raw: { stage: 'promote' } },
    { title: 'the stable subset dropped', raw: { stage: 'finalize' } },
  ];
  let state = bookinfoState();
  const parts: string[] = [];
  for (const { title, raw } of stages) {
    const options = parseStageOptions({ service: 'reviews', stable: 'v1', canary: 'v2', ...raw });
    const plan = planStage(options, state);
    const flags = Object.entries(raw)
      .filter(([name]) => name !== 'stage')
      .map(([name, value]) => ` --${name} ${value}`)
      .join('');
    parts.push(
      `#### \`${raw.stage}\`: ${title}`,
      '',
      `\`istio-canary ${raw.stage} --service reviews --stable v1 --canary v2${flags}\``,
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

/** Bookinfo on Gateway API: the cluster's Services, the per-version Services and the all-v1 HTTPRoute. */
function gatewayApiState(): GatewayApiState {
  const files = [
    join(ROOT, 'examples', 'bookinfo', '02-bookinfo.yaml'),
    join(ROOT, 'examples', 'bookinfo-gateway-api', '01-bookinfo-versions.yaml'),
    join(ROOT, 'examples', 'bookinfo-gateway-api', '03-route-reviews-v1.yaml'),
  ];
  return files.reduce(
    (state, file) => readGatewayApiYaml(readFileSync(file, 'utf8'), file, state),
    emptyGatewayApiState(),
  );
}

/** The same release on HTTPRoute (routing-api gateway-api): the route each stage writes. */
function httpRoutesSection(): string {
  const stages: Record<string, string>[] = [
    { stage: 'route', 'header-match': 'end-user=test-user' },
    { stage: 'shift', weight: '50' },
    { stage: 'promote' },
  ];
  let state = gatewayApiState();
  const parts: string[] = [];
  for (const raw of stages) {
    const options = parseStageOptions({
      service: 'reviews',
      stable: 'v1',
      canary: 'v2',
      'routing-api': 'gateway-api',
      ...raw,
    });
    const plan = planGatewayApiStage(
      { ...options, versionService: options.versionService ?? '{service}-{version}' },
      state,
    );
    const flags = Object.entries(raw)
      .filter(([name]) => name !== 'stage')
      .map(([name, value]) => ` --${name} ${value}`)
      .join('');
    parts.push(
      `#### \`${raw.stage}\``,
      '',
      `\`istio-canary ${raw.stage} --service reviews --stable v1 --canary v2 --routing-api gateway-api${flags}\``,
      '',
      '```yaml',
      plan.httpRoutes.map((route) => toYaml(route).trimEnd()).join('\n---\n'),
      '```',
      '',
    );
    state = { ...state, httpRoutes: plan.httpRoutes };
  }
  return parts.join('\n').trimEnd();
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
    const options = parseStageOptions({ service: 'reviews', stable: 'v1', canary: 'v2', ...raw });
    const plan = planStage(options, state);
    const written = plan.objects
      .map((object) => object.after)
      .filter((after): after is VirtualService => after.kind === 'VirtualService');
    state = {
      virtualServices: state.virtualServices.map(
        (vs) => written.find((after) => after.metadata.name === vs.metadata.name) ?? vs,
      ),
      destinationRules: state.destinationRules,
    };
    const flags = Object.entries(raw)
      .filter(([name]) => name !== 'stage')
      .map(([name, value]) => ` --${name} ${value}`)
      .join('');
    const moved = plan.routes.map((route) => `${route.object} (${route.match})`).join(', ');
    parts.push(block(`After \`${raw.stage}${flags}\` (moves ${moved}):`, edge(state)));
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
