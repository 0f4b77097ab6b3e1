// createFakeCluster through the real client: the behaviours a user's unit test relies on (what
// the fake holds, the requests it saw, the faults it injects, watches, informers, controllers,
// leader election, manifests, CRDs), each a test. No cluster: the fake is a loopback server.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, beforeEach, describe, test } from "node:test";
import { createClient } from "../../generated/kubernetes-1.36/index.js";
import { registryData } from "../../generated/kubernetes-1.36/registry.js";
import { validators } from "../../generated/kubernetes-1.36/schemas.js";
import { createController, leaderElection } from "../../src/controller/index.js";
import { isConflict, isGone, isInvalid, isNotFound, KubeError, WatchExpiredError } from "../../src/index.js";
import { createInformer } from "../../src/informer/index.js";
import { applyManifests } from "../../src/manifests/index.js";
import { createFakeCluster, type FakeCluster } from "../../src/testing/index.js";

type Client = ReturnType<typeof createClient>;
type Meta = { metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string } };

async function until(what: string, probe: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cm = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "default" },
  data,
});

// One fake for the file, reset per test by a fresh one: cheap enough (see the start-up test).
let fake: FakeCluster;
let kube: Client;
const quickRetry = { retry: { baseDelayMs: 1, maxDelayMs: 5 }, onWarning: () => {} };
beforeEach(async () => {
  await kube?.close();
  await fake?.close();
  fake = await createFakeCluster({ registry: registryData, validators, bookmarkIntervalMs: 0 });
  kube = createClient(fake.config, quickRetry);
});
after(async () => {
  await kube?.close();
  await fake?.close();
});

describe("the fake through the real client", () => {
  test("typed CRUD round trips: create, get, list, replace, patch, delete", async () => {
    const created = await kube.core.v1.configmaps.create({ metadata: { name: "a" }, data: { k: "1" } });
    assert.equal(created.metadata?.namespace, "default");
    assert.ok(created.metadata?.uid);
    const got = await kube.core.v1.configmaps.get({ name: "a" });
    assert.deepEqual(got.data, { k: "1" });
    const replaced = await kube.core.v1.configmaps.replace({ ...got, data: { k: "2" } });
    assert.ok(Number(replaced.metadata?.resourceVersion) > Number(got.metadata?.resourceVersion));
    const patched = await kube.core.v1.configmaps.patch(
      { name: "a" },
      { data: { extra: "x" } },
      { type: "merge" },
    );
    assert.deepEqual(patched.data, { k: "2", extra: "x" });
    const list = await kube.core.v1.configmaps.list();
    assert.deepEqual(
      list.items.map((o) => o.metadata?.name),
      ["a"],
    );
    await kube.core.v1.configmaps.delete({ name: "a" });
    await assert.rejects(kube.core.v1.configmaps.get({ name: "a" }), isNotFound);
  });

  test("fake.get and fake.list see what the client wrote", async () => {
    await kube.core.v1.configmaps.create({ metadata: { name: "b" }, data: { k: "b" } });
    await kube.core.v1.configmaps.create({ metadata: { name: "a" }, data: { k: "a" } });
    await kube.core.v1.namespaces.create({ metadata: { name: "other" } });
    await kube.core.v1.configmaps.create({ metadata: { name: "c", namespace: "other" } });
    assert.deepEqual((fake.get("v1", "ConfigMap", "default", "b") as { data: unknown }).data, { k: "b" });
    assert.equal(fake.get("v1", "ConfigMap", "default", "c"), undefined);
    assert.ok(fake.get("v1", "Namespace", undefined, "other"));
    assert.deepEqual(
      fake.list("v1", "ConfigMap", "default").map((o) => (o as Meta).metadata.name),
      ["a", "b"],
    );
    assert.deepEqual(
      fake.list("v1", "ConfigMap").map((o) => (o as Meta).metadata.name),
      ["a", "b", "c"],
    );
  });

  test("fake.add shows up in a running watch", async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const e of kube.core.v1.configmaps.watch({
        resourceVersion: fake.resourceVersion,
        signal: abort.signal,
      })) {
        seen.push(`${e.type} ${e.object.metadata?.name}`);
        if (seen.length === 1) abort.abort();
      }
    })();
    await until("the watch to connect", () => fake.requests.some((r) => r.verb === "watch"));
    const stored = fake.add(cm("added", { k: "v" })) as Meta;
    assert.ok(stored.metadata.uid, "fake.add answers the object as stored");
    await watching;
    assert.deepEqual(seen, ["ADDED added"]);
  });

  test("fake.requests records method, path, query, verb and body in order; apply is verb apply", async () => {
    await kube.core.v1.configmaps.create({ metadata: { name: "r" }, data: { a: "1" } });
    await kube.core.v1.configmaps.get({ name: "r" });
    await kube.core.v1.configmaps.list({ labelSelector: "x=y" });
    await kube.core.v1.configmaps.apply(
      { metadata: { name: "r" }, data: { a: "2" } },
      { fieldManager: "me", force: true },
    );
    await kube.core.v1.configmaps.delete({ name: "r" });
    const rs = fake.requests.map(({ method, path, query, verb }) => ({ method, path, query, verb }));
    const base = "/api/v1/namespaces/default/configmaps";
    assert.deepEqual(rs, [
      { method: "POST", path: base, query: {}, verb: "create" },
      { method: "GET", path: `${base}/r`, query: {}, verb: "get" },
      { method: "GET", path: base, query: { labelSelector: "x=y" }, verb: "list" },
      { method: "PATCH", path: `${base}/r`, query: { fieldManager: "me", force: "true" }, verb: "apply" },
      { method: "DELETE", path: `${base}/r`, query: {}, verb: "delete" },
    ]);
    assert.deepEqual((fake.requests[0]?.body as { data: unknown } | undefined)?.data, { a: "1" });
    assert.match(fake.requests[3]?.contentType ?? "", /^application\/apply-patch\+yaml/);
    assert.deepEqual((fake.requests[3]?.body as { data: unknown } | undefined)?.data, { a: "2" });
    assert.equal(fake.requests[1]?.body, undefined);
  });
});

