// The Gateway API inputs: defaults, and one line for each bad value.
import { InputError } from '../../src/errors.js';
import { parseStageOptions } from '../../src/options/index.js';
import type { RawOptions } from '../../src/options/index.js';

const base: RawOptions = {
  stage: 'route',
  service: 'reviews',
  stable: 'v1',
  canary: 'v2',
  'header-match': 'end-user=jason',
};

function messageOf(raw: RawOptions): string {
  try {
    parseStageOptions(raw);
  } catch (error) {
    if (error instanceof InputError) return `${error.field}: ${error.message}`;
    throw error;
  }
  throw new Error(`expected an InputError for ${JSON.stringify(raw)}`);
}

describe('routing-api and version-service', () => {
  it('default to auto and {service}-{version}', () => {
    const options = parseStageOptions(base);
    expect([options.routingApi, options.versionService]).toEqual(['auto', '{service}-{version}']);
    expect(
      parseStageOptions({ ...base, 'routing-api': 'gateway-api', 'version-service': 'rev-{version}' })
        .versionService,
    ).toBe('rev-{version}');
  });

  it.each<[RawOptions, string]>([
    [
      { 'routing-api': 'contour' },
      'routing-api: routing-api must be one of auto, istio, gateway-api, got "contour"',
    ],
    [
      { 'routing-api': 'gateway-api', 'sticky-cookie': 'canary' },
      'sticky-cookie: sticky-cookie cannot be used with routing-api gateway-api: the standard channel of Gateway API has no session persistence; remove sticky-cookie or use routing-api istio',
    ],
    [
      { 'routing-api': 'gateway-api', 'version-service': '{service}_{version}' },
      `version-service: version-service must give each version's Service a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters), got "{service}_{version}", which names the Service of v1 "reviews_v1"`,
    ],
    [
      { 'routing-api': 'gateway-api', 'version-service': '{version}-{service}', stable: '1', canary: '2' },
      `version-service: version-service must give each version's Service a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters), got "{version}-{service}", which names the Service of 1 "1-reviews"`,
    ],
    [
      { 'routing-api': 'gateway-api', 'version-service': '{service}-canary' },
      'version-service: version-service must give each version a Service of its own (put {version} in it), got "{service}-canary", which names every version\'s Service "reviews-canary"',
    ],
    [
      { 'routing-api': 'gateway-api', 'header-match': 'x-id: regex:(?=a)b' },
      'header-match regex: header-match regex must be an RE2 regular expression (no lookaround, no backreferences), got "(?=a)b"',
    ],
    [
      { 'routing-api': 'gateway-api', 'uri-prefix': '/reviews//v2' },
      `uri-prefix: uri-prefix must be a path an HTTPRoute accepts (letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes; no //, /./, /../, %2f or #), got "/reviews//v2"`,
    ],
  ])('refuses %j in one line', (raw, message) => {
    expect(messageOf({ ...base, ...raw })).toBe(message);
  });

  it('leaves Gateway API-only checks to the planner while the API is not chosen (auto)', () => {
    expect(
      parseStageOptions({ ...base, 'sticky-cookie': 'canary', 'version-service': '{service}_{version}' })
        .routingApi,
    ).toBe('auto');
  });
});
