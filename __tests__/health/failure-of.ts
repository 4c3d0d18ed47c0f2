import { HealthCheckFailure } from '../../src/health/index.js';

/** The HealthCheckFailure a check rejects with; anything else (or success) fails the test. */
export async function failureOf(work: Promise<unknown>): Promise<HealthCheckFailure> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HealthCheckFailure))
    throw new Error(`expected a HealthCheckFailure, got ${String(error)}`);
  return error;
}
