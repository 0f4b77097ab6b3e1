// Discovery against a loopback server of ours that answers as a real one would (the answers
// of test/fixtures/discovery): which requests each server format costs, and what a Stale,
// malformed or oversized answer gives.
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { afterEach, describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createConfig, InvalidRequestError, KubeError } from "../../src/index.js";
import { aggregatedApi, aggregatedApis, legacy } from "../fixtures/discovery/answers-1.37.js";
import { fakeApiserver, type Seen } from "../helpers/fake-apiserver.js";

// client-go's discovery Accept (discovery_client.go's acceptDiscoveryFormats), written out.
const CLIENT_GO_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," +
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const typeOf = (version: string) =>
  `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
const CM = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "d" } };
const GADGET = {
  apiVersion: "edge.kubefetch.example/v1",
  kind: "Gadget",
  metadata: { name: "g", namespace: "d" },
};

type Answer = { type: string; body: unknown } | ((res: ServerResponse) => void);
const send = (res: ServerResponse, a: Answer | undefined) => {
  if (typeof a === "function") return a(res);
  if (!a)
    return res.writeHead(404, { "content-type": "application/json" }).end('{"kind":"Status","code":404}');
  res
    .writeHead(200, { "content-type": a.type })
    .end(typeof a.body === "string" ? a.body : JSON.stringify(a.body));
};
const objects: Record<string, Answer> = {
  "/api/v1/namespaces/d/configmaps/a": { type: "application/json", body: CM },
  "/apis/edge.kubefetch.example/v1/namespaces/d/gadgets/g": { type: "application/json", body: GADGET },
};

// Closed after each test, also one whose assertion failed: nothing keeps the run alive.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

/** A server of ours answering `answers` by path (anything else: 404), and a client of it. */
async function serve(answers: Record<string, Answer>) {
  const s = await fakeApiserver((r, res) => send(res, answers[r.url] ?? objects[r.url]));
  const kube = createClient(createConfig({ server: s.url, namespace: "d", env: {} }), {
    retry: { maxRetries: 0 },
  });
  const discovery = (): Seen[] => s.seen.filter((r) => !(r.url in objects));
  cleanups.push(async () => {
    await kube.close();
    await s.close();
  });
  return { kube, discovery, paths: () => discovery().map((r) => r.url) };
}

const aggregated = (version: string) => {
  const as = (doc: object) => ({
    type: typeOf(version),
    body: { ...doc, apiVersion: `apidiscovery.k8s.io/${version}` },
  });
  return { "/api": as(aggregatedApi), "/apis": as(aggregatedApis) };
};
const perGroup = Object.fromEntries(
  Object.entries(legacy).map(([path, body]) => [path, { type: "application/json", body }]),
) as Record<string, Answer>;
const withoutHash = (list: { resources: readonly object[] }) => ({
  ...list,
  resources: list.resources.map((r) => {
    const { storageVersionHash: _, ...rest } = r as Record<string, unknown>;
    return rest;
  }),
});
const GROUP_VERSIONS = [
  "v1",
  "apps/v1",
  "edge.kubefetch.example/v1",
  "edge.kubefetch.example/v1beta1",
] as const;
const pathOf = (gv: string) => (gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`);

/** Everything discovery can be asked, and the dynamic client's get of a built-in and of a CRD. */
async function walk(kube: ReturnType<typeof createClient>) {
  const d = kube.discovery;
  const out = {
    api: await d.api(),
    groups: await d.groups(),
    group: { apps: await d.group("apps"), edge: await d.group("edge.kubefetch.example") },
    lists: Object.fromEntries(
      await Promise.all(GROUP_VERSIONS.map(async (gv) => [gv, await d.resources(gv)])),
    ),
    configmap: await kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).get({ name: "a" }),
    gadget: await kube
      .resource({ apiVersion: "edge.kubefetch.example/v1", kind: "Gadget" })
      .get({ name: "g" }),
    deployment: await kube.resource({ apiVersion: "apps/v1", kind: "Deployment" }).info(),
  };
  return out;
}

