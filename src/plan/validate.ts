// Field checks shared by the planner and the option parser, so the action, the CLI and library callers all
// get the same one-line message: `<field> must be <what is allowed>, got "<bad value>"`.
import { RE2JS } from 're2js';
import { InputError } from '../errors.js';
import { STAGES } from './types.js';
import type { HeaderMatch, HeaderMatchKind, Stage, StageOptions } from './types.js';

export const HEADER_MATCH_KINDS: readonly HeaderMatchKind[] = ['exact', 'prefix', 'regex'];
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// An HTTP token (RFC 9110) in lower case: Envoy compares header names in lower case, so an upper-case
// name in a match could never be met.
const LOWERCASE_HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
// RFC 6265 cookie-name: a token.
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export const DNS1123_LABEL_RULE =
  "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";
const DNS1123_SUBDOMAIN_RULE =
  "a DNS-1123 name (lowercase letters, digits, '-' and '.', at most 253 characters)";
export const WEIGHT_RULE = 'an integer 0–100';

/** Throws the one-line message every check uses. */
export function invalid(field: string, allowed: string, value: unknown): never {
  throw new InputError(field, `${field} must be ${allowed}, got ${JSON.stringify(String(value))}`);
}

/** Throws when a stage needs an option that was not given. */
export function required(field: string, stage: string, allowed: string): never {
  throw new InputError(field, `${field} is required for stage ${stage}: ${allowed}`);
}

export function checkStage(value: string): Stage {
  const stage = STAGES.find((known) => known === value);
  if (!stage) invalid('stage', `one of ${STAGES.join(', ')}`, value);
  return stage;
}

export function checkDnsLabel(field: string, value: string): string {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) invalid(field, DNS1123_LABEL_RULE, value);
  return value;
}

export function checkHost(field: string, value: string): string {
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) invalid(field, DNS1123_SUBDOMAIN_RULE, value);
  return value;
}

export function checkIntegerRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    invalid(field, `an integer ${min}–${max}`, value);
  return value;
}

export function checkWeight(field: string, value: number): number {
  return checkIntegerRange(field, value, 0, 100);
}

export function checkPercent(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 100) invalid(field, 'a number 0–100', value);
  return value;
}

/** `progressive` steps: canary weights going up, each 1–100. */
export function checkSteps(field: string, steps: number[]): number[] {
  const allowed = 'increasing integers 1–100 separated by commas, like 10,25,50,100';
  if (steps.length === 0) invalid(field, allowed, '');
  steps.forEach((step, index) => {
    const previous = index > 0 ? steps[index - 1] : 0;
    if (!Number.isInteger(step) || step < 1 || step > 100 || (previous !== undefined && step <= previous)) {
      invalid(field, allowed, steps.join(','));
    }
  });
  return steps;
}

export function checkHeaderMatch(field: string, match: HeaderMatch): HeaderMatch {
  if (!LOWERCASE_HEADER_NAME.test(match.name)) {
    invalid(`${field} name`, "a lowercase header name (a-z, 0-9 and !#$%&'*+.^_`|~-)", match.name);
  }
  if (!HEADER_MATCH_KINDS.includes(match.kind)) {
    invalid(`${field} kind`, `one of ${HEADER_MATCH_KINDS.join(', ')}`, match.kind);
  }
  if (match.value === '') invalid(`${field} value`, `a non-empty value for header ${match.name}`, '');
  if (match.kind === 'regex') checkRe2(`${field} regex`, match.value);
  return match;
}

/** A header-match line as the user writes it: `name=value`, or `name: kind:value`. */
export function headerMatchLine(match: HeaderMatch): string {
  return match.kind === 'exact'
    ? `${match.name}=${match.value}`
    : `${match.name}: ${match.kind}:${match.value}`;
}

/**
 * Istio's match block holds one condition per header (`headers` is a map), so two lines on one header
 * cannot both be written: keeping the last would route requests the user did not ask for.
 */
export function checkDistinctHeaders(field: string, matches: HeaderMatch[]): HeaderMatch[] {
  for (const [index, match] of matches.entries()) {
    const twin = matches.slice(index + 1).find((other) => other.name === match.name);
    if (twin) {
      throw new InputError(
        field,
        `${field} has two lines for header "${match.name}" (${headerMatchLine(match)}, ${headerMatchLine(twin)}), and a match holds one condition per header: keep one line per header (one regex can accept several values, like ${match.name}: regex:a|b)`,
      );
    }
  }
  return matches;
}

