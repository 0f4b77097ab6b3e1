import { call, json } from "./http.js";
import { type ClientContext, pathSegmentProblem, type ResourceInfo } from "./request.js";
import type { ApiGroup, ApiResourceList, Discovery } from "./types.js";

/** Group and version names are path segments too: the same rule as names (request.ts). */
function segment(verb: string, field: string, value: unknown, problem: string | undefined) {
  if (problem) {
    throw new TypeError(`discovery.${verb}: ${field} ${JSON.stringify(value)} ${problem}; nothing was sent`);
  }
}

/** Discovery as `kubectl get --raw` walks it, each answer cached per client until refresh(). */
export function createDiscovery(
  ctx: ClientContext,
): Discovery & { resolve(apiVersion: string, kind: string): Promise<ResourceInfo> } {
  const cache = new Map<string, Promise<unknown>>();
  const get = <T>(path: string, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<T> => {
    let p = cache.get(path) as Promise<T> | undefined;
    if (!p) {
      p = call(ctx, { method: "GET", path, ...opts }).then((res) => json<T>(res, "GET", path));
      // A failure is not cached: the next call asks again.
      p.catch(() => cache.delete(path));
      cache.set(path, p);
    }
    return p;
  };
  const resources = async (groupVersion: string, opts?: { signal?: AbortSignal; timeoutMs?: number }) => {
    const parts = String(groupVersion).split("/");
    if (parts.length > 2)
      segment("resources", "groupVersion", groupVersion, 'may not hold more than one "/"');
    for (const p of parts) segment("resources", "groupVersion", groupVersion, pathSegmentProblem(p));
    return get<ApiResourceList>(parts.length === 2 ? `/apis/${groupVersion}` : `/api/${groupVersion}`, opts);
  };
  return {
    version: (o) => get("/version", o),
    api: (o) => get("/api", o),
    groups: (o) => get("/apis", o),
    group: async (name, o) => {
      segment("group", "name", name, pathSegmentProblem(name));
      return get<ApiGroup>(`/apis/${name}`, o);
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
