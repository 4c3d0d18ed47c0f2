// `clusters` and `workload-clusters`: which kubeconfig contexts a release goes through, in waves. Checked
// here as text (empty wave, a context named twice); whether each context exists is checked against the
// kubeconfig when it is loaded, still before anything is read or written.
import { InputError } from '../errors.js';

/** `canary-east\neast-2, west-1` → [['canary-east'], ['east-2', 'west-1']]: one wave per line. */
export function parseClusterWaves(text: string): string[][] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  // A block scalar's leading and trailing blank lines are layout, not waves.
  while (lines[0] === '') lines.shift();
  while (lines.at(-1) === '') lines.pop();
  const waves = lines.map((line) =>
    line
      .split(',')
      .map((context) => context.trim())
      .filter((context) => context !== ''),
  );
  checkClusterWaves(waves);
  return waves;
}

/** `a, b\nc` → ['a', 'b', 'c']: the workload clusters have no waves. */
export function parseContextList(field: string, text: string): string[] {
  const contexts = text
    .split(/[,\n]/)
    .map((context) => context.trim())
    .filter((context) => context !== '');
  checkNoRepeats(
    field,
    contexts.map((context) => ({ context, where: field })),
  );
  return contexts;
}

/** The waves as a library user may pass them too: no empty wave, no context twice. */
export function checkClusterWaves(waves: readonly (readonly string[])[]): void {
  if (waves.length === 0) {
    throw new InputError(
      'clusters',
      'clusters names no context: list kubeconfig contexts, one wave per line',
    );
  }
  const empty = waves.findIndex((wave) => wave.length === 0);
  if (empty >= 0) {
    throw new InputError(
      'clusters',
      `clusters: wave ${empty + 1} is empty: put at least one context on each line, or remove the line`,
    );
  }
  checkNoRepeats(
    'clusters',
    waves.flatMap((wave, index) => wave.map((context) => ({ context, where: `wave ${index + 1}` }))),
  );
}

function checkNoRepeats(field: string, entries: { context: string; where: string }[]): void {
  const seen = new Map<string, string>();
  for (const { context, where } of entries) {
    const first = seen.get(context);
    if (first !== undefined) {
      const places = first === where ? where : `${first} and ${where}`;
      throw new InputError(
        field,
        `${field}: context "${context}" is named twice (${places}): list each cluster once`,
      );
    }
    seen.set(context, where);
  }
}

/** `clusters` replaces `context`; `workload-clusters` only makes sense beside `clusters`. */
export function checkClusterCombination(
  clusters: string[][] | undefined,
  workloadClusters: string[] | undefined,
  context: string | undefined,
): void {
  if (clusters && context !== undefined) {
    throw new InputError(
      'context',
      'context and clusters both given: clusters names every context of the release; drop context',
    );
  }
  if (workloadClusters && !clusters) {
    throw new InputError(
      'workload-clusters',
      'workload-clusters needs clusters: name the cluster(s) holding the routing in clusters',
    );
  }
}
