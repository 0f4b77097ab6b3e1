import type { Mutable, RegistryEntry, SubresourceEntry } from "../src/core/registry.js";
import { decodePointerSegment, GenerateError, refTarget } from "./errors.js";
import type {
  GroupVersionKind,
  OpenApiDocument,
  Operation,
  Parameter,
  PathItem,
  Schema,
} from "./openapi-types.js";
import { HTTP_METHODS } from "./openapi-types.js";
import { apiVersionOf } from "./to-openapi3.js";

/** Kubernetes API verbs, as discovery and RBAC name them. */
export type Verb = "create" | "delete" | "deletecollection" | "get" | "list" | "patch" | "update" | "watch";

/**
 * The registry entry as codegen builds it: the runtime's RegistryEntry (declared once, in
 * src/core/registry.ts) as writable data, with verbs from the spec's known set.
 */
export type SubresourceModel = Omit<Mutable<SubresourceEntry>, "verbs"> & { verbs: Verb[] };

export type ResourceModel = Omit<Mutable<RegistryEntry>, "verbs" | "paths" | "subresources"> & {
  verbs: Verb[];
  paths: Mutable<RegistryEntry["paths"]>;
  subresources: Record<string, SubresourceModel>;
};

export interface RegistryModel {
  /** groupKey -> version -> plural -> resource, every level sorted. */
  groups: Record<string, Record<string, Record<string, ResourceModel>>>;
  /** groupKey -> API group name, for the summary and for collision messages. */
  groupNames: Record<string, string>;
  resourceCount: number;
}

/**
 * Client members an API group may not take. `discovery` and `resource` are not here: the
 * client merges them with the discovery.k8s.io and resource.k8s.io groups
 * (`kube.discovery.version()` beside `kube.discovery.v1`).
 */
const RESERVED_GROUP_KEYS = new Set(["raw"]);

/**
 * The client key of an API group: the group without `.k8s.io`, camelCased on `.` and `-`
 * (`rbac.authorization.k8s.io` -> `rbacAuthorization`, core -> `core`,
 * `stable.example.com` -> `stableExampleCom`).
 */
export function groupKey(group: string): string {
  if (group === "") return "core";
  const words = group
    .replace(/\.k8s\.io$/, "")
    .split(/[.\-_]+/)
    .filter(Boolean);
  return words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()))
    .join("");
}

interface ParsedPath {
  group: string;
  version: string;
  namespaced: boolean;
  plural: string;
  /** collection: /plural; item: /plural/{name}; sub: /plural/{name}/sub[/...] */
  shape: "collection" | "item" | "sub";
  subresource?: string;
  /** A /watch/ path (deprecated): only its verb is recorded. */
  watchPath: boolean;
}

export function parseResourcePath(path: string): ParsedPath | undefined {
  const segs = path.split("/").filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === "api" && segs.length >= 3) {
    group = "";
    version = segs[1] as string;
    rest = segs.slice(2);
  } else if (segs[0] === "apis" && segs.length >= 4) {
    group = segs[1] as string;
    version = segs[2] as string;
    rest = segs.slice(3);
  } else {
    return undefined;
  }
  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
  } else if (rest[0] === "proxy") {
    // Pre-1.10 style /api/v1/proxy/...: superseded by the proxy subresource.
    return undefined;
  }
  let namespaced = false;
  if (rest[0] === "namespaces" && rest[1] === "{namespace}" && rest.length >= 3) {
    namespaced = true;
    rest = rest.slice(2);
  }
  const plural = rest[0];
  if (!plural || plural.includes("{")) return undefined;
  if (rest.length === 1) return { group, version, namespaced, plural, shape: "collection", watchPath };
  if (!rest[1]?.startsWith("{")) return undefined;
  if (rest.length === 2) return { group, version, namespaced, plural, shape: "item", watchPath };
  const sub = rest[2] as string;
  if (sub.includes("{")) return undefined;
  return { group, version, namespaced, plural, shape: "sub", subresource: sub, watchPath };
}

