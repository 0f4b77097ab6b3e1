import type { KubeConfig } from "../config/load-config.js";
import { type CallOptions, call, type HttpContext, json } from "./http.js";
import { logStream } from "./log.js";
import type { KubeList, KubeObject } from "./types.js";
import { watchStream } from "./watch.js";

/** What the runtime needs to know of a resource: from the registry, or found by discovery. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: readonly string[];
  paths: { collection?: string; item?: string; allNamespaces?: string };
  subresources: Readonly<
    Record<
      string,
      { apiVersion: string; kind: string; verbs: readonly string[]; path: string; schema?: string }
    >
  >;
}

export interface ClientContext extends HttpContext {
  config: KubeConfig;
}

type Options = CallOptions & Record<string, unknown>;
type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } } & Record<
  string,
  unknown
>;

const CALL_KEYS = new Set(["signal", "timeoutMs", "namespace", "type"]);

/** Splits call options (signal, timeout, namespace, patch type) from the query; dryRun: true -> "All". */
function split(options: Options | undefined): { call: CallOptions; query: Record<string, unknown> } {
  const callOpts: CallOptions = {};
  const query: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) {
    if (k === "signal") callOpts.signal = v as AbortSignal;
    else if (k === "timeoutMs") callOpts.timeoutMs = v as number;
    else if (CALL_KEYS.has(k)) continue;
    else if (k === "dryRun") query.dryRun = v === true ? "All" : v === false ? undefined : v;
    else query[k] = v;
  }
  return { call: callOpts, query };
}

export function fillPath(template: string, namespace: string | undefined, name: string | undefined): string {
  return template
    .replace("{namespace}", encodeURIComponent(namespace ?? ""))
    .replace("{name}", encodeURIComponent(name ?? ""));
}

const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
} as const;

/** A namespaced resource's namespace: the given one, else the config's; none for cluster-scoped. */
function namespaceFor(
  ctx: ClientContext,
  namespaced: boolean,
  given: string | undefined,
): string | undefined {
  return namespaced ? (given ?? ctx.config.namespace) : undefined;
}

/** PATCH with the content type of a json, merge or strategic patch; used by resources and subresources. */
async function patchAt(
  ctx: ClientContext,
  path: string,
  body: unknown,
  options: Options & { type: keyof typeof PATCH_TYPES },
) {
  const contentType = PATCH_TYPES[options.type];
  if (!contentType)
    throw new TypeError(`patch type must be json, merge or strategic, not ${String(options.type)}`);
  const { call: c, query } = split(options);
  const res = await call(ctx, { method: "PATCH", path, query, body, contentType, ...c });
  return json<Obj>(res, "PATCH", path);
}

/**
 * The methods of one resource. `info` is a promise so the dynamic client can resolve it
 * through discovery on first use; `only` limits methods to the resource's verbs.
 */