/** Envoy evaluates regex matches with RE2: lookaround and backreferences are rejected there, so here too. */
export function checkRe2(field: string, pattern: string): string {
  try {
    RE2JS.compile(pattern);
  } catch {
    invalid(field, 'an RE2 regular expression (no lookaround, no backreferences)', pattern);
  }
  return pattern;
}

export function checkUriPrefix(field: string, value: string): string {
  if (!/^\/\S*$/.test(value)) invalid(field, "a path starting with '/' and without spaces", value);
  return value;
}

export function checkMethod(field: string, value: string): string {
  if (!HTTP_METHODS.includes(value)) invalid(field, `one of ${HTTP_METHODS.join(', ')}`, value);
  return value;
}

/** A gateway reference as Istio takes it: `mesh`, `name` or `namespace/name`. */
export function checkGateway(field: string, value: string): string {
  const parts = value.split('/');
  const [namespace, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  const validName = name !== undefined && name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
  const validNamespace = namespace === undefined || (namespace.length <= 63 && DNS1123_LABEL.test(namespace));
  if (parts.length > 2 || !validName || !validNamespace) {
    invalid(field, "a gateway name, 'namespace/name' or 'mesh'", value);
  }
  return value;
}

export function checkCookieName(field: string, value: string): string {
  if (!COOKIE_NAME.test(value)) invalid(field, "a cookie name (letters, digits and !#$%&'*+.^_`|~-)", value);
  return value;
}

/**
 * Checks every field of already-typed stage options and the requirements of the chosen stage. Both the
 * planner and the option parser call it, so a library caller gets the same messages as an action user.
 */
export function validateStageOptions(options: StageOptions): StageOptions {
  checkStage(options.stage);
  checkDnsLabel('service', options.service);
  checkDnsLabel('namespace', options.namespace);
  checkHost('host', options.host);
  checkDnsLabel('stable', options.stable);
  checkDnsLabel('canary', options.canary);
  if (options.stable === options.canary)
    invalid('canary', `a subset other than stable (${options.stable})`, options.canary);
  checkVersionLabel(options.versionLabel);
  if (options.weight !== undefined) checkWeight('weight', options.weight);
  options.headerMatch.forEach((match) => checkHeaderMatch('header-match', match));
  checkDistinctHeaders('header-match', options.headerMatch);
  if (options.uriPrefix !== undefined) checkUriPrefix('uri-prefix', options.uriPrefix);
  if (options.method !== undefined) checkMethod('method', options.method);
  const scoped = options.uriPrefix !== undefined || options.method !== undefined;
  if (scoped && options.headerMatch.length === 0) {
    throw new InputError(
      options.uriPrefix !== undefined ? 'uri-prefix' : 'method',
      `${options.uriPrefix !== undefined ? 'uri-prefix' : 'method'} scopes the header route and needs header-match: add a header-match line`,
    );
  }
  options.gateways.forEach((gateway) => checkGateway('gateways', gateway));
  options.virtualServices?.forEach((name) => checkHost('virtual-services', name));
  if (options.mirrorPercent !== undefined) checkPercent('mirror-percent', options.mirrorPercent);
  if (options.stickyCookie !== undefined) checkCookieName('sticky-cookie', options.stickyCookie);
  if (options.stickyCookieTtlSeconds !== undefined) {
    checkIntegerRange('sticky-cookie ttl', options.stickyCookieTtlSeconds, 0, 31_536_000);
  }
  if (options.steps !== undefined) checkSteps('steps', options.steps);
  checkStageRequirements(options);
  return options;
}

/** A label key: an optional DNS-1123 prefix and `/`, then a name of up to 63 characters. */
function checkVersionLabel(value: string): void {
  const allowed = "a label key like 'version' or 'example.com/version'";
  const parts = value.split('/');
  const name = parts[parts.length - 1] ?? '';
  const prefix = parts.length === 2 ? parts[0] : undefined;
  const validName = name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
  const validPrefix = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
  if (parts.length > 2 || !validName || !validPrefix) invalid('version-label', allowed, value);
}

function checkStageRequirements(options: StageOptions): void {
  if (options.stage === 'shift' && options.weight === undefined) required('weight', 'shift', WEIGHT_RULE);
  if (options.stage === 'route' && options.headerMatch.length === 0) {
    required('header-match', 'route', 'one or more lines of name=value');
  }
  if (options.stage === 'progressive' && options.steps === undefined) {
    required('steps', 'progressive', 'canary weights like 10,25,50,100');
  }
}
