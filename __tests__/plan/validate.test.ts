// The planner validates typed options itself (library callers skip the parser): same one-line messages.
import { InputError } from '../../src/errors.js';
import { planStage, validateStageOptions } from '../../src/plan/index.js';
import type { StageOptions } from '../../src/plan/index.js';
import { seedState, stageOptions } from './support.js';

const shift = (overrides: Partial<StageOptions>) =>
  stageOptions({ stage: 'shift', weight: 10, ...overrides });

describe('validateStageOptions on typed options', () => {
  it.each<[string, StageOptions, string, string]>([
    ['a fractional weight', shift({ weight: 12.5 }), 'weight', 'weight must be an integer 0–100, got "12.5"'],
    ['a negative weight', shift({ weight: -5 }), 'weight', 'weight must be an integer 0–100, got "-5"'],
    [
      'an unknown stage',
      shift({ stage: 'deploy' as StageOptions['stage'] }),
      'stage',
      'stage must be one of route, shift, promote, rollback, finalize, progressive, status, got "deploy"',
    ],
    [
      'an unknown header kind',
      shift({ headerMatch: [{ name: 'a', kind: 'suffix' as 'exact', value: 'x' }] }),
      'header-match kind',
      'header-match kind must be one of exact, prefix, regex, got "suffix"',
    ],
    [
      'a header name with a space',
      shift({ headerMatch: [{ name: 'end user', kind: 'exact', value: 'x' }] }),
      'header-match name',
      `header-match name must be a lowercase header name (a-z, 0-9 and !#$%&'*+.^_\`|~-), got "end user"`,
    ],
    [
      'a lookbehind, which RE2 rejects',
      shift({ headerMatch: [{ name: 'a', kind: 'regex', value: '(?<=x)y' }] }),
      'header-match regex',
      'header-match regex must be an RE2 regular expression (no lookaround, no backreferences), got "(?<=x)y"',
    ],
    [
      'decreasing steps',
      shift({ stage: 'progressive', steps: [50, 10] }),
      'steps',
      'steps must be increasing integers 1–100 separated by commas, like 10,25,50,100, got "50,10"',
    ],
    [
      'empty steps',
      shift({ stage: 'progressive', steps: [] }),
      'steps',
      'steps must be increasing integers 1–100 separated by commas, like 10,25,50,100, got ""',
    ],
    [
      'a negative mirror share',
      shift({ mirrorPercent: -1 }),
      'mirror-percent',
      'mirror-percent must be a number 0–100, got "-1"',
    ],
    [
      'a negative cookie ttl',
      shift({ stickyCookie: 'c', stickyCookieTtlSeconds: -1 }),
      'sticky-cookie ttl',
      'sticky-cookie ttl must be an integer 0–31536000, got "-1"',
    ],
    [
      'method without header-match',
      shift({ method: 'GET' }),
      'method',
      'method scopes the header route and needs header-match: add a header-match line',
    ],
    [
      'a gateway with upper case',
      shift({ gateways: ['Public'] }),
      'gateways',
      `gateways must be a gateway name, 'namespace/name' or 'mesh', got "Public"`,
    ],
    [
      'a subset name with underscore',
      shift({ stable: 'v_1' }),
      'stable',
      `stable must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got "v_1"`,
    ],
    [
      'a version label with spaces',
      shift({ versionLabel: 'my version' }),
      'version-label',
      `version-label must be a label key like 'version' or 'example.com/version', got "my version"`,
    ],
  ])('rejects %s', (_case, options, field, message) => {
    expect(() => validateStageOptions(options)).toThrow(new InputError(field, message));
    try {
      planStage(options, seedState());
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).field).toBe(field);
      expect((error as InputError).message).toBe(message);
      return;
    }
    throw new Error('planStage accepted invalid options');
  });

  it('accepts RE2 syntax, label keys with a prefix, gateways with a namespace and mesh', () => {
    const options = shift({
      headerMatch: [{ name: 'x-id', kind: 'regex', value: '^(?i)user-[0-9]{2,}$' }],
      versionLabel: 'app.kubernetes.io/version',
      gateways: ['istio-system/public', 'mesh'],
      steps: [1, 100],
    });
    expect(validateStageOptions(options)).toBe(options);
  });
});