describe("failNext", () => {
  test("a 409 reaches the caller as a conflict", async () => {
    fake.failNext({ verb: "create", status: 409 });
    await assert.rejects(kube.core.v1.configmaps.create({ metadata: { name: "x" } }), isConflict);
    assert.equal(fake.get("v1", "ConfigMap", "default", "x"), undefined, "the fault answered, not the store");
    await kube.core.v1.configmaps.create({ metadata: { name: "x" } });
  });

  test("a 503 with Retry-After is retried by the client even for a create; without it a create is not", async () => {
    fake.failNext({ verb: "create", status: 503, retryAfterSeconds: 0 });
    await kube.core.v1.configmaps.create({ metadata: { name: "y" } });
    assert.deepEqual(
      fake.requests.map((r) => r.verb),
      ["create", "create"],
    );
    // src/client/http.ts: other 5xx are retried only for GET, which is safe to repeat.
    fake.failNext({ verb: "create", status: 503 });
    await assert.rejects(
      kube.core.v1.configmaps.create({ metadata: { name: "z" } }),
      (e) => e instanceof KubeError && e.status === 503,
    );
    fake.failNext({ verb: "get", status: 503 });
    await kube.core.v1.configmaps.get({ name: "y" });
    assert.deepEqual(
      fake.requests.map((r) => r.verb),
      ["create", "create", "create", "get", "get"],
    );
  });

  test("times makes the fault answer that many matching requests", async () => {
    await kube.core.v1.configmaps.create({ metadata: { name: "t" } });
    fake.failNext({ verb: "patch", status: 409, times: 2 });
    const patch = () => kube.core.v1.configmaps.patch({ name: "t" }, { data: { a: "1" } }, { type: "merge" });
    await assert.rejects(patch(), isConflict);
    await assert.rejects(patch(), isConflict);
    await patch();
  });

  test("a fault matches by resource, namespace and name only", async () => {
    await kube.core.v1.namespaces.create({ metadata: { name: "other" } });
    for (const ns of ["default", "other"])
      for (const name of ["a", "b"])
        await kube.core.v1.configmaps.create({ metadata: { name, namespace: ns } });
    await kube.core.v1.secrets.create({ metadata: { name: "b" } });
    fake.failNext({ resource: "configmaps", namespace: "default", name: "b", status: 409 });
    await kube.core.v1.secrets.get({ name: "b" });
    await kube.core.v1.configmaps.get({ name: "a" });
    await kube.core.v1.configmaps.get({ name: "b", namespace: "other" });
    await assert.rejects(kube.core.v1.configmaps.get({ name: "b" }), isConflict);
    await kube.core.v1.configmaps.get({ name: "b" });
  });

  test("delayMs beyond the call's timeoutMs fails the call with a timeout", async () => {
    fake.failNext({ verb: "get", delayMs: 300 });
    await kube.core.v1.namespaces.get({ name: "default" }).catch(() => {});
    fake.failNext({ verb: "list", delayMs: 300 });
    const started = Date.now();
    await assert.rejects(kube.core.v1.configmaps.list({ timeoutMs: 50 }), (e: Error) => {
      assert.equal(e.name, "TimeoutError", String(e));
      return true;
    });
    assert.ok(Date.now() - started < 290, "the call gave up before the fake answered");
  });

  test("a dropped watch resumes from its last resourceVersion without losing events", async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    fake.failNext({ verb: "watch", drop: true });
    const watching = (async () => {
      for await (const e of kube.core.v1.configmaps.watch({
        resourceVersion: fake.resourceVersion,
        signal: abort.signal,
        reconnectBackoff: { minMs: 1, maxMs: 5 },
        onReconnect: () => {},
      })) {
        seen.push(e.object.metadata?.name ?? "");
        if (seen.length === 3) abort.abort();
      }
    })();
    await until("the first watch", () => fake.requests.some((r) => r.verb === "watch"));
    await kube.core.v1.configmaps.create({ metadata: { name: "one" } });
    await until("a second watch", () => fake.requests.filter((r) => r.verb === "watch").length >= 2);
    await until("one", () => seen.includes("one"));
    fake.dropWatches();
    // Written while no watch is open: the resumed watch must still bring them.
    await kube.core.v1.configmaps.create({ metadata: { name: "two" } });
    await kube.core.v1.configmaps.create({ metadata: { name: "three" } });
    await watching;
    assert.deepEqual(seen, ["one", "two", "three"]);
    const watches = fake.requests.filter((r) => r.verb === "watch");
    assert.ok(watches.length >= 3, `${watches.length} watch requests`);
    const first = watches[0]?.query.resourceVersion;
    assert.equal(watches[1]?.query.resourceVersion, first, "the dropped watch resumed where it was");
    assert.ok(Number(watches.at(-1)?.query.resourceVersion) > Number(first), "resumed after 'one'");
  });
});

