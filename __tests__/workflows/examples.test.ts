// The example workflows and CI: valid for GitHub's workflow schema (@actions/workflow-parser, the parser of
// GitHub's own language services), and every use of this action passes only inputs action.yml declares and
// reads only outputs it sets. The parser's converted steps omit `with:`, so those are read with `yaml`.
import { readdirSync, readFileSync } from 'node:fs';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';
import { parseRunOptions } from '../../src/options/index.js';
import { STAGES } from '../../src/plan/types.js';

const ROOT = new URL('../../', import.meta.url);
const EXAMPLES = new URL('examples/workflows/', ROOT);
const OUR_ACTION = 'istio-canary/istio-canary@v1';

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  strategy?: { 'fail-fast'?: boolean; 'max-parallel'?: number; matrix?: Record<string, unknown[]> };
  needs?: string | string[];
  if?: string;
  environment?: string;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { types?: string[]; inputs?: Record<string, { type?: string; options?: unknown[] }> }>;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  jobs: Record<string, Job>;
}

const action = parse(readFileSync(new URL('action.yml', ROOT), 'utf8')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
};
const exampleFiles = readdirSync(EXAMPLES).filter((name) => name.endsWith('.yml'));
const read = (url: URL) => readFileSync(url, 'utf8');
const example = (name: string) => parse(read(new URL(name, EXAMPLES))) as Workflow;

function ourSteps(workflow: Workflow): { job: string; step: Step }[] {
  return Object.entries(workflow.jobs).flatMap(([job, { steps }]) =>
    steps.filter((step) => step.uses?.includes('istio-canary')).map((step) => ({ job, step })),
  );
}

async function schemaErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  if (parsed.value) await convertWorkflowTemplate(parsed.context, parsed.value);
  return parsed.context.errors.getErrors().map((error) => error.message);
}

test('the schema check catches a misspelt key', async () => {
  const content = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n';
  expect(await schemaErrors('bad.yml', content)).toEqual([
    "bad.yml (Line: 5, Col: 5): Unexpected value 'stepz'",
  ]);
});

test('there are the five examples', () => {
  expect(exampleFiles.sort()).toEqual([
    'clusters-matrix.yml',
    'clusters-waves.yml',
    'pr-test-users.yml',
    'progressive.yml',
    'promote.yml',
  ]);
});

describe.each(exampleFiles)('examples/workflows/%s', (name) => {
  const workflow = example(name);

  test("passes GitHub's workflow schema", async () => {
    expect(await schemaErrors(name, read(new URL(name, EXAMPLES)))).toEqual([]);
  });

  test('uses this action by one reference, with a stage, and only inputs action.yml declares', () => {
    const steps = ourSteps(workflow);
    expect(steps.length).toBeGreaterThan(0);
    for (const { step } of steps) {
      expect(step.uses).toBe(OUR_ACTION);
      const inputs = Object.keys(step.with ?? {});
      expect(inputs.filter((input) => !(input in action.inputs))).toEqual([]);
      const stage = String(step.with?.stage);
      if (!stage.startsWith('${{')) expect(STAGES).toContain(stage);
    }
  });

  test('reads only outputs this action sets', () => {
    const text = read(new URL(name, EXAMPLES));
    const ids = new Set(
      ourSteps(workflow)
        .map(({ step }) => step.id)
        .filter(Boolean),
    );
    const references = [...text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)].filter(([, id]) =>
      ids.has(id),
    );
    expect(references.length).toBeGreaterThan(0);
    for (const [, , output] of references) expect(Object.keys(action.outputs)).toContain(output);
  });

  test('serialises runs per service', () => {
    expect(workflow.concurrency).toEqual({
      group: 'istio-canary-bookinfo-reviews',
      'cancel-in-progress': false,
    });
  });
});

test('pull-request example: routes test users on open/push, rolls back on close, comments', () => {
  const workflow = example('pr-test-users.yml');
  expect(workflow.on.pull_request?.types).toEqual(
    expect.arrayContaining(['opened', 'synchronize', 'closed']),
  );
  const byStage = Object.fromEntries(
    ourSteps(workflow).map(({ job, step }) => [String(step.with?.stage), job]),
  );
  expect(workflow.jobs[byStage.route ?? '']?.if).toBe("github.event.action != 'closed'");
  expect(workflow.jobs[byStage.rollback ?? '']?.if).toBe("github.event.action == 'closed'");
  const route = ourSteps(workflow).find(({ step }) => step.with?.stage === 'route')?.step;
  expect(route?.with?.['header-match']).toBe('end-user=test-user\n');
  expect(route?.with?.['github-token']).toBe('${{ github.token }}');
  const deploy = workflow.jobs[byStage.route ?? '']?.steps.findIndex((step) => step.run?.includes('kubectl'));
  expect(deploy).toBeGreaterThanOrEqual(0);
});

