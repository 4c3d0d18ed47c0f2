// The resource types the stand-in serves, described the way discovery describes them: the built-in ones
// here, the custom ones from their CRDs.
import { compareVersions, loadCrds, type PrinterColumn } from './crds.js';

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
  /** true for custom resources: no strategic merge patch, schema and CEL rules from the CRD. */
  custom: boolean;
  /** a PUT to a missing object creates it (the strategy's AllowCreateOnUpdate) */
  createOnUpdate: boolean;
  /** a PUT may leave out metadata.resourceVersion (AllowUnconditionalUpdate); custom resources may not */
  unconditionalUpdate: boolean;
  /** a CRD's additionalPrinterColumns (of its preferred version) */
  printerColumns?: PrinterColumn[];
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const ISTIO_GROUP = 'networking.istio.io';
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

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
    createOnUpdate: false,
    unconditionalUpdate: true,
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
    createOnUpdate: true,
  }),
  type({ plural: 'pods', kind: 'Pod', shortNames: ['po'], categories: ['all'], subresources: ['status'] }),
  type({ plural: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'] }),
  type({ plural: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
  type({ plural: 'events', kind: 'Event', shortNames: ['ev'], createOnUpdate: true }),
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
  type({
    group: 'coordination.k8s.io',
    plural: 'leases',
    kind: 'Lease',
    createOnUpdate: true,
    unconditionalUpdate: false,
  }),
];

function customTypes(groups: string[]): ResourceType[] {
  return loadCrds()
    .filter((crd) => groups.includes(crd.group))
    .map((crd) => ({
      group: crd.group,
      versions: crd.versions.map((v) => v.name),
      plural: crd.plural,
      singular: crd.singular,
      kind: crd.kind,
      namespaced: crd.namespaced,
      shortNames: crd.shortNames,
      categories: crd.categories,
      subresources: crd.versions[0]?.status ? ['status'] : [],
      custom: true,
      createOnUpdate: false,
      unconditionalUpdate: false,
      printerColumns: crd.versions[0]?.printerColumns ?? [],
    }));
}

export interface ServedApis {
  /** networking.istio.io */
  istio: boolean;
  /** gateway.networking.k8s.io */
  gatewayApi: boolean;
}

export class ResourceRegistry {
  readonly types: ResourceType[];
  constructor(served: ServedApis) {
    const groups = [
      ...(served.istio ? [ISTIO_GROUP] : []),
      ...(served.gatewayApi ? [GATEWAY_API_GROUP] : []),
    ];
    this.types = [...BUILT_IN, ...customTypes(groups)];
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

  /** API groups with the union of their kinds' served versions, preferred first. */
  groups(): { name: string; versions: string[] }[] {
    // The types are fixed when the registry is made: worked out once (GET /apis asks on every client start).
    this.groupList ??= this.groupsOfTypes();
    return this.groupList;
  }

  private groupList: { name: string; versions: string[] }[] | undefined;

  private groupsOfTypes(): { name: string; versions: string[] }[] {
    const out: { name: string; versions: string[] }[] = [];
    for (const t of this.types) {
      if (t.group === '') continue;
      const g = out.find((x) => x.name === t.group) ?? { name: t.group, versions: [] };
      if (!out.includes(g)) out.push(g);
      g.versions = [...new Set([...g.versions, ...t.versions])].sort(compareVersions);
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
