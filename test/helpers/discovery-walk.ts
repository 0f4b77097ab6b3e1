import type { ApiResourceList, Discovery } from "../../src/index.js";

/** client-go's discovery Accept for /api and /apis (discovery_client.go's acceptDiscoveryFormats), written out. */
export const CLIENT_GO_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," +
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/** /api, /api/{v}, /apis, /apis/{g}, /apis/{g}/{v}: discovery's paths; a resource's have more segments. */
export function isDiscoveryPath(path: string): boolean {
  const [top, ...rest] = (path.split("?")[0] ?? "").split("/").filter(Boolean);
  return (top === "api" && rest.length <= 1) || (top === "apis" && rest.length <= 2);
}

export interface GroupVersions {
  /** "" for the core group. */
  group: string;
  preferred: string;
  versions: string[];
}

/** Everything discovery lists, as a caller walks it: /api, /apis, each group, each group-version. */
export async function walkDiscovery(
  d: Discovery,
): Promise<{ groups: GroupVersions[]; lists: Map<string, ApiResourceList> }> {
  const core = await d.api();
  const named = await d.groups();
  const groups: GroupVersions[] = [
    { group: "", preferred: core.versions[0] ?? "", versions: core.versions },
    ...named.groups.map((g) => ({
      group: g.name,
      preferred: g.preferredVersion?.groupVersion ?? "",
      versions: g.versions.map((v) => v.groupVersion),
    })),
  ];
  for (const g of groups) if (g.group) await d.group(g.group);
  const lists = new Map<string, ApiResourceList>();
  for (const g of groups) for (const gv of g.versions) lists.set(gv, await d.resources(gv));
  return { groups, lists };
}

/**
 * Others share the test cluster and add and remove CRDs: a comparison with kubectl that
 * differs is made again from scratch, and only one that differs three times running fails.
 */
export async function agreeing(compare: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await compare();
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}
