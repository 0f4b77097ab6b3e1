// The aggregated discovery converter alone: which answers are aggregated, and that a real
// server's aggregated answer becomes exactly its per-group documents.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAggregated, splitAggregated } from "../../src/client/aggregated-discovery.js";
import { type ApiResourceList, KubeError } from "../../src/index.js";
import { aggregatedApi, aggregatedApis, legacy } from "../fixtures/discovery/answers-1.37.js";
import { fc, fuzz } from "../helpers/fuzz.js";

/** The per-group list as the converter gives it: storageVersionHash is not in the aggregated format. */
const withoutHash = (list: { resources: readonly object[] }) => ({
  ...list,
  resources: list.resources.map((r) => {
    const { storageVersionHash: _, ...rest } = r as Record<string, unknown>;
    return rest;
  }),
});
const clone = <T>(x: T): T => structuredClone(x) as T;
const split = (doc: unknown, path: "/api" | "/apis" = "/apis") => splitAggregated(doc, { status: 200, path });

describe("which answers are aggregated", () => {
  const v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
  for (const [type, yes] of [
    [v2, true],
    ["application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", true],
    ["application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io", true],
    [`${v2};charset=utf-8`, true],
    ['Application/JSON;g="apidiscovery.k8s.io";v=v2;as=APIGroupDiscoveryList', true],
    ["application/json", false],
    ["application/json;charset=utf-8", false],
    ["application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", false],
    ["application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupList", false],
    ["application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", false],
    ["", false],
  ] as const) {
    it(`Content-Type ${JSON.stringify(type)}: ${yes ? "aggregated" : "not aggregated"}`, () => {
      assert.equal(isAggregated(type, legacy["/apis"]), yes);
    });
  }

  it("a body of kind APIGroupDiscoveryList is aggregated whatever its Content-Type (an intermediary may drop the parameters)", () => {
    assert.equal(isAggregated("application/json", aggregatedApis), true);
    assert.equal(isAggregated(undefined, aggregatedApis), true);
  });
});

describe("a real server's aggregated answer becomes its per-group documents", () => {
  it("/api: the core group's APIVersions and the v1 list, subresources included", () => {
    const got = split(aggregatedApi, "/api");
    const { serverAddressByClientCIDRs: _, ...versions } = legacy["/api"];
    assert.deepEqual(got.root, versions);
    assert.deepEqual(got.lists.get("v1"), withoutHash(legacy["/api/v1"]));
    assert.equal(got.groups.size, 0);
  });

  it("/apis: the group list, each group, and each version's list", () => {
    const got = split(aggregatedApis);
    assert.deepEqual(got.root, legacy["/apis"]);
    assert.deepEqual(got.groups.get("apps"), legacy["/apis/apps"]);
    assert.deepEqual(got.groups.get("edge.kubefetch.example"), legacy["/apis/edge.kubefetch.example"]);
    for (const gv of ["apps/v1", "edge.kubefetch.example/v1", "edge.kubefetch.example/v1beta1"] as const) {
      assert.deepEqual(got.lists.get(gv), withoutHash(legacy[`/apis/${gv}`]), gv);
    }
  });

  it("a kind's group-version is named only where it differs from the list's own, as in the per-group lists", () => {
    const lists = split(aggregatedApis).lists;
    const gvk = (gv: string, name: string) => {
      const r = (lists.get(gv) as ApiResourceList).resources.find((x) => x.name === name);
      return [r?.group, r?.version, r?.kind];
    };
    assert.deepEqual(gvk("apps/v1", "deployments/scale"), ["autoscaling", "v1", "Scale"]);
    assert.deepEqual(gvk("apps/v1", "deployments"), [undefined, undefined, "Deployment"]);
    // A CRD's aggregated entries name their own group-version outright.
    assert.deepEqual(gvk("edge.kubefetch.example/v1", "gadgets"), [undefined, undefined, "Gadget"]);
    assert.deepEqual(gvk("edge.kubefetch.example/v1", "gadgets/scale"), ["autoscaling", "v1", "Scale"]);
  });

  it("a version marked Stale is Stale, not an empty list; the group still lists it", () => {
    const doc = clone(aggregatedApis);
    const edge = doc.items.find((g) => g.metadata.name === "edge.kubefetch.example");
    Object.assign(edge?.versions[1] ?? {}, { freshness: "Stale", resources: [] });
    const got = split(doc);
    assert.equal(got.lists.get("edge.kubefetch.example/v1beta1"), "Stale");
    assert.notEqual(got.lists.get("edge.kubefetch.example/v1"), "Stale");
    assert.deepEqual(got.groups.get("edge.kubefetch.example"), legacy["/apis/edge.kubefetch.example"]);
  });

  it("a resource without a kind is left out, its subresources kept (as client-go)", () => {
    const doc = clone(aggregatedApis);
    const deployments = doc.items[0]?.versions[0]?.resources[0] as Record<string, unknown>;
    delete deployments.responseKind;
    const names = (split(doc).lists.get("apps/v1") as { resources: { name: string }[] }).resources.map(
      (r) => r.name,
    );
    assert.deepEqual(names, ["deployments/scale", "deployments/status"]);
  });
});