describe("a server that answers in the aggregated format: everything from /api and /apis", () => {
  for (const version of ["v2", "v2beta1"]) {
    it(`${version}: every method and the dynamic client answer the per-group documents, after 2 requests`, async () => {
      const s = await serve(aggregated(version));
      const got = await walk(s.kube);
      const { serverAddressByClientCIDRs: _, ...versions } = legacy["/api"];
      assert.deepEqual(got.api, versions);
      assert.deepEqual(got.groups, legacy["/apis"]);
      assert.deepEqual(got.group, {
        apps: legacy["/apis/apps"],
        edge: legacy["/apis/edge.kubefetch.example"],
      });
      for (const gv of GROUP_VERSIONS)
        assert.deepEqual(got.lists[gv], withoutHash(legacy[pathOf(gv) as keyof typeof legacy] as never), gv);
      assert.deepEqual([got.configmap, got.gadget], [CM, GADGET]);
      assert.deepEqual(got.deployment, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        plural: "deployments",
        namespaced: true,
        verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      });
      assert.deepEqual(s.paths(), ["/api", "/apis"]);
      for (const r of s.discovery()) assert.equal(r.headers.accept, CLIENT_GO_ACCEPT);
    });
  }

  it("concurrent first calls share the two requests", async () => {
    const s = await serve(aggregated("v2"));
    const d = s.kube.discovery;
    await Promise.all([
      d.api(),
      d.groups(),
      d.resources("v1"),
      d.resources("apps/v1"),
      d.group("apps"),
      d.api(),
    ]);
    assert.deepEqual(s.paths().sort(), ["/api", "/apis"]);
  });

  it("the dynamic client's subresources come from the aggregated answer (pods/proxy; none on configmaps)", async () => {
    const s = await serve({
      ...aggregated("v2"),
      "/api/v1/namespaces/d/pods/p:80/proxy/x": (res) => res.writeHead(200).end("through"),
    });
    const res = await s.kube
      .resource({ apiVersion: "v1", kind: "Pod" })
      .proxy({ name: "p", port: 80, path: "/x" });
    assert.equal(await res.text(), "through");
    await assert.rejects(
      s.kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).proxy({ name: "a" }),
      (e: unknown) => e instanceof InvalidRequestError && /not a path of ConfigMap/.test(e.message),
    );
    assert.deepEqual(s.paths(), ["/api", "/api/v1/namespaces/d/pods/p:80/proxy/x"]);
  });

  it("a body of kind APIGroupDiscoveryList under a plain application/json is read as aggregated", async () => {
    const s = await serve({
      "/api": { type: "application/json", body: aggregatedApi },
      "/apis": { type: "application/json", body: aggregatedApis },
    });
    assert.deepEqual(await s.kube.discovery.resources("apps/v1"), withoutHash(legacy["/apis/apps/v1"]));
    assert.deepEqual(s.paths(), ["/apis"]);
  });

  it("a group or version the answer does not hold (a CRD added since) is asked for by its own path", async () => {
    const added = {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "new.example/v1",
      resources: [],
    };
    const s = await serve({
      ...aggregated("v2"),
      "/apis/new.example/v1": { type: "application/json", body: added },
    });
    assert.deepEqual(await s.kube.discovery.resources("new.example/v1"), added);
    await assert.rejects(
      s.kube.discovery.group("gone.example"),
      (e: unknown) => e instanceof KubeError && e.status === 404,
    );
    assert.deepEqual(s.paths(), ["/apis", "/apis/new.example/v1", "/apis/gone.example"]);
  });

  it("refresh() forgets the two answers: the next call asks again", async () => {
    const s = await serve(aggregated("v2"));
    const before = await s.kube.discovery.resources("apps/v1");
    assert.equal(await s.kube.discovery.resources("apps/v1"), before);
    s.kube.discovery.refresh();
    assert.notEqual(await s.kube.discovery.resources("apps/v1"), before);
    assert.deepEqual(s.paths(), ["/apis", "/apis"]);
  });
});

describe("a server that answers in the per-group format (before 1.26): the per-group path", () => {
  it("each document is fetched once from its own path, and is the server's answer as it is", async () => {
    const s = await serve(perGroup);
    const got = await walk(s.kube);
    assert.deepEqual(got.api, legacy["/api"]);
    assert.deepEqual(got.groups, legacy["/apis"]);
    for (const gv of GROUP_VERSIONS)
      assert.deepEqual(got.lists[gv], legacy[pathOf(gv) as keyof typeof legacy], gv);
    assert.deepEqual([got.configmap, got.gadget], [CM, GADGET]);
    assert.deepEqual(s.paths().sort(), [
      "/api",
      "/api/v1",
      "/apis",
      "/apis/apps",
      "/apis/apps/v1",
      "/apis/edge.kubefetch.example",
      "/apis/edge.kubefetch.example/v1",
      "/apis/edge.kubefetch.example/v1beta1",
    ]);
    // /api and /apis are asked for aggregated first; the per-group paths in their only format.
    for (const r of s.discovery()) {
      assert.equal(
        r.headers.accept,
        r.url === "/api" || r.url === "/apis" ? CLIENT_GO_ACCEPT : "application/json",
      );
    }
  });
});

