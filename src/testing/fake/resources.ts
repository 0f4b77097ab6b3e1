// The fake's table of resources: what it serves, from a generated registry and from
// CustomResourceDefinitions (given up front or created through the API), with what each
// needs to act as the apiserver does: its merge shape, its schema, its field labels.

import type { Registry, RegistryEntry } from "../../core/registry.js";
import type { ValidationResult } from "../../core/validation-result.js";
import { validateCustomResource } from "./crd-validation.js";
import { builtinFieldLabels, customResourceFieldLabels, type FieldLabels } from "./selectors.js";
import { type JsonSchemaNode, type Shape, shapeOfSchema, shapeResolver } from "./shape.js";
import type { StatusCause } from "./status.js";

/** What the fake reads of a generated API's schemas (`validators` from `.../schemas`). */
export interface FakeSchemas {
  /** The JSON Schema of a definition. */
  definition(name: string): JsonSchemaNode | undefined;
  /** Validates a value against a definition. */
  validate(name: string, value: unknown): ValidationResult<unknown>;
}

/** How a custom resource's scale subresource maps onto its fields (CRD `subresources.scale`). */
export interface ScalePaths {
  readonly spec: string;
  readonly status: string;
  readonly selector?: string;
}

/** One served resource. Versions of one group+plural share their objects, as they share etcd keys. */
export interface FakeResource {
  readonly group: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  /** Where its objects live: "apps/deployments". */
  readonly storage: string;
  readonly custom: boolean;
  readonly subresources: readonly string[];
  readonly scale?: ScalePaths;
  /** The field labels a field selector may name, and how the kind refuses others. */
  readonly fieldLabels: FieldLabels;
  /** Whether metadata.generation counts spec changes (not every kind: ConfigMaps have none). */
  readonly generation: boolean;
  /** The merge shape of its objects, built on first use; untyped without a schema. */
  shape(): Shape;
  /** A built-in's schema verdict on an object (the generated zod schemas), or none. */
  check(obj: unknown): ValidationResult<unknown> | undefined;
  /** A custom resource's problems under its CRD's schema (none for a built-in). */
  causes(obj: unknown): StatusCause[];
  /** The object's JSON Schema, for pruning unknown fields; undefined keeps every field. */
  schema(): JsonSchemaNode | undefined;
  /** Resolves a `$ref` of that schema. */
  ref(name: string): JsonSchemaNode | undefined;
}

// Kinds whose strategies set metadata.generation on create (k8s.io/kubernetes pkg/registry/*):
// measured against kube-apiserver 1.37: Deployment, Job, Pod, PriorityClass, PDB, Ingress do;
// ConfigMap, Secret, Service, ServiceAccount, Role, ResourceQuota do not.
const GENERATION_GROUPS = new Set([
  "apps",
  "batch",
  "policy",
  "networking.k8s.io",
  "scheduling.k8s.io",
  "apiextensions.k8s.io",
  "admissionregistration.k8s.io",
  "autoscaling",
  "flowcontrol.apiserver.k8s.io",
  "resource.k8s.io",
]);
const GENERATION_CORE = new Set(["pods"]);

const untyped: Shape = { kind: "untyped" };

/** The resources of a generated registry. */
export function builtinResources(registry: Registry, schemas: FakeSchemas | undefined): FakeResource[] {
  const resolve = schemas ? shapeResolver((n: string) => schemas.definition(n)) : undefined;
  const out: FakeResource[] = [];
  for (const versions of Object.values(registry)) {
    for (const plurals of Object.values(versions)) {
      for (const e of Object.values(plurals)) out.push(builtin(e, schemas, resolve));
    }
  }
  return out;
}

function builtin(
  e: RegistryEntry,
  schemas: FakeSchemas | undefined,
  resolve: ((name: string) => Shape) | undefined,
): FakeResource {
  let shape: Shape | undefined;
  const name = e.schema;
  return {
    group: e.group,
    version: e.version,
    apiVersion: e.apiVersion,
    kind: e.kind,
    listKind: e.listKind ?? `${e.kind}List`,
    plural: e.plural,
    singular: e.kind.toLowerCase(),
    shortNames: [],
    namespaced: e.namespaced,
    verbs: e.verbs,
    storage: `${e.group}/${e.plural}`,
    custom: false,
    subresources: Object.keys(e.subresources),
    fieldLabels: builtinFieldLabels(`${e.apiVersion}/${e.kind}`),
    generation: e.group === "" ? GENERATION_CORE.has(e.plural) : GENERATION_GROUPS.has(e.group),
    shape() {
      shape ??= resolve && name ? resolve(name) : untyped;
      return shape;
    },
    check: (obj) => (schemas && name ? schemas.validate(name, obj) : undefined),
    causes: () => [],
    schema: () => (schemas && name ? schemas.definition(name) : undefined),
    ref: (n) => schemas?.definition(n),
  };
}