describe("compact", () => {
  test("a watch from a resourceVersion older than compact() gets WatchExpiredError (410)", async () => {
    const old = fake.resourceVersion;
    await kube.core.v1.configmaps.create({ metadata: { name: "c" } });
    fake.compact();
    await assert.rejects(
      async () => {
        for await (const _ of kube.core.v1.configmaps.watch({ resourceVersion: old })) {
          /* no event comes */
        }
      },
      (e) => e instanceof WatchExpiredError || isGone(e),
    );
  });

  test("the informer relists after compact() and dropWatches(), and stays in sync", async () => {
    await kube.core.v1.configmaps.create({ metadata: { name: "keep" } });
    await kube.core.v1.configmaps.create({ metadata: { name: "gone" } });
    const informer = createInformer(kube.core.v1.configmaps, {
      namespace: "default",
      minBackoffMs: 1,
      maxBackoffMs: 5,
    });
    const errors: unknown[] = [];
    const deleted: string[] = [];
    informer.on("error", (e) => errors.push(e));
    informer.on("delete", (o) => deleted.push(o.metadata?.name ?? ""));
    await informer.start();
    await informer.synced;
    await until("the watch", () => fake.requests.some((r) => r.verb === "watch"));
    // While no watch is open: changes, then the history that held them is forgotten.
    fake.dropWatches();
    fake.add(cm("new"));
    await kube.core.v1.configmaps.delete({ name: "gone" });
    fake.compact();
    const names = () =>
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort()
        .join(",");
    await until("the informer to catch up", () => names() === "keep,new");
    assert.ok(
      errors.some((e) => e instanceof WatchExpiredError || isGone(e)),
      `410 heard: ${errors.map(String).join("; ")}`,
    );
    assert.ok(fake.requests.filter((r) => r.verb === "list").length >= 2, "it listed again");
    assert.deepEqual(deleted, ["gone"]);
    // And in sync afterwards: the new watch brings the next change.
    await kube.core.v1.configmaps.create({ metadata: { name: "later" } });
    await until("later", () => names() === "keep,later,new");
    await informer.stop();
  });
});

