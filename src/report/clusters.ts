// What a release across clusters says, per cluster and as a whole: shared by the job summary, the text
// report, the step outputs and the warning `status` gives when the clusters disagree.
import type { ClusterResult, StageResult } from '../types.js';
import { yesNo } from './facts.js';
import { defaultSplit } from './routing.js';

const NONE = '—';

/** `v1 50 · v2 50`: the default route's split, or — when the cluster has none (or holds no routing). */
export function splitText(rows: StageResult['after']): string {
  const slices = defaultSplit(rows);
  return slices.length > 0 ? slices.map(({ subset, weight }) => `${subset} ${weight}`).join(' · ') : NONE;
}

/** The weight every routing cluster agrees on, or undefined when they differ. */
export function agreedWeight(
  clusters: ClusterResult[],
  pick: (result: StageResult) => number | undefined = (result) => result.weight,
): number | undefined {
  const weights = new Set(
    clusters.filter((cluster) => cluster.wave !== undefined).map((cluster) => pick(cluster.result)),
  );
  return weights.size === 1 ? [...weights][0] : undefined;
}

/** A warning when the clusters' routing for the service differs, naming each cluster's split. */
export function splitDrift(clusters: ClusterResult[]): string | undefined {
  const read = clusters.filter((cluster) => cluster.wave !== undefined && !cluster.result.error);
  const routes = new Set(read.map((cluster) => JSON.stringify(cluster.result.after)));
  if (routes.size <= 1) return undefined;
  const each = read.map((cluster) => `${cluster.cluster}: ${splitText(cluster.result.after)}`).join(', ');
  const what = agreedWeight(read) === undefined ? 'the split differs' : 'the routes differ';
  return `${what} across clusters (${each}): run the stage again with the same clusters to bring them in line`;
}

/** The health column: what happened in that cluster, in a word or two. */
export function outcomeText(cluster: ClusterResult): string {
  switch (cluster.outcome) {
    case 'healthy':
      return 'healthy';
    case 'read':
      return cluster.result.error ? 'unreadable' : 'read';
    case 'failed':
      return `failed: ${cluster.result.error?.message ?? 'unknown'}`;
    case 'stopped':
      return 'stopped';
    case 'not reached':
      return 'not reached';
  }
}

/** `no`, or `yes:` and what was put back (`restored VirtualService default/reviews`). */
function restoredText(restored: string[]): string {
  return restored.length > 0 ? `yes: ${restored.join(', ')}` : yesNo(false);
}

export interface ClusterRow {
  cluster: string;
  wave: string;
  split: string;
  health: string;
  restored: string;
}

/** One row per cluster, as both renderings lay it out. */
export function clusterRows(clusters: ClusterResult[]): ClusterRow[] {
  return clusters.map((cluster) => {
    const { result } = cluster;
    const routing = cluster.wave !== undefined;
    const before = splitText(result.before);
    const after = splitText(result.after);
    return {
      cluster: cluster.cluster,
      wave: routing ? String(cluster.wave) : 'workloads',
      split: !routing ? NONE : before === after ? after : `${before} → ${after}`,
      health: outcomeText(cluster),
      restored: !routing ? NONE : restoredText(cluster.restored),
    };
  });
}

/** The `clusters` output: per cluster, the split before and after, healthy, rolled back. */
export function clustersJson(result: StageResult): string {
  if (!result.clusters) return '';
  const split = (rows: StageResult['after']) =>
    Object.fromEntries(defaultSplit(rows).map(({ subset, weight }) => [subset, weight]));
  return JSON.stringify(
    result.clusters.map((cluster) => ({
      cluster: cluster.cluster,
      ...(cluster.wave !== undefined ? { wave: cluster.wave } : { workloads: true }),
      before: split(cluster.result.before),
      after: split(cluster.result.after),
      previousWeight: cluster.result.previousWeight,
      weight: cluster.result.weight,
      healthy: cluster.outcome === 'healthy' || (cluster.outcome === 'read' && !cluster.result.error),
      rolledBack: cluster.result.rolledBack,
      ...(cluster.result.error ? { error: cluster.result.error.message } : {}),
    })),
  );
}