describe("a malformed aggregated answer is a KubeError naming the path and the field", () => {
  const cases: [string, (doc: Record<string, unknown>) => unknown, RegExp][] = [
    ["not an object", () => [], /the answer is not an object/],
    [
      "another kind",
      (d) => ({ ...d, kind: "APIGroupList" }),
      /kind "APIGroupList" is not "APIGroupDiscoveryList"/,
    ],
    ["items not a list", (d) => ({ ...d, items: {} }), /items is not a list/],
    [
      "versions not a list",
      (d) => set(d, ["items", 0, "versions"], "v1"),
      /items\[0\]\.versions is not a list/,
    ],
    [
      "a group without a name",
      (d) => set(d, ["items", 0, "metadata"], {}),
      /items\[0\]\.metadata\.name undefined must be a string/,
    ],
    [
      "a version that is no path segment",
      (d) => set(d, ["items", 0, "versions", 0, "version"], "../v1"),
      /version "\.\.\/v1" may not contain "\/"/,
    ],
    [
      "a resource named with a slash",
      (d) => set(d, ["items", 0, "versions", 0, "resources", 0, "resource"], "a/b"),
      /resources\[0\]\.resource "a\/b"/,
    ],
    [
      "no scope",
      (d) => set(d, ["items", 0, "versions", 0, "resources", 0, "scope"], undefined),
      /scope undefined is not "Namespaced" or "Cluster"/,
    ],
    [
      "verbs not strings",
      (d) => set(d, ["items", 0, "versions", 0, "resources", 0, "verbs"], [1]),
      /verbs\[0\] is not a string/,
    ],
    [
      "a kind that is no string",
      (d) => set(d, ["items", 0, "versions", 0, "resources", 0, "responseKind", "kind"], 7),
      /responseKind\.kind is not a string/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      assert.throws(
        () => split(make(clone(aggregatedApis) as Record<string, unknown>)),
        (e: unknown) =>
          e instanceof KubeError &&
          e.path === "/apis" &&
          e.method === "GET" &&
          /malformed aggregated discovery/.test(e.message) &&
          message.test(e.message),
      );
    });
  }

  it("/api holds the core group only: a named group there is malformed", () => {
    assert.throws(() => split(aggregatedApis, "/api"), /is not empty \(\/api serves the core group only\)/);
  });

  it("any JSON at all: a conversion or a KubeError, never another throw", async () => {
    const json = fc.jsonValue({ maxDepth: 6 });
    // Shapes close to the real one reach the deeper checks.
    const near = fc.tuple(fc.nat(), json).map(([i, v]) => {
      const doc = clone(aggregatedApis) as Record<string, unknown>;
      const paths: (string | number)[][] = [
        ["items", 0],
        ["items", 0, "metadata"],
        ["items", 0, "versions", 0],
        ["items", 0, "versions", 0, "freshness"],
        ["items", 0, "versions", 0, "resources", 0],
        ["items", 0, "versions", 0, "resources", 0, "responseKind"],
        ["items", 0, "versions", 0, "resources", 0, "subresources", 0],
        ["items", 0, "versions", 0, "resources", 0, "subresources", 0, "verbs"],
      ];
      return set(doc, paths[i % paths.length] as (string | number)[], v);
    });
    await fuzz(fc.oneof(json, near), (doc) => split(doc), { seconds: 2, expected: [KubeError] });
  });
});

/** `doc` with the value at `path` replaced (undefined: removed). */
function set(
  doc: Record<string, unknown>,
  path: (string | number)[],
  value: unknown,
): Record<string, unknown> {
  let at: Record<string | number, unknown> = doc;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return doc;
}
