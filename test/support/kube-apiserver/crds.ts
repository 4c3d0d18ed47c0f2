// The CustomResourceDefinitions the stand-in serves, read once from the copies in ./crds/ (Istio's
// networking.istio.io and Gateway API's gateway.networking.k8s.io standard channel): names, scope, served
// versions with their schemas, subresources and printer columns, as kube-apiserver reads a CRD.
import { readdirSync, readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import type { Schema } from './schema.js';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

export interface CrdVersion {
  name: string;
  schema: Schema | undefined;
  status: boolean;
  printerColumns: PrinterColumn[];
}

export interface Crd {
  group: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** served versions, in kube-apiserver's priority order (GA, then beta, then alpha; higher numbers first) */
  versions: CrdVersion[];
}

interface CrdDocument {
  kind?: string;
  spec?: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      schema?: { openAPIV3Schema?: Schema };
      subresources?: { status?: object };
      additionalPrinterColumns?: PrinterColumn[];
    }[];
  };
}

/** kube-apiserver's version priority (k8s.io/apimachinery/pkg/version.CompareKubeAwareVersionStrings). */
function versionRank(v: string): [number, number, number] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [3, 0, 0];
  const level = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
  return [level, -Number(m[1]), -Number(m[3] ?? 0)];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [versionRank(a), versionRank(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a.localeCompare(b);
}

let loaded: Crd[] | undefined;

/** Every CRD in ./crds/, parsed once per process. */
export function loadCrds(): Crd[] {
  if (loaded) return loaded;
  const dir = new URL('./crds/', import.meta.url);
  const crds: Crd[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    // js-yaml: about ten times faster than `yaml` on these files, and the server starts in every test file.
    for (const doc of loadAll(readFileSync(new URL(file, dir), 'utf8'))) {
      const crd = doc as CrdDocument | null;
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      const { group, scope, names } = crd.spec;
      crds.push({
        group,
        kind: names.kind,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        namespaced: scope === 'Namespaced',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        versions: crd.spec.versions
          .filter((v) => v.served)
          .sort((a, b) => compareVersions(a.name, b.name))
          .map((v) => ({
            name: v.name,
            schema: v.schema?.openAPIV3Schema,
            status: v.subresources?.status !== undefined,
            printerColumns: v.additionalPrinterColumns ?? [],
          })),
      });
    }
  }
  loaded = crds;
  return crds;
}

let schemas: Map<string, Schema> | undefined;

/** `group/Kind/version` → openAPIV3Schema of every served version. */
export function crdSchemas(): Map<string, Schema> {
  if (schemas) return schemas;
  schemas = new Map();
  for (const crd of loadCrds())
    for (const v of crd.versions) if (v.schema) schemas.set(`${crd.group}/${crd.kind}/${v.name}`, v.schema);
  return schemas;
}

/** The schema of a custom kind in one version, or undefined for built-in kinds. */
export function schemaOf(t: { group: string; kind: string; custom: boolean }, version: string) {
  return t.custom ? crdSchemas().get(`${t.group}/${t.kind}/${version}`) : undefined;
}
