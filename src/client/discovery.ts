import { KubeError } from "../core/kube-error.js";
import type { CallOptions } from "../core/objects.js";
import type { ResourceInfo } from "../core/registry.js";
import { pathSegmentProblem } from "../core/request.js";
import {
  type AggregatedAnswer,
  DISCOVERY_ACCEPT,
  isAggregated,
  splitAggregated,
} from "./aggregated-discovery.js";
import type { ApiGroup, ApiResourceList, Discovery } from "./discovery-types.js";
import { callWithRetries, json } from "./http.js";
import type { ClientContext } from "./request.js";

/** Group and version names are path segments too: the same rule as names (request.ts). */
function segment(verb: string, field: string, value: unknown, problem: string | undefined) {
  if (problem) {
    throw new TypeError(`discovery.${verb}: ${field} ${JSON.stringify(value)} ${problem}; nothing was sent`);
  }
}

/**
 * The most this client reads of one discovery answer. Aggregated discovery is the whole API in
 * one document (about 100 KiB for a cluster with a few dozen CRDs); thousands of CRDs stay far
 * below this, and a runaway answer cannot take the process's memory.
 */
const MAX_DISCOVERY_BYTES = 32 * 1024 * 1024;

/** GET /api or /apis as it was answered: in the aggregated format (converted), else as it is. */
type Root = { answer: unknown; aggregated: AggregatedAnswer | undefined };

/**
 * Discovery as client-go's discovery client does it: /api and /apis are asked for in the
 * aggregated format first; a server that answers in it has told everything in those two
 * answers, and every method (and the dynamic client) answers from them. A server that answers
 * in the per-group format (before 1.27, where aggregated discovery is not on by default) is
 * asked per group and version, /apis/{g} and /api/{v} or /apis/{g}/{v}. Every answer is cached
 * per client until refresh().
 */
export function createDiscovery(
  ctx: ClientContext,
): Discovery & { resolve(apiVersion: string, kind: string): Promise<ResourceInfo> } {
  const cache = new Map<string, Promise<unknown>>();
  const cached = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) {
      const loading = load();
      // A failure is not cached: the next call asks again.
      loading.catch(() => {
        if (cache.get(key) === loading) cache.delete(key);
      });
      cache.set(key, loading);
      p = loading;
    }
    return p;
  };
  const get = <T>(path: string, opts?: CallOptions): Promise<T> =>
    cached(path, () =>
      callWithRetries(ctx, { method: "GET", path, ...opts }).then((res) =>
        json<T>(res, "GET", path, MAX_DISCOVERY_BYTES),
      ),
    );
  const root = (path: "/api" | "/apis", opts?: CallOptions): Promise<Root> =>
    cached(path, async () => {
      const res = await callWithRetries(ctx, { method: "GET", path, accept: DISCOVERY_ACCEPT, ...opts });
      const body = await json<unknown>(res, "GET", path, MAX_DISCOVERY_BYTES);
      if (!isAggregated(res.headers["content-type"] as string | undefined, body)) {
        return { answer: body, aggregated: undefined };
      }
      const aggregated = splitAggregated(body, { status: res.statusCode, path });
      return { answer: aggregated.root, aggregated };
    });
  const resources = async (groupVersion: string, opts?: CallOptions) => {
    const parts = String(groupVersion).split("/");
    if (parts.length > 2)
      segment("resources", "groupVersion", groupVersion, 'may not hold more than one "/"');
    for (const p of parts) segment("resources", "groupVersion", groupVersion, pathSegmentProblem(p));
    const top = parts.length === 2 ? "/apis" : "/api";
    const path = `${top}/${groupVersion}`;
    const found = (await root(top, opts)).aggregated?.lists.get(groupVersion);
    if (found === "Stale") {
      // As client-go's StaleGroupVersionError: the server could not say what this version
      // serves (its aggregated API server did not answer). Kept until refresh(), as client-go's
      // memory cache keeps it.
      throw new KubeError({
        status: 200,
        method: "GET",
        path: top,
        message: `stale GroupVersion discovery: ${groupVersion} (the server lists it as Stale)`,
      });
    }
    // A version the aggregated answer does not hold (a CRD added since) is asked for itself.
    return found ?? get<ApiResourceList>(path, opts);
  };
  return {
    version: (o) => get("/version", o),
    api: async (o) => (await root("/api", o)).answer as Awaited<ReturnType<Discovery["api"]>>,
    groups: async (o) => (await root("/apis", o)).answer as Awaited<ReturnType<Discovery["groups"]>>,
    group: async (name, o) => {
      segment("group", "name", name, pathSegmentProblem(name));
      const found = (await root("/apis", o)).aggregated?.groups.get(name);
      return found ?? get<ApiGroup>(`/apis/${name}`, o);
    },
    resources,
    refresh: () => cache.clear(),
    /** apiVersion + kind -> the resource serving it (not a subresource), for the dynamic client. */
    async resolve(apiVersion, kind) {
      const list = await resources(apiVersion);
      const r = list.resources.find((x) => x.kind === kind && !x.name.includes("/"));
      if (!r) throw new TypeError(`the server has no resource of kind ${kind} in ${apiVersion}`);
      const prefix = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.name}` : `${prefix}/${r.name}`;
      return {
        apiVersion,
        kind,
        plural: r.name,
        namespaced: r.namespaced,
        verbs: r.verbs,
        paths: {
          collection,
          item: `${collection}/{name}`,
          ...(r.namespaced ? { allNamespaces: `${prefix}/${r.name}` } : {}),
        },
        // Subresources as discovery lists them ("pods/exec"): the connect ones need no schema.
        subresources: Object.fromEntries(
          list.resources
            .filter((x) => x.name.startsWith(`${r.name}/`))
            .map((x) => [
              x.name.slice(r.name.length + 1),
              {
                apiVersion: x.version ? `${x.group ? `${x.group}/` : ""}${x.version}` : apiVersion,
                kind: x.kind,
                verbs: x.verbs,
                path: `${collection}/{name}/${x.name.slice(r.name.length + 1)}`,
              },
            ]),
        ),
      };
    },
  };
}
