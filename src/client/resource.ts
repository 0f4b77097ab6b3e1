import { KubeError, ListExpiredError } from "../core/kube-error.js";
import type { CallOptions } from "./http.js";
import { logStream } from "./log.js";
import { type ClientContext, checkEarly, type RequestSpec, type ResourceInfo, sendJson } from "./request.js";
import type { KubeList, KubeObject } from "./types.js";
import { watchStream } from "./watch.js";

export type { ClientContext, ResourceInfo };

type Options = CallOptions & Record<string, unknown>;
type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } & Record<
  string,
  unknown
>;
type Ref = { name: string; namespace?: string };

const CALL_KEYS = new Set(["signal", "timeoutMs", "namespace", "allNamespaces", "type"]);

/** Splits call options (signal, timeout, scope, patch type) from the query; dryRun: true -> "All". */
function split(options: Options | undefined): {
  call: CallOptions & { namespace?: string; allNamespaces?: boolean };
  query: Record<string, unknown>;
} {
  const callOpts: CallOptions & { namespace?: string; allNamespaces?: boolean } = {};
  const query: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) {
    if (k === "signal") callOpts.signal = v as AbortSignal;
    else if (k === "timeoutMs") callOpts.timeoutMs = v as number;
    else if (k === "namespace") callOpts.namespace = v as string;
    else if (k === "allNamespaces") callOpts.allNamespaces = v === true;
    else if (CALL_KEYS.has(k)) continue;
    else if (k === "dryRun") query.dryRun = v === true ? "All" : v === false ? undefined : v;
    else query[k] = v;
  }
  return { call: callOpts, query };
}

const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
} as const;

