// Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which `kubectl get` asks for.
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
  cell: (o: KubeObject) => string | number;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function columnsFor(t: ResourceType): Column[] {
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
    case 'VirtualService':
      return [
        { name: 'Gateways', type: 'string', cell: (o) => JSON.stringify(spec(o).gateways ?? []) },
        { name: 'Hosts', type: 'string', cell: (o) => JSON.stringify(spec(o).hosts ?? []) },
      ];
    case 'DestinationRule':
      return [{ name: 'Host', type: 'string', cell: (o) => String(spec(o).host ?? '') }];
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
