// Option checks that only the Gateway API path has: what its standard channel cannot express, and what
// its CRDs would refuse (checked here so a bad value is one line before anything is written).
import { InputError } from '../../errors.js';
import { validateStageOptions } from '../validate.js';
import type { GatewayApiStageOptions } from './types.js';
import { checkVersionService } from './version-service.js';

// The HTTPRoute CRD's CEL rules on a PathPrefix value.
const PATH_CHARACTERS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
const PATH_FORBIDDEN = ['//', '/./', '/../', '%2f', '%2F', '#'];

export function checkGatewayPath(field: string, value: string): string {
  const bad =
    !PATH_CHARACTERS.test(value) ||
    PATH_FORBIDDEN.some((part) => value.includes(part)) ||
    value.endsWith('/..') ||
    value.endsWith('/.');
  if (bad) {
    throw new InputError(
      field,
      `${field} must be a path an HTTPRoute accepts (letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes; no //, /./, /../, %2f or #), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The checks of validateStageOptions, then those of the Gateway API path. */
export function validateGatewayApiOptions(options: GatewayApiStageOptions): GatewayApiStageOptions {
  validateStageOptions(options);
  if (options.stickyCookie !== undefined) {
    throw new InputError(
      'sticky-cookie',
      'sticky-cookie cannot be used with routing-api gateway-api: the standard channel of Gateway API has no session persistence; remove sticky-cookie or use routing-api istio',
    );
  }
  if (options.uriPrefix !== undefined) checkGatewayPath('uri-prefix', options.uriPrefix);
  checkVersionService(options.versionService, options.service, [options.stable, options.canary]);
  return options;
}
