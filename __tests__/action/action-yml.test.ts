import { readFileSync } from 'node:fs';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { parse } from 'yaml';
import { actionMetadata, inputDescription } from '../../src/action/action-yml.js';
import { ACTION_ONLY_INPUTS } from '../../src/action/inputs.js';
import { OUTPUT_DESCRIPTIONS } from '../../src/action/outputs.js';
import { OPTION_DEFINITIONS } from '../../src/options/index.js';

const text = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8');

function parsedAction() {
  const result = parseAction({ name: 'action.yml', content: text }, new NoOperationTraceWriter());
  expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
  if (!result.value) throw new Error('action.yml did not parse');
  return convertActionTemplate(result.context, result.value);
}

describe('action.yml', () => {
  test("is valid action metadata for the runner's node24 runtime, with no post step", () => {
    expect(parsedAction().runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  test('has exactly the option table as inputs, plus github-token and summary', () => {
    const inputs = parsedAction().inputs ?? [];
    expect(inputs.map((input) => input.id)).toEqual([
      ...OPTION_DEFINITIONS.map(({ name }) => name),
      'github-token',
      'summary',
    ]);
  });

  test("gives each input the table's description, allowed values and default", () => {
    const inputs = parse(text).inputs as Record<string, { description: string; default?: string }>;
    for (const definition of [...OPTION_DEFINITIONS, ...ACTION_ONLY_INPUTS]) {
      const input = inputs[definition.name];
      expect(input?.description).toBe(inputDescription(definition));
      expect(input?.default).toBe(definition.default);
      for (const value of definition.allowed ?? []) expect(input?.description).toContain(value);
    }
    expect(inputs['stage']?.description).toContain(
      'One of: route, shift, promote, rollback, finalize, progressive, status.',
    );
    expect(inputs['header-match']?.description).toContain('(Multi-line input.)');
  });

  test('has the outputs a workflow chains on', () => {
    expect((parsedAction().outputs ?? []).map((output) => output.id)).toEqual(
      Object.keys(OUTPUT_DESCRIPTIONS),
    );
    expect(Object.keys(OUTPUT_DESCRIPTIONS)).toEqual([
      'stage',
      'previous-weight',
      'weight',
      'stable',
      'canary',
      'changed',
      'healthy',
      'rolled-back',
      'analysis',
      'virtual-service',
      'destination-rule',
      'clusters',
      'routes',
    ]);
  });

  test('is what scripts/action-yml.mjs generates from the table (regenerate it when this fails)', () => {
    expect(parse(text)).toEqual(actionMetadata());
  });
});
