// What both renderings say about a run, in plain words; markdown and text only differ in how they lay it out.
import type { StageResult } from '../types.js';

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** A weight as reported: `unknown` when the routing could not be read, never a number that was not read. */
export function weightText(weight: number | undefined): string {
  return weight === undefined ? 'unknown' : `${weight}`;
}

export function weightChange(result: StageResult): string {
  return result.previousWeight === result.weight
    ? weightText(result.weight)
    : `${weightText(result.previousWeight)} → ${weightText(result.weight)}`;
}

/** A run that failed before it could read the routing: there is no result to show, only the error. */
export function nothingRead(result: StageResult): boolean {
  return result.error !== undefined && result.weight === undefined && result.before.length === 0;
}

/** Whether the YAML shown is what was written, what would be, or what is. */
export function yamlLabel(result: StageResult): string {
  if (result.stage === 'status') return 'current';
  if (result.dryRun) return 'would be applied';
  if (result.rolledBack) return 'written, then rolled back';
  return result.changed ? 'applied' : 'unchanged';
}

export interface Notice {
  level: 'note' | 'warning' | 'failure';
  text: string;
}

/** The sentences a reader must not miss: dry run, rollback, failure, and what the rollback stages did. */
export function notices(result: StageResult): Notice[] {
  const list: Notice[] = [];
  if (result.dryRun)
    list.push({ level: 'note', text: 'Dry run: nothing was written; this is what would be applied.' });
  for (const note of result.notes ?? []) list.push({ level: 'warning', text: note });
  if (result.rolledBack) {
    const cause = result.error ? `${result.error.message} ` : '';
    list.push({
      level: 'warning',
      text: `Rolled back: ${cause}The ${restoredObjects(result)} restored to what they were before this run.`,
    });
  } else if (result.error) {
    list.push({ level: 'failure', text: `Failed: ${result.error.message}` });
  }
  for (const warning of result.warnings ?? []) list.push({ level: 'warning', text: warning });
  const leftAlone = (result.routes ?? []).filter(
    (route) => route.leftAlone && route.after.some(({ subset }) => subset === result.stable),
  );
  if (leftAlone.length > 0 && result.stage !== 'status') {
    const named = leftAlone.map(
      (route) => `${route.resource} ${route.match} (${route.leftAlone}): ${formatSplit(route.after)}`,
    );
    list.push({
      level: 'warning',
      text: `Left as they are, still sending to ${result.stable}: ${named.join('; ')}.`,
    });
  }
  if (!result.error && result.stage === 'rollback') {
    list.push({
      level: 'note',
      text: `All traffic is back on ${result.stable}; the canary header routes were removed.`,
    });
  }
  if (!result.error && result.stage === 'finalize') {
    list.push({
      level: 'note',
      text:
        result.routingApi === 'gateway-api'
          ? `All traffic is on ${result.canary}; no HTTPRoute rule this run moved sends to ${result.stable} any more.`
          : `All traffic is on ${result.canary}; the ${result.stable} subset was removed.`,
    });
  }
  return list;
}

/** What a restore puts back, in the routing API's words. */
function restoredObjects(result: StageResult): string {
  return result.routingApi === 'gateway-api'
    ? 'HTTPRoutes and version Services were'
    : 'VirtualService and DestinationRule were';
}

/** `v1 50, v2 50` */
export function formatSplit(split: { subset: string; weight: number }[]): string {
  return split.map(({ subset, weight }) => `${subset} ${weight}`).join(', ');
}

/** The routing objects' YAML worth showing (a read-only or failed run may have none). */
export function objectYamls(result: StageResult): { kind: string; yaml: string }[] {
  const several = (result.objects ?? []).filter(({ yaml }) => yaml.trim() !== '');
  if (several.length > 0) {
    // Named when another object of its kind is shown too (several VirtualServices, HTTPRoutes, Services).
    const named = (kind: string) => several.filter((object) => object.kind === kind).length > 1;
    return several.map(({ kind, name, yaml }) => ({ kind: named(kind) ? `${kind} ${name}` : kind, yaml }));
  }
  return [
    { kind: 'VirtualService', yaml: result.virtualServiceYaml },
    { kind: 'DestinationRule', yaml: result.destinationRuleYaml },
  ].filter(({ yaml }) => yaml.trim() !== '');
}
