// Discovery as the real kubectl (cluster.json's) sees it, the judge of ours: the table of
// `api-resources -o wide` and the per-group lists of `get --raw`, each compared with ours.
import assert from "node:assert/strict";
import type { ApiResourceList, Discovery } from "../../src/index.js";
import type { TestCluster } from "./cluster.js";
import { agreeing, type GroupVersions, walkDiscovery } from "./discovery-walk.js";
import { kubectlGetRaw, kubectlOrThrow } from "./kubectl-run.js";

/** One line of `kubectl api-resources -o wide`, its columns as text. */
interface ApiResourceRow {
  name: string;
  shortNames: string;
  apiVersion: string;
  namespaced: string;
  kind: string;
  verbs: string;
  categories: string;
}

const COLUMNS = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"] as const;

/** The real kubectl's `api-resources -o wide` (asked afresh, not from its disk cache), as rows. */
async function kubectlApiResources(cluster: TestCluster): Promise<ApiResourceRow[]> {
  const out = await kubectlOrThrow(cluster, [
    "--cache-dir",
    `${cluster.dir}/kubectl-cache`,
    "api-resources",
    "-o",
    "wide",
    "--cached=false",
  ]);
  const [header = "", ...lines] = out.split("\n").filter(Boolean);
  // A tab-aligned table: each column starts where its heading does.
  const starts = COLUMNS.map((c) => header.indexOf(c));
  if (starts.some((s) => s < 0)) throw new Error(`kubectl api-resources: unexpected header ${header}`);
  return lines.map((line) => {
    const cell = (i: number) => line.slice(starts[i], starts[i + 1]).trim();
    return {
      name: cell(0),
      shortNames: cell(1),
      apiVersion: cell(2),
      namespaced: cell(3),
      kind: cell(4),
      verbs: cell(5),
      categories: cell(6),
    };
  });
}

/**
 * The table kubectl prints, from our discovery: as client-go's ServerPreferredResources picks
 * them (a resource's preferred version, else the first version that serves it; no
 * subresources), less those without verbs (as kubectl api-resources leaves them out).
 */
function apiResourcesTable(
  groups: GroupVersions[],
  lists: ReadonlyMap<string, ApiResourceList>,
): ApiResourceRow[] {
  const picked = new Map<string, ApiResourceRow>();
  for (const g of groups) {
    for (const gv of g.versions) {
      for (const r of lists.get(gv)?.resources ?? []) {
        if (r.name.includes("/") || r.verbs.length === 0) continue;
        const key = `${g.group} ${r.name}`;
        if (picked.has(key) && gv !== g.preferred) continue;
        picked.set(key, {
          name: r.name,
          shortNames: (r.shortNames ?? []).join(","),
          apiVersion: gv,
          namespaced: String(r.namespaced),
          kind: r.kind,
          verbs: r.verbs.join(","),
          categories: (r.categories ?? []).join(","),
        });
      }
    }
  }
  return [...picked.values()];
}

/** Rows in one order, for comparing tables whatever order each was printed in. */
const sortedRows = (rows: ApiResourceRow[]) =>
  [...rows].sort((a, b) => `${a.apiVersion} ${a.name}`.localeCompare(`${b.apiVersion} ${b.name}`));

/** The server's per-group list of a group-version, as `kubectl get --raw` fetches it. */
async function perGroupList(cluster: TestCluster, groupVersion: string): Promise<ApiResourceList> {
  const path = groupVersion.includes("/") ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
  const r = await kubectlGetRaw(cluster, path);
  if (!r.ok) throw new Error(`kubectl get --raw ${path}: ${r.out}`);
  return JSON.parse(r.out) as ApiResourceList;
}

/** A client of ours, new for each comparison: its discovery cache is empty. */
type NewClient = () => Promise<{ discovery: Discovery; close(): Promise<void> }>;

/** Walks ours on a new client; the cluster's API as it stood during the walk. */
async function walked(newClient: NewClient) {
  const kube = await newClient();
  try {
    return await walkDiscovery(kube.discovery);
  } finally {
    await kube.close();
  }
}

/** Ours give kubectl api-resources -o wide's table; returns kubectl's rows. */
export async function assertSameAsKubectlApiResources(
  cluster: TestCluster,
  newClient: NewClient,
): Promise<ApiResourceRow[]> {
  let rows: ApiResourceRow[] = [];
  await agreeing(async () => {
    rows = await kubectlApiResources(cluster);
    const { groups, lists } = await walked(newClient);
    assert.deepEqual(sortedRows(apiResourcesTable(groups, lists)), sortedRows(rows));
  });
  return rows;
}

/**
 * Each group-version's list of ours is the server's per-group answer, subresources included;
 * `withoutHash`: less storageVersionHash, which the aggregated format does not carry. Returns ours.
 */
export async function assertSameAsPerGroupLists(
  cluster: TestCluster,
  newClient: NewClient,
  { withoutHash }: { withoutHash: boolean },
): Promise<Map<string, ApiResourceList>> {
  let ours = new Map<string, ApiResourceList>();
  await agreeing(async () => {
    ours = (await walked(newClient)).lists;
    for (const [gv, list] of ours) {
      const theirs = await perGroupList(cluster, gv);
      if (withoutHash) for (const r of theirs.resources) delete r.storageVersionHash;
      assert.deepEqual(list, theirs, gv);
    }
  });
  return ours;
}