test('promotion example: a choice of 10/25/50/100/rollback/finalize behind an environment, mapped to a stage', () => {
  const workflow = example('promote.yml');
  expect(workflow.on.workflow_dispatch?.inputs?.step).toMatchObject({
    type: 'choice',
    options: ['10', '25', '50', '100', 'rollback', 'finalize'],
  });
  const [job] = Object.values(workflow.jobs);
  expect(job?.environment).toBe('production');
  const step = ourSteps(workflow)[0]?.step;
  expect(step?.with?.stage).toBe('${{ steps.choice.outputs.stage }}');
  expect(step?.with?.weight).toBe('${{ steps.choice.outputs.weight }}');
});

test('progressive example: one stage per job, each after the last healthy one, versions passed on as outputs', () => {
  const workflow = example('progressive.yml');
  const chain = ['test-users', 'shift-25', 'shift-50', 'promote'];
  const stages = chain.map((job) =>
    ourSteps(workflow)
      .filter((entry) => entry.job === job)
      .map(({ step }) => step),
  );
  expect(stages.map((steps) => steps.map((step) => [step.with?.stage, step.with?.weight]))).toEqual([
    [['route', undefined]],
    [['shift', 25]],
    [['shift', 50]],
    [['promote', undefined]],
  ]);
  chain.slice(1).forEach((job, index) => {
    const previous = chain[index] ?? '';
    expect(workflow.jobs[job]?.needs).toBe(previous);
    expect(workflow.jobs[job]?.if).toBe(`needs.${previous}.outputs.healthy == 'true'`);
    expect(stages[index + 1]?.[0]?.with?.canary).toBe(`\${{ needs.${previous}.outputs.canary }}`);
  });
  expect(workflow.jobs.rollback?.if).toBe('failure()');
});

test('clusters in waves: one step, the waves as the clusters input parses them, the per-cluster output read', () => {
  const workflow = example('clusters-waves.yml');
  const steps = ourSteps(workflow);
  expect(steps).toHaveLength(1);
  const step = steps[0]?.step;
  expect(step?.with?.context).toBeUndefined();
  const raw = Object.fromEntries(
    Object.entries(step?.with ?? {}).map(([name, value]) => [
      name,
      String(value).startsWith('${{') ? sample(name) : String(value),
    ]),
  );
  expect(parseRunOptions(raw).clusters).toEqual([['canary-east'], ['east-2', 'west-1']]);
  expect(read(new URL('clusters-waves.yml', EXAMPLES))).toContain('steps.release.outputs.clusters');
});

test('clusters as a matrix: one job per context, max-parallel, each step on its own context', () => {
  const workflow = example('clusters-matrix.yml');
  const [[jobName, job]] = Object.entries(workflow.jobs) as [[string, Job]];
  expect(job.strategy?.['max-parallel']).toBe(2);
  expect(job.strategy?.matrix?.cluster).toEqual(['canary-east', 'east-2', 'west-1', 'west-2']);
  const steps = ourSteps(workflow).filter((entry) => entry.job === jobName);
  expect(steps.map(({ step }) => [step.with?.context, step.with?.clusters])).toEqual([
    ['${{ matrix.cluster }}', undefined],
  ]);
});

/** A plausible value for an input a workflow fills from an expression. */
function sample(name: string): string {
  const values: Record<string, string> = { weight: '25', canary: 'v2', kubeconfig: '' };
  return values[name] ?? '';
}

describe('.github/workflows/ci.yml', () => {
  const url = new URL('.github/workflows/ci.yml', ROOT);
  test("passes GitHub's workflow schema and runs bash .ci/run on ubuntu-latest", async () => {
    expect(await schemaErrors('ci.yml', read(url))).toEqual([]);
    const workflow = parse(read(url)) as { jobs: Record<string, Job & { 'runs-on': string }> };
    const [job] = Object.values(workflow.jobs);
    expect(job?.['runs-on']).toBe('ubuntu-latest');
    expect(job?.steps.map((step) => step.run)).toContain('bash .ci/run');
  });
});
