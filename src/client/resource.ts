// The methods of a resource, as a table: each verb is a row (which registry verb it needs,
// its method, its target, what it takes), and one `invoke` does for every verb, watch
// included, what a verb needs: split the options, refuse bad names and scopes before
// anything is sent (discovery too), apply the namespace policy, fill in apiVersion/kind.
// Subresources are the same rows on a subresource path.

import { KubeError, ListExpiredError } from "../core/kube-error.js";
import { type CallOptions, type KubeList, listPages, type WatchOptions } from "../core/objects.js";
import type { ResourceIdentity, ResourceInfo } from "../core/registry.js";
import { checkEarly, type HttpMethod, type RequestSpec } from "../core/request.js";
import { logStream } from "./log.js";
import { type ClientContext, sendJson } from "./request.js";
import { watchStream } from "./watch.js";

type Options = CallOptions & Record<string, unknown>;
type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } & Record<
  string,
  unknown
>;
type Ref = { name?: string; namespace?: string };

/** What a method takes: a reference, an object (which names itself), or only options. */
type Takes = "ref" | "ref+body" | "object" | "options";

interface VerbRow {
  /** The registry verb that must be listed for the method to exist. */
  needs: string;
  method: HttpMethod;
  target: "collection" | "item";
  takes: Takes;
  /** The body's content type, from the options (patch's `type`), when not JSON. */
  contentType?: (options: Options | undefined) => string;
}

const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
} as const;

function patchContentType(options: Options | undefined): string {
  const contentType = PATCH_TYPES[options?.type as keyof typeof PATCH_TYPES];
  if (!contentType)
    throw new TypeError(`patch type must be json, merge or strategic, not ${String(options?.type)}`);
  return contentType;
}

function applyContentType(options: Options | undefined): string {
  if (!options?.fieldManager) throw new TypeError("apply needs a fieldManager");
  // JSON is YAML: the apply patch content type takes it as is.
  return "application/apply-patch+yaml";
}

const VERBS = {
  get: { needs: "get", method: "GET", target: "item", takes: "ref" },
  list: { needs: "list", method: "GET", target: "collection", takes: "options" },
  create: { needs: "create", method: "POST", target: "collection", takes: "object" },
  replace: { needs: "update", method: "PUT", target: "item", takes: "object" },
  patch: {
    needs: "patch",
    method: "PATCH",
    target: "item",
    takes: "ref+body",
    contentType: patchContentType,
  },
  apply: { needs: "patch", method: "PATCH", target: "item", takes: "object", contentType: applyContentType },
  delete: { needs: "delete", method: "DELETE", target: "item", takes: "ref" },
  deleteCollection: { needs: "deletecollection", method: "DELETE", target: "collection", takes: "options" },
  watch: { needs: "watch", method: "GET", target: "collection", takes: "options" },
} as const satisfies Record<string, VerbRow>;

/** Subresources with a body (status, scale, eviction): their verbs as rows on the item. */
const SUBRESOURCE_VERBS = {
  get: VERBS.get,
  replace: VERBS.replace,
  patch: VERBS.patch,
  // Eviction: a body posted to one object.
  create: { needs: "create", method: "POST", target: "item", takes: "ref+body" },
} as const satisfies Record<string, VerbRow>;

/** Option keys that shape the call rather than go to the server. */
const CALL_KEYS = new Set(["signal", "timeoutMs", "namespace", "allNamespaces", "type"]);

interface CallParts {
  call: CallOptions & { namespace?: string; allNamespaces?: boolean };
  query: Record<string, unknown>;
}

/** Call options (signal, timeout, scope, patch type) apart from the query; dryRun: true -> "All". */
function callParts(options: Options | undefined): CallParts {
  const call: CallParts["call"] = {};
  const query: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) {
    if (k === "signal") call.signal = v as AbortSignal;
    else if (k === "timeoutMs") call.timeoutMs = v as number;
    else if (k === "namespace") call.namespace = v as string;
    else if (k === "allNamespaces") call.allNamespaces = v === true;
    else if (CALL_KEYS.has(k)) continue;
    else if (k === "dryRun") query.dryRun = v === true ? "All" : v === false ? undefined : v;
    else query[k] = v;
  }
  return { call, query };
}

/**
 * The namespace an object names, checked against the call's: both given and different is a
 * mistake kubectl refuses too ("the namespace from the provided object does not match").
 */