/** Maps one operation to the Kubernetes verb it serves on a collection, item or subresource. */
function verbOf(action: string, method: string, watchPath: boolean): Verb | undefined {
  if (watchPath || action === "watch" || action === "watchlist") return "watch";
  switch (action) {
    case "list":
      return "list";
    case "get":
      return "get";
    case "post":
      return "create";
    case "put":
      return "update";
    case "patch":
      return "patch";
    case "delete":
      return "delete";
    case "deletecollection":
      return "deletecollection";
    case "connect":
      // exec, attach, portforward and proxy: RBAC names them by HTTP method.
      return method === "get" || method === "head"
        ? "get"
        : method === "post"
          ? "create"
          : method === "put"
            ? "update"
            : method === "patch"
              ? "patch"
              : method === "delete"
                ? "delete"
                : undefined;
    default:
      return undefined;
  }
}

function responseRef(op: Operation): string | undefined {
  const ok = op.responses?.["200"] ?? op.responses?.["201"];
  return refName(ok?.content?.["application/json"]?.schema);
}

function bodyRef(op: Operation): string | undefined {
  const content = op.requestBody?.content;
  if (!content) return undefined;
  const first = Object.keys(content).sort()[0];
  return first ? refName(content[first]?.schema) : undefined;
}

/**
 * The kind a subresource serves is what its GET returns: a live server labels a CRD's scale
 * operations with the CRD's own kind although they carry autoscaling/v1 Scale (discovery's
 * responseKind). Other verbs may answer a Status, so only GET's answer says.
 */
function schemaGvk(doc: OpenApiDocument, name: string | undefined): GroupVersionKind | undefined {
  const gvks = name ? doc.components.schemas[name]?.["x-kubernetes-group-version-kind"] : undefined;
  return gvks?.length === 1 ? gvks[0] : undefined;
}

function refName(schema: Schema | undefined): string | undefined {
  const ref = schema?.$ref;
  if (!ref?.startsWith("#/components/schemas/")) return undefined;
  return decodePointerSegment(ref.slice("#/components/schemas/".length));
}

function hasWatchParam(doc: OpenApiDocument, item: PathItem, op: Operation): boolean {
  const all = [...(item.parameters ?? []), ...(op.parameters ?? [])];
  return all.some((p) => {
    const param: Parameter | undefined =
      "$ref" in p ? doc.components.parameters?.[refTarget(p.$ref)] : (p as Parameter);
    return param?.name === "watch" && param.in === "query";
  });
}

interface Draft extends ResourceModel {
  kindVotes: Map<string, GroupVersionKind>;
}

