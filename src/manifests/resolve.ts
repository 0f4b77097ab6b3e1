import type { ApiResourceList } from "../client/discovery-types.js";
import { isNotFound } from "../core/kube-error.js";
import type { CallOptions } from "../core/objects.js";
import type { Registry, RegistryEntry } from "../core/registry.js";
import type { JsonSchema } from "../schemas/index.js";

/** What a document maps to: the resource that serves its apiVersion and kind. */
export interface ResourceMapping {
  plural: string;
  namespaced: boolean;
  /** registry: the generated API; crd: a CustomResourceDefinition in the same YAML; discovery: the server. */
  source: "registry" | "crd" | "discovery";
  /** The registry's definition name, for its validator. */
  definition?: string;
  /** The CRD's `openAPIV3Schema` for this version. */
  schema?: JsonSchema;
}

export type DiscoveryLookup = (groupVersion: string, options?: CallOptions) => Promise<ApiResourceList>;

const key = (apiVersion: string, kind: string) => `${apiVersion}\u0000${kind}`;

/** Maps apiVersion + kind to resources: CRDs in the same YAML, then the registry, then discovery. */
export function createResolver(registry: Registry, crdDocs: unknown[], discovery?: DiscoveryLookup) {
  const fromRegistry = new Map<string, RegistryEntry>();
  for (const versions of Object.values(registry))
    for (const plurals of Object.values(versions))
      for (const e of Object.values(plurals)) fromRegistry.set(key(e.apiVersion, e.kind), e);
  const fromCrds = new Map<string, ResourceMapping>();
  for (const doc of crdDocs)
    for (const c of crdKinds(doc)) fromCrds.set(key(c.apiVersion, c.kind), c.mapping);

  return async (
    apiVersion: string,
    kind: string,
    options?: CallOptions,
  ): Promise<ResourceMapping | undefined> => {
    const k = key(apiVersion, kind);
    const crd = fromCrds.get(k);
    if (crd) return crd;
    const e = fromRegistry.get(k);
    if (e) return { plural: e.plural, namespaced: e.namespaced, source: "registry", definition: e.schema };
    if (!discovery) return undefined;
    try {
      const list = await discovery(apiVersion, options);
      const r = list.resources.find((x) => x.kind === kind && !x.name.includes("/"));
      return r ? { plural: r.name, namespaced: r.namespaced, source: "discovery" } : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined; // the server has no such group-version
      throw e;
    }
  };
}

/** A kind a CustomResourceDefinition defines, in one served version. */
export interface CrdKind {
  apiVersion: string;
  kind: string;
  mapping: ResourceMapping;
}

/** The kinds one CRD defines: one per served version. A malformed CRD defines none. */
export function crdKinds(crd: unknown): CrdKind[] {
  const spec = field(crd, "spec");
  const group = field(spec, "group");
  const names = field(spec, "names");
  const kind = field(names, "kind");
  const plural = field(names, "plural");
  const versions = field(spec, "versions");
  if (typeof group !== "string" || typeof kind !== "string" || typeof plural !== "string") return [];
  if (!Array.isArray(versions)) return [];
  const out: CrdKind[] = [];
  for (const v of versions) {
    const name = field(v, "name");
    if (typeof name !== "string" || field(v, "served") === false) continue;
    const schema = field(field(v, "schema"), "openAPIV3Schema");
    out.push({
      apiVersion: `${group}/${name}`,
      kind,
      mapping: {
        plural,
        namespaced: field(spec, "scope") !== "Cluster",
        source: "crd",
        ...(schema && typeof schema === "object" ? { schema: schema as JsonSchema } : {}),
      },
    });
  }
  return out;
}

/** `apps/v1` -> `apps`; the core group's `v1` -> "". */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

export function field(obj: unknown, name: string): unknown {
  return obj && typeof obj === "object" && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[name]
    : undefined;
}

export const isCrd = (apiVersion: unknown, kind: unknown) =>
  kind === "CustomResourceDefinition" &&
  typeof apiVersion === "string" &&
  apiVersion.startsWith("apiextensions.k8s.io/");
