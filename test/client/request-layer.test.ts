// The request layer's rules, seen from a loopback server of ours: which path each verb
// sends (the namespace policy), and that a bad name or namespace sends nothing at all.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createConfig, InvalidRequestError } from "../../src/index.js";
import { fakeApiserver, json } from "../helpers/fake-apiserver.js";

const CM = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ctx" } };
let s: Awaited<ReturnType<typeof fakeApiserver>>;
let kube: ReturnType<typeof createClient>;

before(async () => {
  s = await fakeApiserver((r, res) => {
    if (r.url === "/api/v1") {
      const resources = [
        { name: "configmaps", namespaced: true, kind: "ConfigMap", verbs: ["get", "delete"] },
      ];
      return json(res, 200, { kind: "APIResourceList", groupVersion: "v1", resources });
    }
    if (r.url.includes("watch=1"))
      return res.writeHead(200).end(`${JSON.stringify({ type: "ADDED", object: CM })}\n`);
    if (r.url.includes("/log")) return res.writeHead(200, { "content-type": "text/plain" }).end("line\n");
    json(res, 200, r.method === "GET" && !/\/configmaps\/|\/scale/.test(r.url) ? { ...CM, items: [] } : CM);
  });
  // The config's namespace is "ctx": every namespaced verb without one must use it.
  kube = createClient(createConfig({ server: s.url, namespace: "ctx", env: {} }), {
    retry: { maxRetries: 0 },
  });
});
after(async () => {
  await kube.close();
  await s.close();
});

const paths = () => s.seen.splice(0).map((r) => `${r.method} ${r.url.split("?")[0]}`);

describe("the namespace policy: omitted means the config's namespace, for every namespaced verb", () => {
  it("get, list, listAll, create, replace, patch, apply, delete, deleteCollection, status, scale, log", async () => {
    const cms = kube.core.v1.configmaps;
    await cms.get({ name: "a" });
    await cms.list();
    for await (const _ of cms.listAll()) break;
    await cms.create({ metadata: { name: "a" } });
    await cms.replace({ metadata: { name: "a" } });
    await cms.patch({ name: "a" }, { data: { x: "1" } }, { type: "merge" });
    await cms.apply({ metadata: { name: "a" } }, { fieldManager: "t" });
    await cms.delete({ name: "a" });
    await cms.deleteCollection();
    await kube.apps.v1.deployments.status.get({ name: "d" });
    await kube.apps.v1.deployments.scale.patch({ name: "d" }, { spec: { replicas: 1 } }, { type: "merge" });
    await kube.core.v1.pods.log({ name: "p" }).text();
    for await (const _ of kube.core.v1.configmaps.watch()) break;
    const seen = paths();
    assert.deepEqual(seen.slice(0, 13), [
      "GET /api/v1/namespaces/ctx/configmaps/a",
      "GET /api/v1/namespaces/ctx/configmaps",
      "GET /api/v1/namespaces/ctx/configmaps",
      "POST /api/v1/namespaces/ctx/configmaps",
      "PUT /api/v1/namespaces/ctx/configmaps/a",
      "PATCH /api/v1/namespaces/ctx/configmaps/a",
      "PATCH /api/v1/namespaces/ctx/configmaps/a",
      "DELETE /api/v1/namespaces/ctx/configmaps/a",
      "DELETE /api/v1/namespaces/ctx/configmaps",
      "GET /apis/apps/v1/namespaces/ctx/deployments/d/status",
      "PATCH /apis/apps/v1/namespaces/ctx/deployments/d/scale",
      "GET /api/v1/namespaces/ctx/pods/p/log",
      "GET /api/v1/namespaces/ctx/configmaps",
    ]);
  });

  it("all namespaces only with allNamespaces: true (list, listAll, watch)", async () => {
    await kube.core.v1.configmaps.list({ allNamespaces: true });
    for await (const _ of kube.core.v1.configmaps.listAll({ allNamespaces: true })) break;
    assert.deepEqual(paths(), ["GET /api/v1/configmaps", "GET /api/v1/configmaps"]);
  });

  it("allNamespaces with a namespace, or on a verb other than list and watch, is refused locally", async () => {
    await assert.rejects(
      // @ts-expect-error allNamespaces and namespace exclude each other
      kube.core.v1.configmaps.list({ allNamespaces: true, namespace: "x" }),
      InvalidRequestError,
    );
    // @ts-expect-error deleteCollection acts in one namespace
    await assert.rejects(kube.core.v1.configmaps.deleteCollection({ allNamespaces: true }), TypeError);
    assert.deepEqual(paths(), []);
  });

  it("an object's namespace wins over the config's, and must match an explicit one", async () => {
    await kube.core.v1.configmaps.create({ metadata: { name: "a", namespace: "own" } });
    await assert.rejects(
      kube.core.v1.configmaps.create({ metadata: { name: "a", namespace: "own" } }, { namespace: "other" }),
      /does not match/,
    );
    assert.deepEqual(paths(), ["POST /api/v1/namespaces/own/configmaps"]);
  });

  it("cluster-scoped kinds have no namespace in their paths", async () => {
    await kube.core.v1.namespaces.get({ name: "ctx" });
    await kube.core.v1.namespaces.list();
    assert.deepEqual(paths(), ["GET /api/v1/namespaces/ctx", "GET /api/v1/namespaces"]);
  });
});