describe("answers that cannot be used", () => {
  const stale = () => {
    const doc = structuredClone(aggregatedApis);
    const edge = doc.items.find((g) => g.metadata.name === "edge.kubefetch.example");
    Object.assign(edge?.versions[1] ?? {}, { freshness: "Stale", resources: [] });
    return { ...aggregated("v2"), "/apis": { type: typeOf("v2"), body: doc } };
  };
  const isStale = (e: unknown) =>
    e instanceof KubeError &&
    e.path === "/apis" &&
    e.message ===
      "GET /apis: 200: stale GroupVersion discovery: edge.kubefetch.example/v1beta1 (the server lists it as Stale)";

  it("a Stale group-version is a KubeError for it, also through the dynamic client; the others answer", async () => {
    const s = await serve(stale());
    await assert.rejects(s.kube.discovery.resources("edge.kubefetch.example/v1beta1"), isStale);
    await assert.rejects(
      s.kube.resource({ apiVersion: "edge.kubefetch.example/v1beta1", kind: "Gadget" }).get({ name: "g" }),
      isStale,
    );
    assert.deepEqual((await s.kube.discovery.group("edge.kubefetch.example")).versions.length, 2);
    assert.equal((await s.kube.discovery.resources("edge.kubefetch.example/v1")).resources.length, 3);
    // As client-go's memory cache: the answer stands until refresh(), no request per call.
    await assert.rejects(s.kube.discovery.resources("edge.kubefetch.example/v1beta1"), isStale);
    assert.deepEqual(s.paths(), ["/apis"]);
    s.kube.discovery.refresh();
    await assert.rejects(s.kube.discovery.resources("edge.kubefetch.example/v1beta1"), isStale);
    assert.deepEqual(s.paths(), ["/apis", "/apis"]);
  });

  it("a malformed aggregated body is a KubeError naming /apis, for every method that needs it; it is not cached", async () => {
    let broken = true;
    const s = await serve({
      ...aggregated("v2"),
      "/apis": (res) => {
        const body = broken
          ? { kind: "APIGroupDiscoveryList", items: [{ metadata: { name: "apps" }, versions: "v1" }] }
          : aggregatedApis;
        res.writeHead(200, { "content-type": typeOf("v2") }).end(JSON.stringify(body));
      },
    });
    const malformed = (e: unknown) =>
      e instanceof KubeError &&
      e.message === "GET /apis: 200: malformed aggregated discovery: items[0].versions is not a list";
    await assert.rejects(s.kube.discovery.groups(), malformed);
    await assert.rejects(s.kube.discovery.resources("apps/v1"), malformed);
    await assert.rejects(s.kube.resource({ apiVersion: "apps/v1", kind: "Deployment" }).info(), malformed);
    broken = false;
    assert.deepEqual(await s.kube.discovery.resources("apps/v1"), withoutHash(legacy["/apis/apps/v1"]));
    assert.deepEqual(s.paths(), ["/apis", "/apis", "/apis", "/apis"]);
  });

  it("a body that is not JSON under the aggregated Content-Type is a KubeError", async () => {
    const s = await serve({
      "/api": { type: typeOf("v2"), body: '{"kind":"APIGroupDiscoveryList","items":[' },
    });
    await assert.rejects(
      s.kube.discovery.api(),
      (e: unknown) => e instanceof KubeError && e.path === "/api" && /the answer is not JSON/.test(e.message),
    );
  });

  it("an answer over 32 MiB is refused after 32 MiB (declared or not), and the client goes on", async () => {
    const big = 33 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, " ");
    const s = await serve({
      ...aggregated("v2"),
      // Declared: refused before reading. Not declared (chunked): refused once 32 MiB came.
      "/api": (res) => {
        res.writeHead(200, { "content-type": typeOf("v2"), "content-length": String(big) });
        res.on("error", () => {});
        res.end(Buffer.alloc(big, " "));
      },
      "/apis": (res) => {
        res.writeHead(200, { "content-type": typeOf("v2") });
        res.on("error", () => {});
        let sent = 0;
        const more = () => {
          while (sent < big && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", more);
          }
          if (!res.destroyed) res.end();
        };
        more();
      },
      "/version": { type: "application/json", body: { major: "1", minor: "37", gitVersion: "v1.37.2" } },
    });
    const tooBig = (path: string) => (e: unknown) =>
      e instanceof KubeError &&
      e.path === path &&
      /the answer is larger than the 33554432 bytes this client reads of it/.test(e.message);
    await assert.rejects(s.kube.discovery.api(), tooBig("/api"));
    await assert.rejects(s.kube.discovery.groups(), tooBig("/apis"));
    assert.equal((await s.kube.discovery.version()).gitVersion, "v1.37.2");
  });
});