function objectNamespace(verb: string, info: ResourceInfo, object: Obj, given: string | undefined) {
  const own = object.metadata?.namespace;
  if (info.namespaced && own !== undefined && given !== undefined && own !== given) {
    throw new TypeError(
      `${info.plural}.${verb}: the object's namespace "${own}" does not match the namespace option "${given}"; nothing was sent`,
    );
  }
  return own ?? given;
}

function withKind(kind: { apiVersion: string; kind: string }, obj: Obj): Obj {
  return { ...obj, apiVersion: obj.apiVersion ?? kind.apiVersion, kind: obj.kind ?? kind.kind };
}

/** One call of a row, taken apart: where it acts, what it sends. */
interface Invocation {
  ref: Ref | undefined;
  object: Obj | undefined;
  body: unknown;
  options: Options | undefined;
}

function invocation(takes: Takes, args: unknown[]): Invocation {
  const [a, b, c] = args as [unknown, unknown, Options | undefined];
  switch (takes) {
    case "ref":
      return {
        ref: a as Ref | undefined,
        object: undefined,
        body: undefined,
        options: b as Options | undefined,
      };
    case "ref+body":
      return { ref: a as Ref | undefined, object: undefined, body: b, options: c };
    case "object":
      return { ref: undefined, object: a as Obj, body: undefined, options: b as Options | undefined };
    case "options":
      return { ref: undefined, object: undefined, body: undefined, options: a as Options | undefined };
  }
}

/** Where a resource's calls go: the resource (found now, or through discovery) and its label. */
interface Target {
  ctx: ClientContext;
  label: string;
  getInfo: () => Promise<ResourceInfo>;
  /** A subresource's name, for its rows. */
  subresource?: string;
}

/**
 * Checks a call's names and scope, then describes its request once the resource is known.
 * The checks come first so a dynamic resource sends not even its discovery request for a
 * call that would be refused.
 */
function prepare(
  target: Target,
  name: string,
  row: VerbRow,
  inv: Invocation,
): { parts: CallParts; describe: () => Promise<RequestSpec> } {
  const verb = target.subresource ? `${target.subresource}.${name}` : name;
  const contentType = row.contentType?.(inv.options);
  const parts = callParts(inv.options);
  const { call, query } = parts;
  const named = inv.ref ?? inv.object?.metadata;
  const explicitNamespace = inv.ref?.namespace ?? call.namespace;
  checkEarly(verb, target.label, {
    hasName: row.target === "item",
    name: named?.name,
    namespace: explicitNamespace,
    allNamespaces: call.allNamespaces,
    listOrWatch: row.method === "GET" && row.target === "collection",
  });
  const describe = async (): Promise<RequestSpec> => {
    const info = await target.getInfo();
    const sub = target.subresource ? info.subresources[target.subresource] : undefined;
    const namespace = inv.object
      ? target.subresource
        ? (inv.object.metadata?.namespace ?? call.namespace)
        : objectNamespace(name, info, inv.object, call.namespace)
      : explicitNamespace;
    const body = inv.object
      ? withKind(sub ?? info, inv.object)
      : sub && inv.body && typeof inv.body === "object" && row.method === "POST"
        ? withKind(sub, inv.body as Obj)
        : inv.body;
    return {
      verb,
      resource: info,
      target: row.target,
      ...(target.subresource ? { subresource: target.subresource } : {}),
      method: row.method,
      ...call,
      namespace,
      ...(row.target === "item" ? { name: named?.name } : {}),
      query,
      ...(body !== undefined ? { body } : {}),
      ...(contentType ? { contentType } : {}),
    };
  };
  return { parts, describe };
}

/** A unary call of a row: checks, describes, sends, and reads the JSON answer. */
async function invoke<T>(target: Target, name: string, row: VerbRow, args: unknown[]): Promise<T> {
  const { describe } = prepare(target, name, row, invocation(row.takes, args));
  return sendJson<T>(target.ctx, await describe());
}

/** Items of a list arrive without apiVersion/kind; the types promise them, so fill them in. */
function fillItems(info: ResourceInfo, list: KubeList<Obj>): KubeList<Obj> {
  for (const item of list.items ?? []) {
    item.apiVersion ??= info.apiVersion;
    item.kind ??= info.kind;
  }
  return list;
}