type Crd = {
  metadata?: { name?: string };
  spec?: {
    group?: string;
    scope?: string;
    names?: { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[] };
    versions?: {
      name?: string;
      served?: boolean;
      storage?: boolean;
      schema?: { openAPIV3Schema?: JsonSchemaNode };
      subresources?: {
        status?: object;
        scale?: { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string };
      };
      selectableFields?: { jsonPath?: string }[];
    }[];
  };
};

const CR_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/**
 * The resources a CustomResourceDefinition serves, one per served version. `metadata` is the
 * shape of ObjectMeta, which a CRD's schema leaves out and the apiserver merges as it merges
 * every object's.
 */
export function crdResources(crd: unknown, metadata: Shape | undefined): FakeResource[] {
  const c = crd as Crd;
  const spec = c.spec;
  const names = spec?.names;
  if (!spec?.group || !names?.kind || !names.plural || !Array.isArray(spec.versions)) {
    throw new TypeError(
      `CustomResourceDefinition ${c.metadata?.name ?? "(unnamed)"} has no group, names or versions`,
    );
  }
  const group = spec.group;
  const out: FakeResource[] = [];
  for (const v of spec.versions) {
    if (!v.name || v.served === false) continue;
    const schema = v.schema?.openAPIV3Schema;
    let shape: Shape | undefined;
    const sub = v.subresources ?? {};
    out.push({
      group,
      version: v.name,
      apiVersion: `${group}/${v.name}`,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      shortNames: names.shortNames ?? [],
      namespaced: spec.scope !== "Cluster",
      verbs: CR_VERBS,
      storage: `${group}/${names.plural}`,
      custom: true,
      subresources: [...(sub.status ? ["status"] : []), ...(sub.scale ? ["scale"] : [])],
      ...(sub.scale
        ? {
            scale: {
              spec: sub.scale.specReplicasPath ?? ".spec.replicas",
              status: sub.scale.statusReplicasPath ?? ".status.replicas",
              ...(sub.scale.labelSelectorPath ? { selector: sub.scale.labelSelectorPath } : {}),
            },
          }
        : {}),
      fieldLabels: customResourceFieldLabels(
        spec.scope !== "Cluster",
        (v.selectableFields ?? []).map((f) => String(f.jsonPath ?? "")),
      ),
      generation: true,
      shape() {
        shape ??= schema ? shapeOfSchema(schema, metadata) : untyped;
        return shape;
      },
      check: () => undefined,
      causes(obj) {
        const out = schema ? validateCustomResource(schema, obj) : [];
        if (sub.scale) out.push(...replicasAccessor(sub.scale.specReplicasPath ?? ".spec.replicas", obj));
        return out;
      },
      schema: () => schema,
      ref: () => undefined,
    });
  }
  return out;
}

/**
 * The scale subresource reads its replicas path as an integer on every write, and says so when
 * it cannot (apiextensions' scale accessor), beside the schema's own complaint.
 */
function replicasAccessor(path: string, obj: unknown): StatusCause[] {
  let cur: unknown = obj;
  for (const p of path.replace(/^\./, "").split(".")) {
    if (!cur || typeof cur !== "object") return [];
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || (typeof cur === "number" && Number.isInteger(cur))) return [];
  const type =
    typeof cur === "number"
      ? "float64"
      : Array.isArray(cur)
        ? "[]interface {}"
        : cur === null
          ? "<nil>"
          : typeof cur === "object"
            ? "map[string]interface {}"
            : typeof cur;
  return [
    {
      reason: "FieldValueInvalid",
      field: path,
      message: `Invalid value: 0: ${path} accessor error: ${String(cur)} is of the type ${type}, expected int64`,
    },
  ];
}
