import type { CrdDocument } from "./crd-files.js";
import { crdSchema } from "./crd-schema.js";
import { GenerateError, refTarget } from "./errors.js";
import type {
  GroupVersionKind,
  OpenApiDocument,
  Operation,
  Parameter,
  PathItem,
  Schema,
} from "./openapi-types.js";
import { convertDefinitionsV3 } from "./to-openapi3.js";

const SCHEMAS = "#/components/schemas/";
const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";

/** One served version of one CRD, normalised from apiextensions v1 or v1beta1. */
interface CrdVersion {
  crd: CrdDocument;
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  namespaced: boolean;
  schema: Schema | undefined;
  status: boolean;
  scale: boolean;
  deprecated: string | undefined;
}

/**
 * Adds each served version of each CRD to an OpenAPI 3 document as the API server publishes
 * a CRD (apiextensions-apiserver's OpenAPI builder): definitions `<reversed group>.<version>.<Kind>`
 * and `...<Kind>List`, and the collection, item, all-namespaces, `status` and `scale` paths
 * with the same parameters as the spec's own resources. The registry, types and validators
 * are then built from the result exactly as from a cluster's spec.
 */
export function mergeCrds(doc: OpenApiDocument, crds: CrdDocument[], baseLabel: string): OpenApiDocument {
  const versions = crds.flatMap(servedVersions);
  const schemas: Record<string, Schema> = { ...doc.components.schemas };
  const paths: Record<string, PathItem> = { ...doc.paths };
  const objectMeta = requireDefinition(doc, `${META}ObjectMeta`, crds);
  const listMeta = requireDefinition(doc, `${META}ListMeta`, crds);

  // Who defines each group/version/kind already: the base spec, then each CRD in order.
  const owners = new Map<string, string>();
  for (const [name, s] of Object.entries(doc.components.schemas)) {
    for (const g of s["x-kubernetes-group-version-kind"] ?? []) {
      owners.set(gvkKey(g), `${baseLabel} (definition ${name})`);
    }
  }
  const added: Record<string, Schema> = {};
  for (const v of versions) {
    const at = `${v.crd.where} (CustomResourceDefinition ${v.crd.name})`;
    for (const kind of [v.kind, v.listKind]) {
      const key = gvkKey({ group: v.group, version: v.version, kind });
      const owner = owners.get(key);
      if (owner) {
        throw new GenerateError(at, `${v.group}/${v.version} ${kind} is already defined by ${owner}`);
      }
      owners.set(key, at);
    }
    const name = definitionName(v.group, v.version, v.kind);
    const listName = definitionName(v.group, v.version, v.listKind);
    for (const n of [name, listName]) {
      if (Object.hasOwn(schemas, n) || Object.hasOwn(added, n)) {
        throw new GenerateError(at, `definition ${n} already exists in ${baseLabel}`);
      }
    }
    added[name] = objectSchema(v, objectMeta);
    added[listName] = listSchema(v, name, listMeta);
    for (const [path, item] of Object.entries(resourcePaths(doc, v, name, listName))) {
      if (Object.hasOwn(paths, path)) throw new GenerateError(at, `path ${path} is already in ${baseLabel}`);
      paths[path] = item;
    }
  }
  const names = new Set([...Object.keys(schemas), ...Object.keys(added)]);
  const converted = convertDefinitionsV3(added, names, "crd");
  for (const name of Object.keys(converted)) schemas[name] = converted[name] as Schema;
  const sortedSchemas: Record<string, Schema> = {};
  for (const n of Object.keys(schemas).sort()) sortedSchemas[n] = schemas[n] as Schema;
  const sortedPaths: Record<string, PathItem> = {};
  for (const p of Object.keys(paths).sort()) sortedPaths[p] = paths[p] as PathItem;
  return { ...doc, paths: sortedPaths, components: { ...doc.components, schemas: sortedSchemas } };
}

/** `stable.example.com`, `v1`, `CronTab` -> `com.example.stable.v1.CronTab`, as the server names it. */
export function definitionName(group: string, version: string, kind: string): string {
  return [...group.split(".").reverse(), version, kind].join(".");
}

