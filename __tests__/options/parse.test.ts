import { InputError } from '../../src/errors.js';
import {
  OPTION_DEFINITIONS,
  parseDuration,
  parseRunOptions,
  parseStageOptions,
} from '../../src/options/index.js';
import type { RawOptions } from '../../src/options/index.js';

const base: RawOptions = { stage: 'shift', service: 'reviews', stable: 'v1', canary: 'v2', weight: '50' };

function errorOf(raw: RawOptions): InputError {
  try {
    parseRunOptions(raw);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`expected an InputError for ${JSON.stringify(raw)}`);
}

describe('parseRunOptions', () => {
  it('fills the documented defaults', () => {
    const options = parseRunOptions(base);
    expect(options).toEqual({
      stage: 'shift',
      service: 'reviews',
      namespace: 'default',
      host: 'reviews',
      stable: 'v1',
      canary: 'v2',
      weight: 50,
      headerMatch: [],
      uriPrefix: undefined,
      method: undefined,
      versionLabel: 'version',
      gateways: [],
      mirrorPercent: undefined,
      stickyCookie: undefined,
      stickyCookieTtlSeconds: undefined,
      steps: undefined,
      routingApi: 'auto',
      versionService: '{service}-{version}',
      kubeconfig: undefined,
      context: undefined,
      dryRun: false,
      timeoutSeconds: 300,
      settleSeconds: 5,
      intervalSeconds: 60,
      probe: undefined,
      analysis: undefined,
      rollbackOnFailure: true,
      deleteStable: false,
    });
  });

  it('treats empty inputs as absent, as the action passes them', () => {
    expect(parseRunOptions({ ...base, namespace: '', 'dry-run': '', host: '' }).namespace).toBe('default');
  });

  it('reads every header-match form, AND-ed in order', () => {
    const options = parseStageOptions({
      ...base,
      stage: 'route',
      'header-match': 'end-user=test-user\nx-group: prefix:beta\n\nx-id: regex:^[0-9]+$\nx-env: exact:a=b',
      'uri-prefix': '/api',
      method: 'GET',
    });
    expect(options.headerMatch).toEqual([
      { name: 'end-user', kind: 'exact', value: 'test-user' },
      { name: 'x-group', kind: 'prefix', value: 'beta' },
      { name: 'x-id', kind: 'regex', value: '^[0-9]+$' },
      { name: 'x-env', kind: 'exact', value: 'a=b' },
    ]);
    expect(options.uriPrefix).toBe('/api');
    expect(options.method).toBe('GET');
  });

  it('reads lists, steps, durations, booleans, probe and analysis', () => {
    const options = parseRunOptions({
      ...base,
      stage: 'progressive',
      steps: '10, 25,50,100',
      gateways: 'bookinfo-gateway, mesh\nistio-system/public',
      interval: '2m',
      timeout: '1m30s',
      settle: '30',
      'dry-run': 'true',
      'rollback-on-failure': 'False',
      'delete-stable': 'TRUE',
      'mirror-percent': '12.5',
      'sticky-cookie': 'canary:30m',
      'probe-url': 'https://reviews.example.com/health',
      'probe-headers': 'end-user: test-user\nX-Trace: 1',
      'probe-successes': '5',
      'probe-failures': '2',
      'probe-interval': '2s',
      'prometheus-url': 'http://prometheus:9090',
      'min-success-rate': '0.99',
      'max-latency-ms': '250',
      'analysis-interval': '30s',
      'analysis-runs': '4',
      'allow-no-data': 'true',
    });
    expect(options.steps).toEqual([10, 25, 50, 100]);
    expect(options.gateways).toEqual(['bookinfo-gateway', 'mesh', 'istio-system/public']);
    expect([options.intervalSeconds, options.timeoutSeconds, options.settleSeconds]).toEqual([120, 90, 30]);
    expect([options.dryRun, options.rollbackOnFailure, options.deleteStable]).toEqual([true, false, true]);
    expect(options.mirrorPercent).toBe(12.5);
    expect([options.stickyCookie, options.stickyCookieTtlSeconds]).toEqual(['canary', 1800]);
    expect(options.probe).toEqual({
      url: 'https://reviews.example.com/health',
      headers: { 'end-user': 'test-user', 'X-Trace': '1' },
      successes: 5,
      failures: 2,
      intervalSeconds: 2,
    });
    expect(options.analysis).toEqual({
      prometheusUrl: 'http://prometheus:9090',
      minSuccessRate: 0.99,
      maxLatencyMs: 250,
      intervalSeconds: 30,
      runs: 4,
      allowNoData: true,
      reporter: 'destination',
      versionLabel: 'destination_version',
    });
  });

  it('turns the comparison with the stable on when an allowed increase is given', () => {
    const options = parseRunOptions({
      ...base,
      'prometheus-url': 'http://prometheus:9090',
      'max-error-rate-increase': '1',
      'analysis-interval': '10s',
      'analysis-reporter': 'waypoint',
      'analysis-version-label': 'destination_service_name',
    });
    expect(options.analysis).toEqual({
      prometheusUrl: 'http://prometheus:9090',
      minSuccessRate: undefined,
      maxLatencyMs: undefined,
      intervalSeconds: 10,
      runs: 3,
      allowNoData: false,
      reporter: 'waypoint',
      versionLabel: 'destination_service_name',
      comparison: {
        maxErrorRateIncrease: 1,
        maxLatencyIncrease: undefined,
        confidence: 0.95,
        maxDurationSeconds: 300,
        onInconclusive: 'fail',
      },
    });
    const both = parseRunOptions({
      ...base,
      'prometheus-url': 'http://p',
      'min-success-rate': '0.99',
      'max-latency-increase': '20',
      'analysis-confidence': '0.99',
      'analysis-max-duration': '2m',
      'on-inconclusive': 'pass',
    }).analysis;
    expect(both).toMatchObject({
      minSuccessRate: 0.99,
      comparison: {
        maxLatencyIncrease: 20,
        confidence: 0.99,
        maxDurationSeconds: 120,
        onInconclusive: 'pass',
      },
    });
  });

  it.each([
    ['30', 30],
    ['30s', 30],
    ['2m', 120],
    ['1h', 3600],
    ['1h2m3s', 3723],
  ])('reads the duration %s as %i seconds', (text, seconds) => {
    expect(parseDuration('interval', text)).toBe(seconds);
  });

  const badInputs: [string, RawOptions, string, string][] = [
    [
      'stage missing',
      { ...base, stage: undefined },
      'stage',
      'stage is required: one of route, shift, promote, rollback, finalize, progressive, status',
    ],
    [
      'unknown stage',
      { ...base, stage: 'deploy' },
      'stage',
      'stage must be one of route, shift, promote, rollback, finalize, progressive, status, got "deploy"',
    ],
    ['weight too big', { ...base, weight: '150' }, 'weight', 'weight must be an integer 0–100, got "150"'],
    [
      'weight not a number',
      { ...base, weight: 'half' },
      'weight',
      'weight must be an integer 0–100, got "half"',
    ],
    ['weight fraction', { ...base, weight: '12.5' }, 'weight', 'weight must be an integer 0–100, got "12.5"'],
    ['weight negative', { ...base, weight: '-1' }, 'weight', 'weight must be an integer 0–100, got "-1"'],
    [
      'shift without weight',
      { ...base, weight: undefined },
      'weight',
      'weight is required for stage shift: an integer 0–100',
    ],
    [
      'route without header-match',
      { ...base, stage: 'route' },
      'header-match',
      'header-match is required for stage route: one or more lines of name=value',
    ],
    [
      'progressive without steps',
      { ...base, stage: 'progressive' },
      'steps',
      'steps is required for stage progressive: canary weights like 10,25,50,100',
    ],
    ['service missing', { ...base, service: undefined }, 'service', 'service is required for stage shift'],
    ['stable missing', { ...base, stable: '' }, 'stable', 'stable is required for stage shift'],
    [
      'service upper case',
      { ...base, service: 'Reviews' },
      'service',
      `service must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got "Reviews"`,
    ],
    [
      'canary with a dot',
      { ...base, canary: 'v2.1' },
      'canary',
      `canary must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got "v2.1"`,
    ],
    [
      'namespace too long',
      { ...base, namespace: 'n'.repeat(64) },
      'namespace',
      `namespace must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), got "${'n'.repeat(64)}"`,
    ],
    [
      'same stable and canary',
      { ...base, canary: 'v1' },
      'canary',
      'canary must be a subset other than stable (v1), got "v1"',
    ],
    [
      'bad host',
      { ...base, host: 'Reviews_svc' },
      'host',
      `host must be a DNS-1123 name (lowercase letters, digits, '-' and '.', at most 253 characters), got "Reviews_svc"`,
    ],
    [
      'bad version-label',
      { ...base, 'version-label': 'a/b/c' },
      'version-label',
      `version-label must be a label key like 'version' or 'example.com/version', got "a/b/c"`,
    ],
    [
      'header-match line without form',
      { ...base, 'header-match': 'end-user test-user' },
      'header-match',
      'header-match must be lines of name=value, name: exact:value, name: prefix:value or name: regex:value, got "end-user test-user"',
    ],
    [
      'header-match unknown kind',
      { ...base, 'header-match': 'end-user: suffix:x' },
      'header-match',
      'header-match must be lines of name=value, name: exact:value, name: prefix:value or name: regex:value, got "end-user: suffix:x"',
    ],
    [
      'header-match twice on one header',
      { ...base, 'header-match': 'end-user=test-user\nx-group: prefix:beta\nend-user: regex:qa-.*' },
      'header-match',
      'header-match has two lines for header "end-user" (end-user=test-user, end-user: regex:qa-.*), and a match holds one condition per header: keep one line per header (one regex can accept several values, like end-user: regex:a|b)',
    ],
    [
      'header-match upper case name',
      { ...base, 'header-match': 'End-User=jason' },
      'header-match name',
      `header-match name must be a lowercase header name (a-z, 0-9 and !#$%&'*+.^_\`|~-), got "End-User"`,
    ],
    [
      'header-match empty value',
      { ...base, 'header-match': 'end-user=' },
      'header-match value',
      'header-match value must be a non-empty value for header end-user, got ""',
    ],
    [
      'header-match lookahead',
      { ...base, 'header-match': 'end-user: regex:(?=x)' },
      'header-match regex',
      'header-match regex must be an RE2 regular expression (no lookaround, no backreferences), got "(?=x)"',
    ],
    [
      'header-match backreference',
      { ...base, 'header-match': 'end-user: regex:(a)\\1' },
      'header-match regex',
      'header-match regex must be an RE2 regular expression (no lookaround, no backreferences), got "(a)\\\\1"',
    ],
    [
      'uri-prefix without slash',
      { ...base, 'header-match': 'a=b', 'uri-prefix': 'api' },
      'uri-prefix',
      `uri-prefix must be a path starting with '/' and without spaces, got "api"`,
    ],
    [
      'uri-prefix without header-match',
      { ...base, 'uri-prefix': '/api' },
      'uri-prefix',
      'uri-prefix scopes the header route and needs header-match: add a header-match line',
    ],
    [
      'method lower case',
      { ...base, 'header-match': 'a=b', method: 'get' },
      'method',
      'method must be one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE, got "get"',
    ],
    [
      'steps not increasing',
      { ...base, steps: '10,50,25' },
      'steps',
      'steps must be increasing integers 1–100 separated by commas, like 10,25,50,100, got "10,50,25"',
    ],
    [
      'steps over 100',
      { ...base, steps: '50,150' },
      'steps',
      'steps must be increasing integers 1–100 separated by commas, like 10,25,50,100, got "50,150"',
    ],
    [
      'steps not numbers',
      { ...base, steps: '10,half' },
      'steps',
      'steps must be increasing integers 1–100 separated by commas, like 10,25,50,100, got "10,half"',
    ],
    [
      'bad gateway',
      { ...base, gateways: 'a/b/c' },
      'gateways',
      `gateways must be a gateway name, 'namespace/name' or 'mesh', got "a/b/c"`,
    ],
    [
      'mirror over 100',
      { ...base, 'mirror-percent': '101' },
      'mirror-percent',
      'mirror-percent must be a number 0–100, got "101"',
    ],
    [
      'bad cookie name',
      { ...base, 'sticky-cookie': 'a b' },
      'sticky-cookie',
      `sticky-cookie must be a cookie name (letters, digits and !#$%&'*+.^_\`|~-), got "a b"`,
    ],
    [
      'bad cookie ttl',
      { ...base, 'sticky-cookie': 'c:soon' },
      'sticky-cookie ttl',
      'sticky-cookie ttl must be a duration like 30, 30s, 2m or 1h, got "soon"',
    ],
    [
      'bad duration',
      { ...base, interval: '2 minutes' },
      'interval',
      'interval must be a duration like 30, 30s, 2m or 1h, got "2 minutes"',
    ],
    [
      'a wait beyond a job',
      { ...base, timeout: '6h0m1s' },
      'timeout',
      `timeout must be a duration like 30, 30s, 2m or 1h, at most 6h (a GitHub-hosted job's limit), got "6h0m1s"`,
    ],
    ['bad boolean', { ...base, 'dry-run': 'yes' }, 'dry-run', 'dry-run must be true or false, got "yes"'],
    [
      'bad probe url',
      { ...base, 'probe-url': 'ftp://x' },
      'probe-url',
      'probe-url must be an http(s) URL, got "ftp://x"',
    ],
    [
      'probe headers without url',
      { ...base, 'probe-headers': 'a: b' },
      'probe-headers',
      'probe-headers needs probe-url: add probe-url',
    ],
    [
      'bad probe header',
      { ...base, 'probe-url': 'http://x', 'probe-headers': 'a=b' },
      'probe-headers',
      'probe-headers must be lines of name: value, got "a=b"',
    ],
    [
      'probe-successes zero',
      { ...base, 'probe-successes': '0' },
      'probe-successes',
      'probe-successes must be an integer 1–1000, got "0"',
    ],
    [
      'success rate as percent',
      { ...base, 'prometheus-url': 'http://p', 'min-success-rate': '99' },
      'min-success-rate',
      'min-success-rate must be a number 0–1, like 0.99, got "99"',
    ],
    [
      'latency zero',
      { ...base, 'prometheus-url': 'http://p', 'max-latency-ms': '0' },
      'max-latency-ms',
      'max-latency-ms must be a positive number of milliseconds, got "0"',
    ],
    [
      'threshold without prometheus',
      { ...base, 'max-latency-ms': '200' },
      'max-latency-ms',
      'max-latency-ms needs prometheus-url: add prometheus-url',
    ],
    [
      'prometheus without threshold',
      { ...base, 'prometheus-url': 'http://p' },
      'prometheus-url',
      'prometheus-url needs min-success-rate, max-latency-ms, max-error-rate-increase or max-latency-increase: add at least one',
    ],
    [
      'comparison without prometheus',
      { ...base, 'max-error-rate-increase': '1' },
      'max-error-rate-increase',
      'max-error-rate-increase needs prometheus-url: add prometheus-url',
    ],
    [
      'error increase as a share',
      { ...base, 'prometheus-url': 'http://p', 'max-error-rate-increase': '-0.01' },
      'max-error-rate-increase',
      'max-error-rate-increase must be percentage points 0–99, like 1, got "-0.01"',
    ],
    [
      'confidence as percent',
      { ...base, 'prometheus-url': 'http://p', 'max-latency-increase': '20', 'analysis-confidence': '95' },
      'analysis-confidence',
      'analysis-confidence must be a number 0.5–0.9999, like 0.95, got "95"',
    ],
    [
      'zero max duration',
      { ...base, 'prometheus-url': 'http://p', 'max-latency-increase': '20', 'analysis-max-duration': '0s' },
      'analysis-max-duration',
      'analysis-max-duration must be at least 1s, like 5m, got "0s"',
    ],
    [
      'unknown reporter',
      { ...base, 'prometheus-url': 'http://p', 'max-latency-increase': '20', 'analysis-reporter': 'source' },
      'analysis-reporter',
      'analysis-reporter must be one of destination, waypoint, got "source"',
    ],
    [
      'unknown on-inconclusive',
      { ...base, 'prometheus-url': 'http://p', 'max-latency-increase': '20', 'on-inconclusive': 'retry' },
      'on-inconclusive',
      'on-inconclusive must be one of fail, pass, got "retry"',
    ],
    [
      'analysis-runs zero',
      { ...base, 'analysis-runs': '0' },
      'analysis-runs',
      'analysis-runs must be an integer 1–1000, got "0"',
    ],
  ];

  it.each(badInputs)('rejects %s with one line naming the field', (_case, raw, field, message) => {
    const error = errorOf(raw);
    expect(error.message).toBe(message);
    expect(error.field).toBe(field);
    expect(error.code).toBe('invalid-input');
    expect(error.message).not.toContain('\n');
  });

  it('rejects an unknown option, listing the known ones', () => {
    const error = errorOf({ ...base, wieght: '50' });
    expect(error.field).toBe('wieght');
    expect(error.message).toBe(
      `unknown option "wieght": known options are ${OPTION_DEFINITIONS.map((d) => d.name).join(', ')}`,
    );
  });
});

describe('OPTION_DEFINITIONS', () => {
  it('names every option once, in kebab-case, with a description', () => {
    const names = OPTION_DEFINITIONS.map((definition) => definition.name);
    expect(new Set(names).size).toBe(names.length);
    for (const definition of OPTION_DEFINITIONS) {
      expect(definition.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(definition.description.length).toBeGreaterThan(10);
    }
  });

  it('has defaults the parser accepts and applies', () => {
    const withDefaults: RawOptions = { ...base };
    for (const definition of OPTION_DEFINITIONS) {
      if (definition.default !== undefined) withDefaults[definition.name] = definition.default;
    }
    expect(parseRunOptions(withDefaults)).toEqual(parseRunOptions(base));
  });
});
