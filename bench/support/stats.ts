// Small figures helpers: medians, ratios and markdown tables for the printed results.

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) by linear interpolation between the order statistics (R's type 7, numpy's default). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export interface Spread {
  median: number;
  /** first and third quartiles: the interquartile range */
  q1: number;
  q3: number;
}

export function spread(values: number[]): Spread {
  return { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) };
}

/** "2.61× (IQR 2.40–2.85×)" */
export function ratioSpread(s: Spread): string {
  return `${s.median.toFixed(2)}× (IQR ${s.q1.toFixed(2)}–${s.q3.toFixed(2)}×)`;
}

/** "212 ms (IQR 190–240 ms)" */
export function msSpread(s: Spread): string {
  return `${ms(s.median)} (IQR ${ms(s.q1).replace(' ms', '')}–${ms(s.q3)})`;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

/** "met" / "missed by …": a target line for the report, never an assertion. */
export function verdict(met: boolean, shortfall: string): string {
  return met ? 'met' : `missed (${shortfall})`;
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