test("a streaming list answers ADDED events, then a BOOKMARK with k8s.io/initial-events-end", async () => {
  fake.add(cm("s1"));
  fake.add(cm("s2"));
  const abort = new AbortController();
  const res = await fetch(
    `${fake.url}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    { signal: abort.signal },
  );
  assert.equal(res.status, 200);
  const events: { type: string; object: Meta & { metadata: { annotations?: Record<string, string> } } }[] =
    [];
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    text = lines.pop() ?? "";
    for (const l of lines) if (l) events.push(JSON.parse(l));
    if (events.some((e) => e.type === "BOOKMARK")) break;
  }
  abort.abort();
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.name ?? ""}`),
    ["ADDED s1", "ADDED s2", "BOOKMARK "],
  );
  const bookmark = events[2]?.object;
  assert.equal(bookmark?.metadata.annotations?.["k8s.io/initial-events-end"], "true");
  assert.equal(bookmark?.metadata.resourceVersion, fake.resourceVersion);
});

describe("the controller toolkit", () => {
  test("createController reconciles objects created in the fake", async () => {
    const stop = new AbortController();
    const ctl = createController(kube, {
      for: kube.core.v1.configmaps,
      namespace: "default",
      async reconcile({ name, namespace }, { get }) {
        const o = get();
        if (!o || name.endsWith("-copy")) return;
        await kube.core.v1.configmaps.apply(
          { metadata: { name: `${name}-copy`, namespace }, data: o.data ?? {} },
          { fieldManager: "copier", force: true },
        );
      },
    });
    const running = ctl.start({ signal: stop.signal });
    fake.add(cm("src", { k: "v" }));
    await kube.core.v1.configmaps.create({ metadata: { name: "src2" }, data: { k: "w" } });
    await until("the copies", () => fake.list("v1", "ConfigMap", "default").length === 4);
    assert.deepEqual((fake.get("v1", "ConfigMap", "default", "src-copy") as { data: unknown }).data, {
      k: "v",
    });
    assert.deepEqual((fake.get("v1", "ConfigMap", "default", "src2-copy") as { data: unknown }).data, {
      k: "w",
    });
    stop.abort();
    await running;
  });

  test("leaderElection acquires a Lease on the fake", async () => {
    const stop = new AbortController();
    let leading = false;
    const election = leaderElection(kube, {
      namespace: "default",
      name: "the-lock",
      identity: "replica-a",
      leaseDurationMs: 1000,
      renewDeadlineMs: 500,
      retryPeriodMs: 100,
      signal: stop.signal,
      onStartedLeading: () => {
        leading = true;
      },
      onStoppedLeading: () => {},
    });
    await until("leadership", () => leading);
    assert.equal(election.isLeader(), true);
    const lease = fake.get("coordination.k8s.io/v1", "Lease", "default", "the-lock") as {
      spec: { holderIdentity: string; leaseDurationSeconds: number };
    };
    assert.equal(lease.spec.holderIdentity, "replica-a");
    assert.equal(lease.spec.leaseDurationSeconds, 1);
    stop.abort();
    await election.done;
  });
});

