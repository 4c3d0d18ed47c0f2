// Paired, interleaved measurement: the contenders run in turn within each round (ours, theirs, ours,
// theirs …), so that a busy machine slows both sides of a pair alike; the figure that counts is the median of
// the per-round ratios with its interquartile range, with the absolute times beside it.
//
//   const result = await interleave(10, { ours: () => timeOurs(), theirs: () => timeTheirs() });
//   const speedup = pairedRatio(result, 'theirs', 'ours'); // theirs / ours, per round
//   console.log(ratioSpread(speedup), msSpread(result.spread.ours));
import { spread, type Spread } from './stats.js';

/** One measurement: the time in ms, or an object with the time and whatever else the caller keeps. */
export type Measure = () => Promise<number | { ms: number }>;

/** What a contender's measurements are kept as: `{ ms }` for a bare time, else the object it returned. */
export type SampleOf<M> = M extends () => Promise<infer R> ? (R extends number ? { ms: number } : R) : never;

export interface Interleaved<C extends Record<string, Measure>> {
  rounds: number;
  /** every measurement of each contender, in round order */
  samples: { [K in keyof C]: SampleOf<C[K]>[] };
  /** the times of each contender, in round order */
  times: Record<keyof C, number[]>;
  spread: Record<keyof C, Spread>;
}

export interface InterleaveOptions {
  /** rounds run first and thrown away (caches, JIT, connections); 1 unless told */
  warmup?: number;
  /** called before every measurement, outside the timing (e.g. put the cluster back to its seed) */
  before?: (name: string) => void | Promise<void>;
}

/** Runs `rounds` rounds; in each, every contender once, in the order the object lists them. */
export async function interleave<C extends Record<string, Measure>>(
  rounds: number,
  contenders: C,
  options: InterleaveOptions = {},
): Promise<Interleaved<C>> {
  const names = Object.keys(contenders) as (keyof C & string)[];
  const samples = Object.fromEntries(names.map((name) => [name, []])) as unknown as Interleaved<C>['samples'];
  const warmup = options.warmup ?? 1;
  for (let round = 0; round < warmup + rounds; round++) {
    for (const name of names) {
      await options.before?.(name);
      const measured = await contenders[name]!();
      const sample = typeof measured === 'number' ? { ms: measured } : measured;
      if (round >= warmup) (samples[name] as { ms: number }[]).push(sample);
    }
  }
  const times = Object.fromEntries(
    names.map((name) => [name, (samples[name] as { ms: number }[]).map((s) => s.ms)]),
  ) as Record<keyof C, number[]>;
  const spreads = Object.fromEntries(names.map((name) => [name, spread(times[name])])) as Record<
    keyof C,
    Spread
  >;
  return { rounds, samples, times, spread: spreads };
}

/** The ratio numerator / denominator of each round, and their median and quartiles. */
export function pairedRatio<K extends PropertyKey>(
  result: { times: Record<K, number[]> },
  numerator: K,
  denominator: K,
): Spread & { ratios: number[] } {
  const a = result.times[numerator];
  const b = result.times[denominator];
  const ratios = a.map((value, i) => value / b[i]!);
  return { ...spread(ratios), ratios };
}