describe("every resource says who it is (info) and reports through the client's warning handler (warn)", () => {
  it("typed: from the registry, with no request", async () => {
    const info = await kube.core.v1.configmaps.info();
    assert.equal(info.apiVersion, "v1");
    assert.equal(info.kind, "ConfigMap");
    assert.equal(info.plural, "configmaps");
    assert.equal(info.namespaced, true);
    assert.ok(info.verbs.includes("watch"));
    assert.deepEqual(paths(), []);
  });
  it("dynamic: as discovery found it", async () => {
    const info = await kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).info();
    assert.deepEqual(info, {
      apiVersion: "v1",
      kind: "ConfigMap",
      plural: "configmaps",
      namespaced: true,
      verbs: ["get", "delete"],
    });
    assert.deepEqual(paths(), ["GET /api", "GET /api/v1"]);
  });
  it("warn goes to the client's onWarning", async () => {
    const heard: string[] = [];
    const own = createClient(createConfig({ server: s.url, env: {} }), { onWarning: (m) => heard.push(m) });
    own.core.v1.configmaps.warn("from a resource");
    own.resource({ apiVersion: "v1", kind: "ConfigMap" }).warn("from a dynamic one");
    await own.close();
    assert.deepEqual(heard, ["from a resource", "from a dynamic one"]);
  });
});

describe("names and namespaces are path segments: bad ones are refused before anything is sent", () => {
  const bad = ["", ".", "..", "a/b", "../x", "a%2Fb", "%"];
  for (const value of bad) {
    it(`name ${JSON.stringify(value)}: every item verb and the dynamic client refuse it`, async () => {
      const cms = kube.core.v1.configmaps;
      const calls: [string, () => Promise<unknown>][] = [
        ["get", () => cms.get({ name: value })],
        ["replace", () => cms.replace({ metadata: { name: value } })],
        ["patch", () => cms.patch({ name: value }, {}, { type: "merge" })],
        ["apply", () => cms.apply({ metadata: { name: value } }, { fieldManager: "t" })],
        ["delete", () => cms.delete({ name: value })],
        ["status.get", () => kube.apps.v1.deployments.status.get({ name: value })],
        ["scale.replace", () => kube.apps.v1.deployments.scale.replace({ metadata: { name: value } })],
        ["log", () => kube.core.v1.pods.log({ name: value }).text()],
        [
          "dynamic delete",
          () => kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).delete({ name: value }),
        ],
      ];
      for (const [verb, f] of calls) {
        await assert.rejects(f(), (err: unknown) => {
          assert.ok(err instanceof InvalidRequestError, `${verb}: ${String(err)}`);
          assert.equal(err.field, "name");
          assert.equal(err.value, value);
          assert.match(err.message, new RegExp(`name ${JSON.stringify(value).replace(/[.\\/%]/g, "\\$&")}`));
          return true;
        });
      }
      // Not even the dynamic client's discovery request.
      assert.deepEqual(paths(), []);
    });
  }

  it("a missing name (undefined, as from `obj.metadata?.name`) is refused too", async () => {
    const name = ({} as { name?: string }).name as string;
    await assert.rejects(kube.core.v1.configmaps.delete({ name }), /name undefined must be a string/);
    await assert.rejects(kube.core.v1.configmaps.replace({ metadata: {} }), InvalidRequestError);
    assert.deepEqual(paths(), []);
  });

  for (const value of ["", "..", "a/b", "%41"]) {
    it(`namespace ${JSON.stringify(value)}: refused on item and collection verbs`, async () => {
      const cms = kube.core.v1.configmaps;
      const calls = [
        () => cms.get({ name: "a", namespace: value }),
        () => cms.list({ namespace: value }),
        () => cms.create({ metadata: { name: "a" } }, { namespace: value }),
        () => cms.deleteCollection({ namespace: value }),
        () => cms.delete({ name: "a", namespace: value }),
      ];
      for (const f of calls) {
        await assert.rejects(
          f(),
          (err: unknown) => err instanceof InvalidRequestError && err.field === "namespace",
        );
      }
      assert.deepEqual(paths(), []);
    });
  }

  it("the dynamic watch checks its namespace and scope before discovery, as every other verb", async () => {
    const dynamic = kube.resource({ apiVersion: "v1", kind: "ConfigMap" });
    const first = (w: AsyncIterable<unknown>) => w[Symbol.asyncIterator]().next();
    await assert.rejects(
      first(dynamic.watch({ namespace: "a/b" })),
      (err: unknown) =>
        err instanceof InvalidRequestError && err.field === "namespace" && err.verb === "watch",
    );
    await assert.rejects(
      // @ts-expect-error allNamespaces and namespace exclude each other
      first(dynamic.watch({ namespace: "x", allNamespaces: true })),
      (err: unknown) => err instanceof InvalidRequestError && err.field === "allNamespaces",
    );
    // Nothing at all: not the watch, not the discovery request that would find the resource.
    assert.deepEqual(paths(), []);
  });

  it("discovery's group and version names are checked the same way", async () => {
    await assert.rejects(kube.discovery.resources("../api/v1"), /nothing was sent/);
    await assert.rejects(kube.discovery.resources("a/b/c"), /nothing was sent/);
    await assert.rejects(kube.discovery.group(".."), /nothing was sent/);
    assert.deepEqual(paths(), []);
  });
});