/** Builds the resource registry from an OpenAPI 3 document's paths and their extensions. */
export function buildRegistryModel(doc: OpenApiDocument, where: string): RegistryModel {
  const drafts = new Map<string, Draft>();
  const draftFor = (p: ParsedPath): Draft => {
    const id = `${p.group}/${p.version}/${p.plural}`;
    let d = drafts.get(id);
    if (!d) {
      d = {
        group: p.group,
        version: p.version,
        apiVersion: p.group ? `${p.group}/${p.version}` : p.version,
        kind: "",
        plural: p.plural,
        namespaced: false,
        verbs: [],
        paths: {},
        subresources: {},
        kindVotes: new Map(),
      };
      drafts.set(id, d);
    }
    return d;
  };

  for (const path of Object.keys(doc.paths).sort()) {
    const parsed = parseResourcePath(path);
    if (!parsed) continue;
    const item = doc.paths[path] as PathItem;
    for (const method of HTTP_METHODS) {
      const op = item[method];
      const action = op?.["x-kubernetes-action"];
      const gvk = op?.["x-kubernetes-group-version-kind"];
      if (!op || typeof action !== "string" || !gvk) continue;
      const verb = verbOf(action, method, parsed.watchPath);
      if (!verb) continue;
      const d = draftFor(parsed);
      if (parsed.shape === "sub") {
        const name = parsed.subresource as string;
        const sub = d.subresources[name] ?? {
          apiVersion: apiVersionOf(gvk),
          kind: gvk.kind,
          verbs: [],
          path,
        };
        d.subresources[name] = sub;
        // The shortest path wins (proxy also has a /proxy/{path} form).
        if (path.length < sub.path.length) sub.path = path;
        if (!sub.verbs.includes(verb)) sub.verbs.push(verb);
        const served = verb === "get" ? schemaGvk(doc, responseRef(op)) : undefined;
        if (served) Object.assign(sub, { apiVersion: apiVersionOf(served), kind: served.kind });
        const schema = responseRef(op) ?? bodyRef(op);
        if (schema && !sub.schema && (verb === "get" || verb === "update" || verb === "create"))
          sub.schema = schema;
        continue;
      }
      if (parsed.namespaced) d.namespaced = true;
      if (!d.verbs.includes(verb)) d.verbs.push(verb);
      if (!parsed.watchPath) {
        if (parsed.shape === "item") {
          if (parsed.namespaced || !d.paths.item) d.paths.item = path;
        } else if (parsed.namespaced) {
          d.paths.collection = path;
        } else {
          // A namespaced resource's cluster-wide list is the un-prefixed collection.
          d.paths.allNamespaces = path;
        }
        if (method === "get" && parsed.shape === "collection" && hasWatchParam(doc, item, op)) {
          if (!d.verbs.includes("watch")) d.verbs.push("watch");
        }
      }
      if (!d.kindVotes.has(action)) d.kindVotes.set(action, gvk);
      if (verb === "get" && parsed.shape === "item") d.schema ??= responseRef(op);
      if (verb === "create") d.schema ??= bodyRef(op);
      if (verb === "list" && !parsed.watchPath) d.listSchema ??= responseRef(op);
    }
  }

  const groups: RegistryModel["groups"] = {};
  const groupNames: Record<string, string> = {};
  let resourceCount = 0;
  for (const id of [...drafts.keys()].sort()) {
    const d = drafts.get(id) as Draft;
    if (d.verbs.length === 0 && Object.keys(d.subresources).length === 0) continue;
    const gvk =
      d.kindVotes.get("get") ??
      d.kindVotes.get("post") ??
      d.kindVotes.get("list") ??
      [...d.kindVotes.values()][0];
    if (!gvk) continue; // only subresources with no primary operations: not a resource of its own
    d.kind = gvk.kind;
    if (!d.namespaced && d.paths.allNamespaces && !d.paths.collection) {
      d.paths.collection = d.paths.allNamespaces;
      delete d.paths.allNamespaces;
    }
    if (!d.schema && d.listSchema) d.schema = itemSchemaOfList(doc, d.listSchema);
    if (d.listSchema) {
      const listGvk = doc.components.schemas[d.listSchema]?.["x-kubernetes-group-version-kind"];
      d.listKind = listGvk?.[0]?.kind ?? d.listSchema.split(".").pop();
    }
    const key = groupKey(d.group);
    if (RESERVED_GROUP_KEYS.has(key)) {
      throw new GenerateError(
        where,
        `API group "${d.group}" maps to client key "${key}", which the client reserves`,
      );
    }
    const known = groupNames[key];
    if (known !== undefined && known !== d.group) {
      throw new GenerateError(
        where,
        `API groups "${known}" and "${d.group}" both map to client key "${key}"`,
      );
    }
    groupNames[key] = d.group;
    const { kindVotes: _votes, ...model } = d;
    model.verbs = [...model.verbs].sort();
    const subresources: Record<string, SubresourceModel> = {};
    for (const name of Object.keys(model.subresources).sort()) {
      const s = model.subresources[name] as SubresourceModel;
      subresources[name] = { ...s, verbs: [...s.verbs].sort() };
    }
    model.subresources = subresources;
    const versions = groups[key] ?? {};
    const plurals = versions[d.version] ?? {};
    plurals[d.plural] = model;
    versions[d.version] = plurals;
    groups[key] = versions;
    resourceCount++;
  }
  return { groups: sortDeep(groups), groupNames, resourceCount };
}

function itemSchemaOfList(doc: OpenApiDocument, listSchema: string): string | undefined {
  return refName(doc.components.schemas[listSchema]?.properties?.items?.items);
}

function sortDeep<T extends Record<string, Record<string, Record<string, ResourceModel>>>>(groups: T): T {
  const out: Record<string, Record<string, Record<string, ResourceModel>>> = {};
  for (const g of Object.keys(groups).sort()) {
    const versions = groups[g] as Record<string, Record<string, ResourceModel>>;
    const vs: Record<string, Record<string, ResourceModel>> = {};
    for (const v of Object.keys(versions).sort()) {
      const plurals = versions[v] as Record<string, ResourceModel>;
      const ps: Record<string, ResourceModel> = {};
      for (const p of Object.keys(plurals).sort()) ps[p] = plurals[p] as ResourceModel;
      vs[v] = ps;
    }
    out[g] = vs;
  }
  return out as T;
}