const gvkKey = (g: GroupVersionKind) => `${g.group}/${g.version}/${g.kind}`;

function requireDefinition(doc: OpenApiDocument, name: string, crds: CrdDocument[]): string {
  if (!Object.hasOwn(doc.components.schemas, name)) {
    const where = crds[0]?.where ?? "--crd";
    throw new GenerateError(where, `the base spec has no ${name}, which every custom resource uses`);
  }
  return SCHEMAS + name;
}

function servedVersions(crd: CrdDocument): CrdVersion[] {
  const at = `${crd.where} (CustomResourceDefinition ${crd.name || "without a name"})`;
  const spec = obj(crd.value.spec);
  const names = obj(spec?.names);
  const group = spec?.group;
  const kind = names?.kind;
  const plural = names?.plural;
  if (typeof group !== "string" || !group) throw new GenerateError(at, "spec.group is missing");
  if (typeof kind !== "string" || !kind) throw new GenerateError(at, "spec.names.kind is missing");
  if (typeof plural !== "string" || !plural) throw new GenerateError(at, "spec.names.plural is missing");
  const listKind = typeof names?.listKind === "string" && names.listKind ? names.listKind : `${kind}List`;
  const scope = spec?.scope;
  if (scope !== "Namespaced" && scope !== "Cluster") {
    throw new GenerateError(at, `spec.scope is ${JSON.stringify(scope)}, not Namespaced or Cluster`);
  }
  // apiextensions v1beta1: one `version`, and schema and subresources for all versions.
  const list = Array.isArray(spec?.versions)
    ? (spec.versions as unknown[])
    : typeof spec?.version === "string"
      ? [{ name: spec.version, served: true, storage: true }]
      : undefined;
  if (!list) throw new GenerateError(at, "spec.versions is missing");
  const sharedSchema = obj(obj(spec?.validation)?.openAPIV3Schema);
  const sharedSub = obj(spec?.subresources);
  const out: CrdVersion[] = [];
  list.forEach((raw, i) => {
    const v = obj(raw);
    const version = v?.name;
    if (typeof version !== "string" || !version) {
      throw new GenerateError(at, `spec.versions[${i}].name is missing`);
    }
    if (v?.served !== true) return;
    const schema = obj(obj(v.schema)?.openAPIV3Schema) ?? sharedSchema;
    const sub = obj(v.subresources) ?? sharedSub;
    const warning = typeof v.deprecationWarning === "string" ? v.deprecationWarning : undefined;
    out.push({
      crd,
      group,
      version,
      kind,
      listKind,
      plural,
      namespaced: scope === "Namespaced",
      schema: schema as Schema | undefined,
      status: obj(sub?.status) !== undefined,
      scale: obj(sub?.scale) !== undefined,
      // The server's default warning when the CRD gives none.
      deprecated:
        v.deprecated === true ? (warning ?? `${group}/${version} ${kind} is deprecated`) : undefined,
    });
  });
  return out;
}

function objectSchema(v: CrdVersion, objectMeta: string): Schema {
  const gvk = [{ group: v.group, version: v.version, kind: v.kind }];
  // No schema (v1beta1 allowed it): any content, with the fields every object has.
  const base: Schema = v.schema
    ? crdSchema(v.schema, objectMeta)
    : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  const properties: Record<string, Schema> = {
    ...(base.properties ?? {}),
    apiVersion: {
      ...(base.properties?.apiVersion ?? {}),
      type: "string",
      description:
        base.properties?.apiVersion?.description ??
        "APIVersion defines the versioned schema of this representation of an object.",
    },
    kind: {
      ...(base.properties?.kind ?? {}),
      type: "string",
      description:
        base.properties?.kind?.description ?? "Kind is a string value representing the REST resource.",
    },
    // The server replaces whatever the CRD says of metadata with ObjectMeta.
    metadata: { $ref: objectMeta },
  };
  const out: Schema = { ...base, type: "object", properties, "x-kubernetes-group-version-kind": gvk };
  if (v.deprecated) {
    out.deprecated = true;
    out.description = `Deprecated: ${v.deprecated}${base.description ? `\n\n${base.description}` : ""}`;
  }
  return out;
}