function patchContentType(type: unknown): string {
  const contentType = PATCH_TYPES[type as keyof typeof PATCH_TYPES];
  if (!contentType) throw new TypeError(`patch type must be json, merge or strategic, not ${String(type)}`);
  return contentType;
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

function withKind(info: { apiVersion: string; kind: string }, obj: Obj): Obj {
  return { ...obj, apiVersion: obj.apiVersion ?? info.apiVersion, kind: obj.kind ?? info.kind };
}

/**
 * The methods of one resource. `info` is a promise so the dynamic client can resolve it
 * through discovery on first use; `only` limits methods to the resource's verbs. Every method
 * describes its request and hands it to the request layer (request.ts).
 */
export function resourceApi(
  ctx: ClientContext,
  label: string,
  getInfo: () => Promise<ResourceInfo>,
  only?: readonly string[],
) {
  const has = (verb: string) => !only || only.includes(verb);
  const request = async <T>(
    describe: (info: ResourceInfo) => Omit<RequestSpec, "resource">,
    early?: { verb: string; name?: unknown; namespace?: unknown; hasName: boolean },
  ): Promise<{ info: ResourceInfo; out: T }> => {
    if (early) checkEarly(early.verb, label, early);
    const info = await getInfo();
    return { info, out: await sendJson<T>(ctx, { ...describe(info), resource: info }) };
  };

  /** Items of a list arrive without apiVersion/kind; the types promise them, so fill them in. */
  const fillItems = (info: ResourceInfo, list: KubeList<Obj>) => {
    for (const item of list.items ?? []) {
      item.apiVersion ??= info.apiVersion;
      item.kind ??= info.kind;
    }
    return list;
  };

  const list = async (options?: Options) => {
    const { call, query } = split(options);
    const { info, out } = await request<KubeList<Obj>>(
      () => ({
        verb: "list",
        target: "collection",
        method: "GET",
        query,
        ...call,
      }),
      { verb: "list", namespace: call.namespace, hasName: false },
    );
    return fillItems(info, out);
  };

  const api: Record<string, unknown> = {};
  if (has("get")) {
    api.get = async (ref: Ref, options?: Options) => {
      const { call, query } = split(options);
      const { info, out } = await request<Obj>(
        () => ({
          verb: "get",
          target: "item",
          method: "GET",
          name: ref?.name,
          namespace: ref?.namespace,
          query,
          ...call,
        }),
        { verb: "get", name: ref?.name, namespace: ref?.namespace, hasName: true },
      );
      return withKind(info, out);
    };
  }
  if (has("list")) {
    api.list = list;
    api.listAll = (options?: Options) => pages(list, options);
  }
  if (has("create")) {
    api.create = async (object: Obj, options?: Options) => {
      const { call, query } = split(options);
      return (
        await request<Obj>(
          (info) => ({
            verb: "create",
            target: "collection",
            method: "POST",
            ...call,
            namespace: objectNamespace("create", info, object, call.namespace),
            query,
            body: withKind(info, object),
          }),
          { verb: "create", name: undefined, namespace: call.namespace, hasName: false },
        )
      ).out;
    };
  }
  if (has("update")) {
    api.replace = async (object: Obj, options?: Options) => {
      const { call, query } = split(options);
      return (
        await request<Obj>(
          (info) => ({
            verb: "replace",
            target: "item",
            method: "PUT",
            ...call,
            namespace: objectNamespace("replace", info, object, call.namespace),
            name: object.metadata?.name,
            query,
            body: withKind(info, object),
          }),
          { verb: "replace", name: object.metadata?.name, namespace: call.namespace, hasName: true },
        )
      ).out;
    };
  }
  if (has("patch")) {
    api.patch = async (ref: Ref, body: unknown, options: Options & { type: keyof typeof PATCH_TYPES }) => {
      const contentType = patchContentType(options?.type);
      const { call, query } = split(options);
      return (
        await request<Obj>(
          () => ({
            verb: "patch",
            target: "item",
            method: "PATCH",
            ...call,
            name: ref?.name,
            namespace: ref?.namespace,
            query,
            body,
            contentType,
          }),
          { verb: "patch", name: ref?.name, namespace: ref?.namespace, hasName: true },
        )
      ).out;
    };
    api.apply = async (object: Obj, options: Options & { fieldManager: string; force?: boolean }) => {
      if (!options?.fieldManager) throw new TypeError("apply needs a fieldManager");
      const { call, query } = split(options);
      return (
        await request<Obj>(
          (info) => ({
            verb: "apply",
            target: "item",
            method: "PATCH",
            ...call,
            namespace: objectNamespace("apply", info, object, call.namespace),
            name: object.metadata?.name,
            query,
            // JSON is YAML: the apply patch content type takes it as is.
            body: withKind(info, object),
            contentType: "application/apply-patch+yaml",
          }),
          { verb: "apply", name: object.metadata?.name, namespace: call.namespace, hasName: true },
        )
      ).out;
    };
  }
  if (has("delete")) {
    api.delete = async (ref: Ref, options?: Options) => {
      const { call, query } = split(options);
      return (
        await request<unknown>(
          () => ({
            verb: "delete",
            target: "item",
            method: "DELETE",
            ...call,
            name: ref?.name,
            namespace: ref?.namespace,
            query,
          }),
          { verb: "delete", name: ref?.name, namespace: ref?.namespace, hasName: true },
        )
      ).out;
    };
  }
  if (has("deletecollection")) {
    api.deleteCollection = async (options?: Options) => {
      const { call, query } = split(options);
      if (call.allNamespaces)
        throw new TypeError("deleteCollection acts in one namespace; allNamespaces is refused");
      return (
        await request<unknown>(
          () => ({
            verb: "deleteCollection",
            target: "collection",
            method: "DELETE",
            ...call,
            query,
          }),
          { verb: "deleteCollection", namespace: call.namespace, hasName: false },
        )
      ).out;
    };
  }
  if (has("watch")) {
    api.watch = (options?: Options) => {
      const { call, query } = split(options);
      return watchStream(
        ctx,
        async () => ({
          verb: "watch",
          resource: await getInfo(),
          target: "collection",
          method: "GET",
          namespace: call.namespace,
          allNamespaces: call.allNamespaces,
        }),
        {
          ...query,
          ...(call.signal ? { signal: call.signal } : {}),
          ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
        },
      );
    };
  }
  // The informer reports an unheard error through the client's warning handler.
  Object.defineProperty(api, Symbol.for("kubefetch.onWarning"), { value: ctx.onWarning });
  // Controllers share one informer per kind and map owner references by group and kind.
  Object.defineProperty(api, Symbol.for("kubefetch.resourceInfo"), { value: getInfo });
  return api;
}

/**
 * listAll: every object, page by page, as client-go's pager. A continue token expires with
 * its snapshot (410 on a later page): with nothing handed out yet, one full list replaces the
 * pages; after that, a ListExpiredError says how far it got (the caller lists again).
 */
async function* pages(list: (o?: Options) => Promise<KubeList<Obj>>, options?: Options) {
  let token: string | undefined;
  let handedOut = 0;
  do {
    let page: KubeList<Obj>;
    try {
      page = await list({ ...options, ...(token ? { continue: token } : {}) });
    } catch (err) {
      if (!(token && err instanceof KubeError && err.status === 410)) throw err;
      if (handedOut > 0) throw new ListExpiredError(handedOut, err);
      const { limit: _l, ...whole } = options ?? {};
      page = await list(whole);
    }
    for (const item of page.items) {
      handedOut++;
      yield item;
    }
    token = page.metadata?.continue || undefined;
  } while (token);
}

/** A subresource's methods by its verbs: status and scale (get/replace/patch), eviction (create), ... */
export function subresourceApi(
  ctx: ClientContext,
  parent: ResourceInfo,
  name: string,
): Record<string, unknown> {
  const sub = parent.subresources[name] as ResourceInfo["subresources"][string];
  const api: Record<string, unknown> = {};
  const fill = (o: Obj): Obj => withKind(sub, o);
  const at = (
    verb: string,
    method: RequestSpec["method"],
    ref: Partial<Ref> | undefined,
    options?: Options,
  ) => {
    const { call, query } = split(options);
    return {
      verb: `${name}.${verb}`,
      resource: parent,
      target: "item",
      subresource: name,
      method,
      ...call,
      name: ref?.name,
      namespace: ref?.namespace ?? call.namespace,
      query,
    } satisfies RequestSpec;
  };
  if (sub.verbs.includes("get")) {
    api.get = (ref: Ref, options?: Options) => sendJson<Obj>(ctx, at("get", "GET", ref, options));
  }
  if (sub.verbs.includes("update")) {
    api.replace = (object: Obj, options?: Options) =>
      sendJson<Obj>(ctx, { ...at("replace", "PUT", object.metadata, options), body: fill(object) });
  }
  if (sub.verbs.includes("patch")) {
    api.patch = async (ref: Ref, body: unknown, options: Options & { type: keyof typeof PATCH_TYPES }) => {
      const contentType = patchContentType(options?.type);
      return sendJson<Obj>(ctx, { ...at("patch", "PATCH", ref, options), body, contentType });
    };
  }
  if (sub.verbs.includes("create")) {
    api.create = (ref: Ref, body: Obj, options?: Options) =>
      sendJson<unknown>(ctx, { ...at("create", "POST", ref, options), body: fill(body) });
  }
  return api;
}

/** The log subresource: lines as they come (follow), or the whole text. */
export function logApi(ctx: ClientContext, parent: ResourceInfo) {
  // One object, as the API has it: pods.log({ namespace, name, follow: true }).
  return (options: Options & { name: string; namespace?: string }) => {
    const { name, ...rest } = options ?? ({} as Options & Ref);
    const { call, query } = split(rest);
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

export type { KubeObject };