export function resourceApi(
  ctx: ClientContext,
  getInfo: () => Promise<ResourceInfo>,
  only?: readonly string[],
) {
  const has = (verb: string) => !only || only.includes(verb);
  const ns = (info: ResourceInfo, given: string | undefined) => namespaceFor(ctx, info.namespaced, given);

  const itemPath = async (ref: { name: string; namespace?: string }) => {
    const info = await getInfo();
    if (!info.paths.item) throw new TypeError(`${info.kind} has no item path`);
    return { info, path: fillPath(info.paths.item, ns(info, ref.namespace), ref.name) };
  };

  const withKind = (info: ResourceInfo, obj: Obj): Obj => ({
    ...obj,
    apiVersion: obj.apiVersion ?? info.apiVersion,
    kind: obj.kind ?? info.kind,
  });

  /** Items of a list arrive without apiVersion/kind; the types promise them, so fill them in. */
  const fillItems = (info: ResourceInfo, list: KubeList<Obj>) => {
    for (const item of list.items ?? []) {
      item.apiVersion ??= info.apiVersion;
      item.kind ??= info.kind;
    }
    return list;
  };

  const listPath = (info: ResourceInfo, namespace: string | undefined) => {
    if (info.namespaced && namespace === undefined) {
      if (!info.paths.allNamespaces) throw new TypeError(`${info.kind} cannot be listed across namespaces`);
      return info.paths.allNamespaces;
    }
    if (!info.paths.collection) throw new TypeError(`${info.kind} has no collection path`);
    return fillPath(info.paths.collection, namespace, undefined);
  };

  const list = async (options?: Options) => {
    const info = await getInfo();
    const { call: c, query } = split(options);
    const path = listPath(info, info.namespaced ? (options?.namespace as string | undefined) : undefined);
    const res = await call(ctx, { method: "GET", path, query, ...c });
    return fillItems(info, await json<KubeList<Obj>>(res, "GET", path));
  };

  const api: Record<string, unknown> = {};
  if (has("get")) {
    api.get = async (ref: { name: string; namespace?: string }, options?: Options) => {
      const { info, path } = await itemPath(ref);
      const { call: c, query } = split(options);
      const res = await call(ctx, { method: "GET", path, query, ...c });
      return withKind(info, await json<Obj>(res, "GET", path));
    };
  }
  if (has("list")) {
    api.list = list;
    api.listAll = async function* listAll(options?: Options) {
      let token: string | undefined;
      do {
        const page = await list({ ...options, ...(token ? { continue: token } : {}) });
        yield* page.items;
        token = page.metadata?.continue || undefined;
      } while (token);
    };
  }
  if (has("create")) {
    api.create = async (object: Obj, options?: Options) => {
      const info = await getInfo();
      const { call: c, query } = split(options);
      const namespace = ns(info, object.metadata?.namespace ?? (options?.namespace as string | undefined));
      const path = fillPath(info.paths.collection ?? "", namespace, undefined);
      const res = await call(ctx, { method: "POST", path, query, body: withKind(info, object), ...c });
      return json<Obj>(res, "POST", path);
    };
  }
  if (has("update")) {
    api.replace = async (object: Obj, options?: Options) => {
      const info = await getInfo();
      const { call: c, query } = split(options);
      const namespace = ns(info, object.metadata?.namespace ?? (options?.namespace as string | undefined));
      const path = fillPath(info.paths.item ?? "", namespace, object.metadata?.name);
      const res = await call(ctx, { method: "PUT", path, query, body: withKind(info, object), ...c });
      return json<Obj>(res, "PUT", path);
    };
  }
  if (has("patch")) {
    api.patch = async (
      ref: { name: string; namespace?: string },
      body: unknown,
      options: Options & { type: keyof typeof PATCH_TYPES },
    ) => {
      const { path } = await itemPath(ref);
      return patchAt(ctx, path, body, options);
    };
    api.apply = async (object: Obj, options: Options & { fieldManager: string; force?: boolean }) => {
      const info = await getInfo();
      if (!options?.fieldManager) throw new TypeError("apply needs a fieldManager");
      const namespace = ns(info, object.metadata?.namespace ?? (options.namespace as string | undefined));
      const path = fillPath(info.paths.item ?? "", namespace, object.metadata?.name);
      const { call: c, query } = split(options);
      // JSON is YAML: the apply patch content type takes it as is.
      const body = withKind(info, object);
      const res = await call(ctx, {
        method: "PATCH",
        path,
        query,
        body,
        contentType: "application/apply-patch+yaml",
        ...c,
      });
      return json<Obj>(res, "PATCH", path);
    };
  }
  if (has("delete")) {
    api.delete = async (ref: { name: string; namespace?: string }, options?: Options) => {
      const { path } = await itemPath(ref);
      const { call: c, query } = split(options);
      const res = await call(ctx, { method: "DELETE", path, query, ...c });
      return json<unknown>(res, "DELETE", path);
    };
  }
  if (has("deletecollection")) {
    api.deleteCollection = async (options?: Options) => {
      const info = await getInfo();
      const { call: c, query } = split(options);
      const path = fillPath(
        info.paths.collection ?? "",
        ns(info, options?.namespace as string | undefined),
        undefined,
      );
      const res = await call(ctx, { method: "DELETE", path, query, ...c });
      return json<unknown>(res, "DELETE", path);
    };
  }
  if (has("watch")) {
    api.watch = (options?: Options) =>
      watchStream(
        ctx,
        async () => {
          const info = await getInfo();
          return {
            info,
            path: listPath(info, info.namespaced ? (options?.namespace as string | undefined) : undefined),
          };
        },
        options ?? {},
      );
  }
  return api;
}

/** A subresource's methods by its verbs: status and scale (get/replace/patch), eviction (create), ... */
export function subresourceApi(
  ctx: ClientContext,
  parent: ResourceInfo,
  sub: ResourceInfo["subresources"][string],
): Record<string, unknown> {
  const path = (ref: { name?: string; namespace?: string }) =>
    fillPath(sub.path, namespaceFor(ctx, parent.namespaced, ref.namespace), ref.name);
  const api: Record<string, unknown> = {};
  const fill = (o: Obj): Obj => ({
    ...o,
    apiVersion: o.apiVersion ?? sub.apiVersion,
    kind: o.kind ?? sub.kind,
  });
  if (sub.verbs.includes("get")) {
    api.get = async (ref: { name: string; namespace?: string }, options?: Options) => {
      const p = path(ref);
      return json<Obj>(await call(ctx, { method: "GET", path: p, ...split(options).call }), "GET", p);
    };
  }
  if (sub.verbs.includes("update")) {
    api.replace = async (object: Obj, options?: Options) => {
      const p = path(object.metadata ?? {});
      const { call: c, query } = split(options);
      return json<Obj>(
        await call(ctx, { method: "PUT", path: p, query, body: fill(object), ...c }),
        "PUT",
        p,
      );
    };
  }
  if (sub.verbs.includes("patch")) {
    api.patch = async (
      ref: { name: string; namespace?: string },
      body: unknown,
      options: Options & { type: keyof typeof PATCH_TYPES },
    ) => patchAt(ctx, path(ref), body, options);
  }
  if (sub.verbs.includes("create")) {
    api.create = async (ref: { name: string; namespace?: string }, body: Obj, options?: Options) => {
      const p = path(ref);
      const { call: c, query } = split(options);
      return json<unknown>(
        await call(ctx, { method: "POST", path: p, query, body: fill(body), ...c }),
        "POST",
        p,
      );
    };
  }
  return api;
}

/** The log subresource: lines as they come (follow), or the whole text. */
export function logApi(ctx: ClientContext, parent: ResourceInfo, sub: ResourceInfo["subresources"][string]) {
  // One object, as the API has it: pods.log({ namespace, name, follow: true }).
  return (options: Options & { name: string; namespace?: string }) => {
    const namespace = namespaceFor(ctx, parent.namespaced, options.namespace);
    const path = fillPath(sub.path, namespace, options.name);
    const { name: _name, ...rest } = options;
    const { call: c, query } = split(rest);
    return logStream(ctx, path, query, c);
  };
}

export type { KubeObject };