const GADGETS = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.test.kubefetch.dev
spec:
  group: test.kubefetch.dev
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer }
---
apiVersion: test.kubefetch.dev/v1
kind: Gadget
metadata: { name: g1, namespace: default }
spec: { size: 3 }
`;

test("applyManifests applies a CRD and a CR of it, and the CRD is served right after", async () => {
  const results = await applyManifests(kube, GADGETS, {
    api: { registry: registryData, validators },
    fieldManager: "manifests-test",
    crdTimeoutMs: 2000,
  });
  assert.deepEqual(
    results.map((r) => `${r.kind} ${r.name} ${r.outcome}`),
    ["CustomResourceDefinition gadgets.test.kubefetch.dev applied", "Gadget g1 applied"],
  );
  assert.deepEqual((fake.get("test.kubefetch.dev/v1", "Gadget", "default", "g1") as { spec: unknown }).spec, {
    size: 3,
  });
  const gadgets = kube.resource({ apiVersion: "test.kubefetch.dev/v1", kind: "Gadget" });
  const list = await gadgets.list({ namespace: "default" });
  assert.deepEqual(
    list.items.map((o) => o.metadata?.name),
    ["g1"],
  );
});

describe("CRDs from files", () => {
  let widgets: FakeCluster;
  let wkube: Client;
  before(async () => {
    widgets = await createFakeCluster({
      registry: registryData,
      validators,
      crds: ["test/fixtures/differential/widgets.yaml"],
    });
    wkube = createClient(widgets.config, quickRetry);
  });
  after(async () => {
    await wkube.close();
    await widgets.close();
  });

  test("a CRD given as a file serves its custom resource at once", async () => {
    const w = wkube.resource({ apiVersion: "diff.kubefetch.dev/v1", kind: "Widget" });
    await w.create({
      apiVersion: "diff.kubefetch.dev/v1",
      kind: "Widget",
      metadata: { name: "w1", namespace: "default" },
      spec: { color: "red" },
    });
    assert.ok(widgets.get("diff.kubefetch.dev/v1", "Widget", "default", "w1"));
  });

  test("a custom resource its schema refuses answers 422 Invalid", async () => {
    const w = wkube.resource({ apiVersion: "diff.kubefetch.dev/v1", kind: "Widget" });
    await assert.rejects(
      w.create({
        apiVersion: "diff.kubefetch.dev/v1",
        kind: "Widget",
        metadata: { name: "bad", namespace: "default" },
        spec: { color: "purple" },
      }),
      (e) => isInvalid(e) && (e as KubeError).status === 422,
    );
    assert.equal(widgets.get("diff.kubefetch.dev/v1", "Widget", "default", "bad"), undefined);
  });
});

describe("object lifecycle", () => {
  test("generateName gives the object a name of that prefix and a random suffix", async () => {
    const a = await kube.core.v1.configmaps.create({ metadata: { generateName: "web-" } });
    const b = await kube.core.v1.configmaps.create({ metadata: { generateName: "web-" } });
    assert.match(a.metadata?.name ?? "", /^web-[a-z0-9]{5}$/);
    assert.notEqual(a.metadata?.name, b.metadata?.name);
    assert.ok(fake.get("v1", "ConfigMap", "default", a.metadata?.name ?? ""));
  });

  test("a Secret's stringData is stored base64 in data, and stringData is not kept", async () => {
    const s = await kube.core.v1.secrets.create({
      metadata: { name: "s" },
      data: { a: Buffer.from("old").toString("base64"), b: Buffer.from("b").toString("base64") },
      stringData: { a: "x" },
    });
    assert.deepEqual(s.data, { a: "eA==", b: "Yg==" });
    assert.equal((s as { stringData?: unknown }).stringData, undefined);
    const patched = await kube.core.v1.secrets.patch(
      { name: "s" },
      { stringData: { c: "y" } },
      { type: "merge" },
    );
    assert.deepEqual(patched.data, { a: "eA==", b: "Yg==", c: "eQ==" });
    assert.equal(
      (fake.get("v1", "Secret", "default", "s") as { stringData?: unknown }).stringData,
      undefined,
    );
  });

  test("deleting an owner deletes its dependents in the background, as the garbage collector does", async () => {
    const owner = await kube.core.v1.configmaps.create({ metadata: { name: "owner" } });
    const ref = { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata?.uid ?? "" };
    await kube.core.v1.secrets.create({ metadata: { name: "owned", ownerReferences: [ref] } });
    await kube.core.v1.secrets.create({ metadata: { name: "unowned" } });
    await kube.core.v1.configmaps.delete({ name: "owner" });
    await until("the dependent gone", () => fake.get("v1", "Secret", "default", "owned") === undefined);
    assert.ok(fake.get("v1", "Secret", "default", "unowned"));
  });

  test("a finalizer keeps a deleted object, with a deletionTimestamp, until it is removed", async () => {
    await kube.core.v1.configmaps.create({
      metadata: { name: "f", finalizers: ["test.kubefetch.dev/hold"] },
    });
    await kube.core.v1.configmaps.delete({ name: "f" });
    const held = await kube.core.v1.configmaps.get({ name: "f" });
    assert.ok(held.metadata?.deletionTimestamp);
    await kube.core.v1.configmaps.patch({ name: "f" }, { metadata: { finalizers: null } }, { type: "merge" });
    await assert.rejects(kube.core.v1.configmaps.get({ name: "f" }), isNotFound);
  });
});

test("start-up: createFakeCluster with registry and validators (measured, not asserted)", async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const f = await createFakeCluster({ registry: registryData, validators });
    times.push(performance.now() - t0);
    await f.close();
  }
  t.diagnostic(`createFakeCluster start-up (ms, 3 runs): ${times.map((x) => x.toFixed(1)).join(", ")}`);
});
