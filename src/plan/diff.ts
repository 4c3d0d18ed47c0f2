// A unified diff of the YAML of each object before → after, for logs, job summaries and dry runs.
import { KUBECTL_WRITE } from './kubectl-yaml.js';
import { cleanObject, resourceName } from './objects.js';
import { createTwoFilesPatch, stringify } from './yaml-diff.js';
import type { KubeObject } from './objects.js';

/** The object as YAML that kubectl (YAML 1.1) and YAML 1.2 readers read alike. */
export function toYaml(object: KubeObject): string {
  return stringify(cleanObject(object), KUBECTL_WRITE);
}

/** Multi-document YAML, documents separated by `---`. */
export function toYamlDocuments(objects: KubeObject[]): string {
  return objects.map(toYaml).join('---\n');
}

/** The diff of one object; `after` undefined: the object is deleted. */
export function objectDiff(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  namespace: string,
): string {
  const shown = after ?? before;
  if (shown === undefined) return '';
  const name = resourceName(shown, namespace);
  const [old, next] = [before ? toYaml(before) : '', after ? toYaml(after) : ''];
  if (old === next) return '';
  const patch = createTwoFilesPatch(
    before ? name : '/dev/null',
    after ? name : '/dev/null',
    old,
    next,
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop the `Index:`/`====` preamble: the ---/+++ header names the object.
  return patch.replace(/^(?:Index:[^\n]*\n)?={3,}\n/, '');
}
