import type { ApiResourceList, Discovery } from "../../src/index.js";
import type { TestCluster } from "./cluster.js";
import { kubectl } from "./kubectl-run.js";

/** One line of `kubectl api-resources -o wide`, its columns as text. */
export interface ApiResourceRow {
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
export async function kubectlApiResources(cluster: TestCluster): Promise<ApiResourceRow[]> {
  const r = await kubectl(cluster, ["api-resources", "-o", "wide", "--cached=false"]);
  if (r.code !== 0) throw new Error(`kubectl api-resources: ${r.stderr}`);
  const [header = "", ...lines] = r.stdout.toString("utf8").split("\n").filter(Boolean);
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

/** Every group-version the server lists, the core group's first, each group's preferred one first. */
export async function groupVersions(
  d: Discovery,
): Promise<{ group: string; preferred: string; versions: string[] }[]> {
  const core = await d.api();
  const groups = await d.groups();
  return [
    { group: "", preferred: core.versions[0] ?? "", versions: core.versions },
    ...groups.groups.map((g) => ({
      group: g.name,
      preferred: g.preferredVersion?.groupVersion ?? "",
      versions: g.versions.map((v) => v.groupVersion),
    })),
  ];
}

/**
 * The table kubectl prints, from our discovery: as client-go's ServerPreferredResources picks
 * them (a resource's preferred version, else the first version that serves it; no
 * subresources), less those without verbs (as kubectl api-resources leaves them out).
 */
export function apiResourcesTable(
  groups: { group: string; preferred: string; versions: string[] }[],
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
export const sortedRows = (rows: ApiResourceRow[]) =>
  [...rows].sort((a, b) => `${a.apiVersion} ${a.name}`.localeCompare(`${b.apiVersion} ${b.name}`));
