// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which `kubectl get` asks for.
import type { PrinterColumn } from './crds.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',')[0]!.includes('as=Table');
}

function age(created: string | undefined): string {
  if (!created) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

interface Column {
  name: string;
  type: string;
  cell: (o: KubeObject) => string | number | null;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/**
 * The values a CRD printer column's JSONPath selects: `.a.b`, `[*]` and `[?(@.type=="X")]`, which is what
 * the served CRDs use.
 */
function select(node: unknown, jsonPath: string): unknown[] {
  let nodes = [node];
  for (const [, name, filter] of jsonPath.matchAll(/\.([^.[]+)|\[([^\]]*)\]/g)) {
    if (name !== undefined) {
      nodes = nodes.map((n) => (n as Record<string, unknown> | undefined)?.[name]);
    } else if (filter === '*') {
      nodes = nodes.flatMap((n) => (Array.isArray(n) ? n : []));
    } else {
      const m = /^\?\(@\.(\w+)=="([^"]*)"\)$/.exec(filter ?? '');
      nodes = nodes.flatMap((n) =>
        Array.isArray(n) ? n.filter((x) => m && (x as Record<string, unknown>)?.[m[1]!] === m[2]) : [],
      );
    }
    nodes = nodes.filter((n) => n !== undefined && n !== null);
  }
  return nodes;
}

/** A printer column's cell: a string column shows arrays and objects as JSON, as kube-apiserver does. */
function customColumn(c: PrinterColumn): Column {
  return {
    name: c.name,
    type: c.type,
    cell: (o) => {
      const values = select(o, c.jsonPath);
      // Nothing selected: a null cell, as kube-apiserver's CRD table convertor sends it.
      if (values.length === 0) return null;
      return values
        .map((v) => (typeof v === 'object' ? JSON.stringify(v) : (v as string | number)))
        .join(' ');
    },
  };
}

function columnsFor(t: ResourceType): Column[] {
  if (t.printerColumns) {
    return t.printerColumns
      .filter((c) => !c.priority && c.jsonPath !== '.metadata.creationTimestamp')
      .map(customColumn);
  }
  const status = (o: KubeObject) => (o.status ?? {}) as Record<string, unknown>;
  const spec = (o: KubeObject) => (o.spec ?? {}) as Record<string, unknown>;
  switch (t.kind) {
    case 'Deployment':
      return [
        {
          name: 'Ready',
          type: 'string',
          cell: (o) => `${num(status(o).readyReplicas)}/${num(spec(o).replicas ?? 1)}`,
        },
        { name: 'Up-to-date', type: 'integer', cell: (o) => num(status(o).updatedReplicas) },
        { name: 'Available', type: 'integer', cell: (o) => num(status(o).availableReplicas) },
      ];
    case 'Pod':
      return [{ name: 'Status', type: 'string', cell: (o) => String(status(o).phase ?? '') }];
    default:
      return [];
  }
}

export function tableOf(t: ResourceType, list: { items: KubeObject[]; metadata: object }) {
  const columns: Column[] = [
    { name: 'Name', type: 'string', cell: (o) => o.metadata.name ?? '' },
    ...columnsFor(t),
    { name: 'Age', type: 'date', cell: (o) => age(o.metadata.creationTimestamp) },
  ];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: list.metadata,
    columnDefinitions: columns.map((c, i) => ({
      name: c.name,
      type: c.type,
      format: i === 0 ? 'name' : '',
      description: '',
      priority: 0,
    })),
    rows: list.items.map((o) => ({
      cells: columns.map((c) => c.cell(o)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
