// The resource types the stand-in serves, described the way discovery describes them.

export interface ResourceType {
  group: string; // '' for the core group
  versions: string[]; // served versions, preferred first
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: ('status' | 'scale')[];
  /** true for the Istio custom resources: no strategic merge patch, schema from the CRDs. */
  custom: boolean;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const ISTIO_GROUP = 'networking.istio.io';
const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

function type(t: Partial<ResourceType> & Pick<ResourceType, 'plural' | 'kind'>): ResourceType {
  return {
    group: '',
    versions: ['v1'],
    singular: t.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    custom: false,
    ...t,
  };
}

const BUILT_IN: ResourceType[] = [
  type({
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
  }),
  type({
    plural: 'services',
    kind: 'Service',
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
  }),
  type({ plural: 'pods', kind: 'Pod', shortNames: ['po'], categories: ['all'], subresources: ['status'] }),
  type({ plural: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'] }),
  type({ plural: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  type({ plural: 'events', kind: 'Event', shortNames: ['ev'] }),
  type({
    group: 'apps',
    plural: 'deployments',
    kind: 'Deployment',
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  type({
    group: 'apps',
    plural: 'replicasets',
    kind: 'ReplicaSet',
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
  }),
  type({ group: 'coordination.k8s.io', plural: 'leases', kind: 'Lease' }),
];

const ISTIO: ResourceType[] = [
  type({ plural: 'virtualservices', kind: 'VirtualService', shortNames: ['vs'] }),
  type({ plural: 'destinationrules', kind: 'DestinationRule', shortNames: ['dr'] }),
  type({ plural: 'gateways', kind: 'Gateway', shortNames: ['gw'] }),
].map((t) => ({
  ...t,
  group: ISTIO_GROUP,
  versions: ISTIO_VERSIONS,
  categories: ['istio-io', 'networking-istio-io'],
  custom: true,
}));

export class ResourceRegistry {
  readonly types: ResourceType[];
  constructor(istio: boolean) {
    this.types = istio ? [...BUILT_IN, ...ISTIO] : [...BUILT_IN];
  }

  /** group/version as written in apiVersion ('v1' for core). */
  static groupVersion(group: string, version: string): string {
    return group === '' ? version : `${group}/${version}`;
  }

  static splitApiVersion(apiVersion: string): { group: string; version: string } {
    const slash = apiVersion.indexOf('/');
    return slash < 0
      ? { group: '', version: apiVersion }
      : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
  }

  byPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = ResourceRegistry.splitApiVersion(apiVersion);
    return this.types.find((t) => t.group === group && t.kind === kind && t.versions.includes(version));
  }

  groups(): { name: string; versions: string[] }[] {
    const out: { name: string; versions: string[] }[] = [];
    for (const t of this.types) {
      if (t.group === '' || out.some((g) => g.name === t.group)) continue;
      out.push({ name: t.group, versions: t.versions });
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.versions.includes(version));
  }
}

/** `virtualservices.networking.istio.io`, or `pods` for the core group: how messages name a resource. */
export function qualifiedResource(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

/** `VirtualService.networking.istio.io`, or `Pod`: how 422 messages name a kind. */
export function qualifiedKind(t: ResourceType): string {
  return t.group === '' ? t.kind : `${t.kind}.${t.group}`;
}
