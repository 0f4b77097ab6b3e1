// Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1, one shape): /api and /apis each
// answer with all their groups, versions and resources at once. Here such an answer becomes
// the documents the per-group path would have fetched, as client-go's SplitGroupsAndResources
// does, so a caller cannot tell which format the server spoke. Pure: no I/O.

import { KubeError } from "../core/kube-error.js";
import { pathSegmentProblem } from "../core/request.js";
import type { ApiGroup, ApiResource, ApiResourceList, Discovery } from "./discovery-types.js";

/** What client-go's discovery client sends for /api and /apis: v2, then v2beta1, then the per-group format. */
export const DISCOVERY_ACCEPT = [
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
  "application/json",
].join(",");

const FORMATS = new Set(["apidiscovery.k8s.io/v2", "apidiscovery.k8s.io/v2beta1"]);

/**
 * Whether the answer is aggregated: its Content-Type says so (parameters in any order, others
 * ignored, as client-go's ContentTypeIsGVK), or its kind does, for an intermediary that kept
 * the body but dropped the parameters.
 */
export function isAggregated(contentType: string | undefined, body: unknown): boolean {
  return aggregatedContentType(contentType) || (isRecord(body) && body.kind === "APIGroupDiscoveryList");
}

function aggregatedContentType(contentType: string | undefined): boolean {
  const [base, ...params] = (contentType ?? "").split(";");
  if (base?.trim().toLowerCase() !== "application/json") return false;
  const p = new Map<string, string>();
  for (const kv of params) {
    const [key = "", value = ""] = kv.split("=", 2).map((x) => x.trim());
    p.set(key.toLowerCase(), value.replace(/^"(.*)"$/, "$1"));
  }
  return p.get("as") === "APIGroupDiscoveryList" && FORMATS.has(`${p.get("g")}/${p.get("v")}`);
}

type ApiVersions = Awaited<ReturnType<Discovery["api"]>>;
type ApiGroupList = Awaited<ReturnType<Discovery["groups"]>>;