function identity(info: ResourceInfo): ResourceIdentity {
  return {
    apiVersion: info.apiVersion,
    kind: info.kind,
    plural: info.plural,
    namespaced: info.namespaced,
    verbs: [...info.verbs],
  };
}

/**
 * The methods of one resource. `getInfo` may resolve through discovery on first use (the
 * dynamic client); `only` limits methods to the resource's verbs.
 */
export function resourceApi(
  ctx: ClientContext,
  label: string,
  getInfo: () => Promise<ResourceInfo>,
  only?: readonly string[],
): Record<string, unknown> {
  const target: Target = { ctx, label, getInfo };
  const has = (row: VerbRow) => !only || only.includes(row.needs);
  // The answer first: invoke checks the call before getInfo may ask discovery.
  const list = async (options?: Options) => {
    const out = await invoke<KubeList<Obj>>(target, "list", VERBS.list, [options]);
    return fillItems(await getInfo(), out);
  };
  const api: Record<string, unknown> = {
    info: async () => identity(await getInfo()),
    warn: (message: string) => ctx.onWarning(message),
  };
  for (const [name, row] of Object.entries(VERBS) as [keyof typeof VERBS, VerbRow][]) {
    if (!has(row)) continue;
    if (name === "list") {
      api.list = list;
      api.listAll = (options?: Options) => pages(list, options);
    } else if (name === "get") {
      api.get = async (...args: unknown[]) => {
        const out = await invoke<Obj>(target, name, row, args);
        return withKind(await getInfo(), out);
      };
    } else if (name === "watch") {
      // A generator, so a refused watch throws where it is iterated, as every other failure.
      api.watch = async function* (options?: Options & WatchOptions) {
        const { parts, describe } = prepare(target, name, row, invocation(row.takes, [options]));
        const { call, query } = parts;
        yield* watchStream(ctx, describe, {
          ...query,
          ...(call.signal ? { signal: call.signal } : {}),
          ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
        });
      };
    } else {
      api[name] = (...args: unknown[]) => invoke(target, name, row, args);
    }
  }
  return api;
}

/**
 * listAll: every object, page by page, as client-go's pager. A continue token expires with
 * its snapshot (410 on a later page): with nothing handed out yet, one full list replaces the
 * pages; after that, a ListExpiredError says how far it got (the caller lists again).
 */
async function* pages(list: (o?: Options) => Promise<KubeList<Obj>>, options?: Options) {
  let handedOut = 0;
  const page = async (token: string | undefined) => {
    try {
      return await list({ ...options, ...(token ? { continue: token } : {}) });
    } catch (err) {
      if (!(token && err instanceof KubeError && err.status === 410)) throw err;
      if (handedOut > 0) throw new ListExpiredError(handedOut, err);
      const { limit: _l, ...whole } = options ?? {};
      return list(whole);
    }
  };
  for await (const p of listPages(page)) {
    for (const item of p.items) {
      handedOut++;
      yield item;
    }
  }
}

/** A subresource's methods by its verbs: status and scale (get/replace/patch), eviction (create), ... */
export function subresourceApi(
  ctx: ClientContext,
  parent: ResourceInfo,
  name: string,
): Record<string, unknown> {
  const sub = parent.subresources[name] as ResourceInfo["subresources"][string];
  const ready = Promise.resolve(parent);
  const target: Target = { ctx, label: parent.plural, getInfo: () => ready, subresource: name };
  const api: Record<string, unknown> = {};
  for (const [verb, row] of Object.entries(SUBRESOURCE_VERBS) as [string, VerbRow][]) {
    if (sub.verbs.includes(row.needs)) api[verb] = (...args: unknown[]) => invoke(target, verb, row, args);
  }
  return api;
}

/** The log subresource: lines as they come (follow), or the whole text. */
export function logApi(ctx: ClientContext, parent: ResourceInfo) {
  return (options: Options & { name: string; namespace?: string }) => {
    const { name, ...rest } = options ?? ({} as Options & Ref);
    const { call, query } = callParts(rest);
    return logStream(ctx, {
      verb: "log",
      resource: parent,
      target: "item",
      subresource: "log",
      method: "GET",
      // What client-go sends: the 1.20 apiserver answers 406 to text/plain on pods/log.
      accept: "application/json, */*",
      // A followed log may be quiet for hours: no body timeout, it ends with the container.
      stream: query.follow === true,
      ...call,
      name,
      query,
    });
  };
}
