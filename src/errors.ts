// Every failure the user sees is one of these: one line with the cause and the remedy.

export type ErrorCode =
  | 'invalid-input'
  | 'check-failed'
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'istio-missing'
  | 'gateway-api-missing'
  | 'not-found'
  | 'conflict'
  | 'lease-held'
  | 'unhealthy'
  | 'timeout'
  | 'cancelled'
  | 'api-error';

export class CanaryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CanaryError';
    this.code = code;
  }
}

/** A bad option: names the field, the bad value and what is allowed. */
export class InputError extends CanaryError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid-input', message);
    this.name = 'InputError';
    this.field = field;
  }
}
