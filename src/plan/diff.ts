// A unified diff of the YAML of each object before → after, for logs, job summaries and dry runs.
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { KUBECTL_WRITE } from './kubectl-yaml.js';
import { cleanObject, resourceName } from './objects.js';
import type { RoutingObject } from './types.js';

/** The object as YAML that kubectl (YAML 1.1) and YAML 1.2 readers read alike. */
export function toYaml(object: RoutingObject): string {
  return stringify(cleanObject(object), KUBECTL_WRITE);
}

/** Multi-document YAML, documents separated by `---`. */
export function toYamlDocuments(objects: RoutingObject[]): string {
  return objects.map(toYaml).join('---\n');
}

export function objectDiff(
  before: RoutingObject | undefined,
  after: RoutingObject,
  namespace: string,
): string {
  const name = resourceName(after, namespace);
  const [old, next] = [before ? toYaml(before) : '', toYaml(after)];
  if (old === next) return '';
  const patch = createTwoFilesPatch(before ? name : '/dev/null', name, old, next, undefined, undefined, {
    context: 3,
  });
  // Drop the `Index:`/`====` preamble: the ---/+++ header names the object.
  return patch.replace(/^(?:Index:[^\n]*\n)?={3,}\n/, '');
}