function listSchema(v: CrdVersion, itemName: string, listMeta: string): Schema {
  return {
    description: `${v.listKind} is a list of ${v.kind}`,
    type: "object",
    required: ["items"],
    properties: {
      apiVersion: { type: "string" },
      items: { type: "array", items: { $ref: SCHEMAS + itemName } },
      kind: { type: "string" },
      metadata: { $ref: listMeta },
    },
    "x-kubernetes-group-version-kind": [{ group: v.group, version: v.version, kind: v.listKind }],
  };
}

/** Built-in resources whose operations take exactly the parameters a custom resource's do. */
const TEMPLATES = {
  namespacedCollection: "/api/v1/namespaces/{namespace}/configmaps",
  namespacedItem: "/api/v1/namespaces/{namespace}/configmaps/{name}",
  allNamespaces: "/api/v1/configmaps",
  clusterCollection: "/apis/rbac.authorization.k8s.io/v1/clusterroles",
  clusterItem: "/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}",
  status: "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status",
  scale: "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
} as const;

type Params = (Parameter | { $ref: string })[];

function resourcePaths(
  doc: OpenApiDocument,
  v: CrdVersion,
  name: string,
  listName: string,
): Record<string, PathItem> {
  const prefix = `/apis/${v.group}/${v.version}`;
  const ns = v.namespaced ? "/namespaces/{namespace}" : "";
  const collection = `${prefix}${ns}/${v.plural}`;
  const item = `${collection}/{name}`;
  const gvk: GroupVersionKind = { group: v.group, version: v.version, kind: v.kind };
  const id = operationIdPart(v);
  const nsWord = v.namespaced ? "Namespaced" : "";
  const ref = (n: string): Schema => ({ $ref: SCHEMAS + n });
  const object = ref(name);
  const out: Record<string, PathItem> = {};

  const template = (path: string) => doc.paths[path];
  const collT = template(v.namespaced ? TEMPLATES.namespacedCollection : TEMPLATES.clusterCollection);
  const itemT = template(v.namespaced ? TEMPLATES.namespacedItem : TEMPLATES.clusterItem);
  const scopeParams = (params: Params | undefined, withName: boolean): Params => {
    const kept = (params ?? []).filter((p) => {
      const n = paramOf(doc, p)?.name;
      return n !== "namespace" && n !== "name";
    });
    const path: Params = [];
    if (withName) path.push(pathParam("name", `name of the ${v.kind}`));
    if (v.namespaced)
      path.push(pathParam("namespace", "object name and auth scope, such as for teams and projects"));
    return [...path, ...kept];
  };
  const opParams = (t: PathItem | undefined, method: keyof PathItem, fallback: Params): Params => {
    const op = t?.[method] as Operation | undefined;
    return op?.parameters ?? fallback;
  };
  const op = (
    action: string,
    operationId: string,
    description: string,
    parameters: Params,
    body: Schema | undefined,
    response: Schema,
    opGvk: GroupVersionKind = gvk,
    patch = false,
  ): Operation => {
    const o: Operation = { operationId, description };
    if (parameters.length) o.parameters = parameters;
    if (body) {
      const types = patch
        ? ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"]
        : ["application/json"];
      o.requestBody = {
        required: true,
        content: Object.fromEntries(types.map((t) => [t, { schema: body }])),
      };
    }
    o.responses = { "200": { description: "OK", content: { "application/json": { schema: response } } } };
    o["x-kubernetes-action"] = action;
    o["x-kubernetes-group-version-kind"] = opGvk;
    return o;
  };
  const patchBody = ref(`${META}Patch`);
  const deleteOptions = ref(`${META}DeleteOptions`);
  const status = ref(`${META}Status`);
  const watchParam: Params = [{ name: "watch", in: "query", schema: { type: "boolean" } }];

  out[collection] = {
    parameters: scopeParams(collT?.parameters, false),
    get: op(
      "list",
      `list${id}${nsWord}${v.kind}`,
      `list objects of kind ${v.kind}`,
      opParams(collT, "get", watchParam),
      undefined,
      ref(listName),
    ),
    post: op(
      "post",
      `create${id}${nsWord}${v.kind}`,
      `create a ${v.kind}`,
      opParams(collT, "post", []),
      object,
      object,
    ),
    delete: op(
      "deletecollection",
      `deletecollection${id}${nsWord}${v.kind}`,
      `delete collection of ${v.kind}`,
      opParams(collT, "delete", []),
      hasDefinition(doc, `${META}DeleteOptions`) ? deleteOptions : undefined,
      status,
    ),
  };
  out[item] = {
    parameters: scopeParams(itemT?.parameters, true),
    get: op(
      "get",
      `read${id}${nsWord}${v.kind}`,
      `read the specified ${v.kind}`,
      opParams(itemT, "get", []),
      undefined,
      object,
    ),
    put: op(
      "put",
      `replace${id}${nsWord}${v.kind}`,
      `replace the specified ${v.kind}`,
      opParams(itemT, "put", []),
      object,
      object,
    ),
    patch: op(
      "patch",
      `patch${id}${nsWord}${v.kind}`,
      `partially update the specified ${v.kind}`,
      opParams(itemT, "patch", []),
      patchBody,
      object,
      gvk,
      true,
    ),
    delete: op(
      "delete",
      `delete${id}${nsWord}${v.kind}`,
      `delete a ${v.kind}`,
      opParams(itemT, "delete", []),
      hasDefinition(doc, `${META}DeleteOptions`) ? deleteOptions : undefined,
      status,
    ),
  };
  if (v.namespaced) {
    const allT = template(TEMPLATES.allNamespaces);
    out[`${prefix}/${v.plural}`] = {
      ...(allT?.parameters ? { parameters: allT.parameters } : {}),
      get: op(
        "list",
        `list${id}${v.kind}ForAllNamespaces`,
        `list objects of kind ${v.kind}`,
        opParams(allT, "get", watchParam),
        undefined,
        ref(listName),
      ),
    };
  }
  const subresource = (sub: "status" | "scale", body: Schema, subGvk: GroupVersionKind) => {
    const t = template(TEMPLATES[sub]);
    const word = sub === "status" ? "Status" : "Scale";
    out[`${item}/${sub}`] = {
      parameters: scopeParams(t?.parameters, true),
      get: op(
        "get",
        `read${id}${nsWord}${v.kind}${word}`,
        `read ${sub} of the specified ${v.kind}`,
        opParams(t, "get", []),
        undefined,
        body,
        subGvk,
      ),
      put: op(
        "put",
        `replace${id}${nsWord}${v.kind}${word}`,
        `replace ${sub} of the specified ${v.kind}`,
        opParams(t, "put", []),
        body,
        body,
        subGvk,
      ),
      patch: op(
        "patch",
        `patch${id}${nsWord}${v.kind}${word}`,
        `partially update ${sub} of the specified ${v.kind}`,
        opParams(t, "patch", []),
        patchBody,
        body,
        subGvk,
        true,
      ),
    };
  };
  if (v.status) subresource("status", object, gvk);
  if (v.scale && hasDefinition(doc, "io.k8s.api.autoscaling.v1.Scale")) {
    subresource("scale", ref("io.k8s.api.autoscaling.v1.Scale"), {
      group: "autoscaling",
      version: "v1",
      kind: "Scale",
    });
  }
  return out;
}

/** `stable.example.com` + `v1` -> `StableExampleComV1`, as the server's operation ids spell it. */
function operationIdPart(v: CrdVersion): string {
  return [...v.group.split(/[.-]/), v.version]
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function pathParam(name: string, description: string): Parameter {
  return { name, in: "path", required: true, description, schema: { type: "string" } };
}

function paramOf(doc: OpenApiDocument, p: Parameter | { $ref: string }): Parameter | undefined {
  return "$ref" in p ? doc.components.parameters?.[refTarget(p.$ref)] : p;
}

function hasDefinition(doc: OpenApiDocument, name: string): boolean {
  return Object.hasOwn(doc.components.schemas, name);
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
