// Errors thrown by Node's own modules may come from another realm (as under jest's VM modules), where
// `instanceof Error` is false: read them by shape.
export function errorShape(error: unknown): { message: string; code: string } {
  const record = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  return {
    message: typeof record.message === 'string' ? record.message : String(error),
    code: typeof record.code === 'string' ? record.code : '',
  };
}