/** One aggregated answer, as the per-group documents it stands for. */
export interface AggregatedAnswer {
  /** What the per-group format answers at the same path: APIVersions (/api) or APIGroupList (/apis). */
  root: ApiVersions | ApiGroupList;
  /** GET /apis/{group}'s APIGroup, by group name (none for /api). */
  groups: Map<string, ApiGroup>;
  /**
   * GET /api/{v} or /apis/{g}/{v}'s APIResourceList, by group-version; "Stale" when the server
   * marks that version's discovery stale (client-go's StaleGroupVersionError).
   */
  lists: Map<string, ApiResourceList | "Stale">;
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * Converts the aggregated answer of `origin.path` ("/api": the core group only; "/apis": named
 * groups). A document that is not the shape the format promises is a KubeError naming the
 * path and the field; a resource or subresource without a kind is left out, as client-go does
 * (the format allows a parent listed only for its subresources).
 */
export function splitAggregated(
  doc: unknown,
  origin: { status: number; path: "/api" | "/apis" },
): AggregatedAnswer {
  const bad = (where: string, problem: string): never => {
    throw new KubeError({
      status: origin.status,
      method: "GET",
      path: origin.path,
      message: `malformed aggregated discovery: ${where} ${problem}`,
    });
  };
  const record = (x: unknown, where: string) => (isRecord(x) ? x : bad(where, "is not an object"));
  const list = (x: unknown, where: string): unknown[] =>
    x === undefined || x === null ? [] : Array.isArray(x) ? x : bad(where, "is not a list");
  const text = (x: unknown, where: string, optional = false): string =>
    typeof x === "string" ? x : optional && x === undefined ? "" : bad(where, "is not a string");
  const texts = (x: unknown, where: string): string[] =>
    list(x, where).map((s, i) => text(s, `${where}[${i}]`));
  const segment = (x: unknown, where: string): string => {
    const problem = pathSegmentProblem(x);
    return problem ? bad(where, `${JSON.stringify(x)} ${problem}`) : (x as string);
  };

  const top = record(doc, "the answer");
  if (top.kind !== "APIGroupDiscoveryList")
    bad("kind", `${JSON.stringify(top.kind)} is not "APIGroupDiscoveryList"`);
  const core = origin.path === "/api";
  const groups = new Map<string, ApiGroup>();
  const lists = new Map<string, ApiResourceList | "Stale">();
  const entries: ApiGroup[] = [];
  const coreVersions: string[] = [];

  list(top.items, "items").forEach((item, i) => {
    const at = `items[${i}]`;
    const g = record(item, at);
    const rawName = record(g.metadata ?? {}, `${at}.metadata`).name;
    const name = core
      ? text(rawName, `${at}.metadata.name`, true) === ""
        ? ""
        : bad(`${at}.metadata.name`, "is not empty (/api serves the core group only)")
      : segment(rawName, `${at}.metadata.name`);
    const versions: ApiGroup["versions"] = [];
    list(g.versions, `${at}.versions`).forEach((entry, j) => {
      const vat = `${at}.versions[${j}]`;
      const v = record(entry, vat);
      const version = segment(v.version, `${vat}.version`);
      const groupVersion = core ? version : `${name}/${version}`;
      versions.push({ groupVersion, version });
      if (core) coreVersions.push(version);
      lists.set(
        groupVersion,
        v.freshness === "Stale"
          ? "Stale"
          : {
              kind: "APIResourceList",
              // The server's own lists say it for named groups only.
              ...(core ? {} : { apiVersion: "v1" }),
              groupVersion,
              resources: resourcesOf(v.resources, `${vat}.resources`, name, version),
            },
      );
    });
    if (core) return;
    // The first version listed is the preferred one: the server orders them by priority.
    const entry = (): ApiGroup => ({
      name,
      versions: versions.map((v) => ({ ...v })),
      ...(versions[0] ? { preferredVersion: { ...versions[0] } } : {}),
    });
    entries.push(entry());
    groups.set(name, { kind: "APIGroup", apiVersion: "v1", ...entry() });
  });

  function resourcesOf(x: unknown, where: string, group: string, version: string): ApiResource[] {
    const out: ApiResource[] = [];
    // The per-group lists name a kind's group-version only where it differs from their own.
    const gvk = (k: unknown, at: string) => {
      if (k === undefined || k === null) return undefined;
      const r = record(k, at);
      const kind = text(r.kind, `${at}.kind`, true);
      if (!kind) return undefined;
      const g = text(r.group, `${at}.group`, true);
      const v = text(r.version, `${at}.version`, true);
      const same = (g === "" && v === "") || (g === group && v === version);
      return { kind, ...(same ? {} : { ...(g ? { group: g } : {}), ...(v ? { version: v } : {}) }) };
    };
    const optional = (field: "shortNames" | "categories", value: unknown, at: string) => {
      const v = texts(value, `${at}.${field}`);
      return v.length ? { [field]: v } : {};
    };
    list(x, where).forEach((entry, i) => {
      const at = `${where}[${i}]`;
      const r = record(entry, at);
      const name = segment(r.resource, `${at}.resource`);
      const scope = r.scope;
      if (scope !== "Namespaced" && scope !== "Cluster")
        bad(`${at}.scope`, `${JSON.stringify(scope)} is not "Namespaced" or "Cluster"`);
      const namespaced = scope === "Namespaced";
      const kind = gvk(r.responseKind, `${at}.responseKind`);
      if (kind) {
        out.push({
          name,
          singularName: text(r.singularResource, `${at}.singularResource`, true),
          namespaced,
          ...kind,
          verbs: texts(r.verbs, `${at}.verbs`),
          ...optional("shortNames", r.shortNames, at),
          ...optional("categories", r.categories, at),
        });
      }
      list(r.subresources, `${at}.subresources`).forEach((sub, j) => {
        const sat = `${at}.subresources[${j}]`;
        const s = record(sub, sat);
        const subName = segment(s.subresource, `${sat}.subresource`);
        const subKind = gvk(s.responseKind, `${sat}.responseKind`);
        if (!subKind) return;
        // As the per-group lists give a subresource: no singular name of its own.
        out.push({
          name: `${name}/${subName}`,
          singularName: "",
          namespaced,
          ...subKind,
          verbs: texts(s.verbs, `${sat}.verbs`),
        });
      });
    });
    return out;
  }

  const root: AggregatedAnswer["root"] = core
    ? { kind: "APIVersions", versions: coreVersions }
    : { kind: "APIGroupList", apiVersion: "v1", groups: entries };
  return { root, groups, lists };
}
