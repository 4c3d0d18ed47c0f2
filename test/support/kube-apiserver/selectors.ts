// labelSelector and fieldSelector query parameters, parsed as k8s.io/apimachinery/pkg/labels parses them.
import { badRequest } from './status.js';

type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

export type Matcher = (labels: Record<string, string>) => boolean;

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseRequirement(text: string): Requirement {
  const setMatch = /^([^\s!=(]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (setMatch) {
    const values = setMatch[3]!
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { key: setMatch[1]!, op: setMatch[2] as 'in' | 'notin', values };
  }
  const eqMatch = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$/.exec(text);
  if (eqMatch) {
    const op = eqMatch[2] === '!=' ? 'notin' : 'in';
    return { key: eqMatch[1]!, op, values: [eqMatch[3]!] };
  }
  const notExists = /^!\s*([^\s!=]+)$/.exec(text);
  if (notExists) return { key: notExists[1]!, op: '!exists' };
  if (/^[^\s!=(),]+$/.test(text)) return { key: text, op: 'exists' };
  throw badRequest(`unable to parse requirement: found '${text}', expected: identifier`);
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case 'in':
      return has && r.values.includes(labels[r.key]!);
    case 'notin':
      return !has || !r.values.includes(labels[r.key]!);
  }
}

export function labelMatcher(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  const requirements = splitTopLevel(selector).map(parseRequirement);
  return (labels) => requirements.every((r) => matches(r, labels));
}

/** The field selectors kube-apiserver supports beyond metadata.name and metadata.namespace, by kind. */
const FIELD_LABELS: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Namespace: ['status.phase'],
  ReplicaSet: ['status.replicas'],
};

function fieldValue(obj: Record<string, unknown>, path: string): string {
  let node: unknown = obj;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node === undefined || node === null ? '' : String(node);
}

/** fieldSelector with =, == and != on the fields the real server supports for the kind. */
export function fieldMatcher(
  selector: string | undefined,
  kind: string,
): (obj: Record<string, unknown>) => boolean {
  if (!selector) return () => true;
  const supported = ['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[kind] ?? [])];
  const checks = splitTopLevel(selector).map((text) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
    if (!m || !supported.includes(m[1]!)) throw badRequest(`field label not supported: ${m ? m[1] : text}`);
    const [, field, op, value] = m;
    return (obj: Record<string, unknown>) => (fieldValue(obj, field!) === value!.trim()) !== (op === '!=');
  });
  return (obj) => checks.every((c) => c(obj));
}

/** matchLabels/matchExpressions of a LabelSelector object, as Deployments and ReplicaSets carry. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export function selectorObjectMatcher(sel: LabelSelectorObject | undefined): Matcher {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {}))
    requirements.push({ key, op: 'in', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator];
    requirements.push(
      op === 'in' || op === 'notin' ? { key: e.key, op, values: e.values ?? [] } : { key: e.key, op },
    );
  }
  return (labels) => requirements.every((r) => matches(r, labels));
}
