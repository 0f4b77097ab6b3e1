// Watch and informer under faults, against the real cluster. Each ends with: the informer's
// store equals a fresh list (names and resourceVersions), and every object created or
// deleted during the test was delivered at least once.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { isAlreadyExists, isNotFound, loadConfig, WatchExpiredError } from "../../src/index.js";
import { createInformer, type Informer } from "../../src/informer/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { compactEtcd, restartApiserver, startTcpProxy } from "../helpers/faults.js";
import { scratchDir } from "../helpers/spec-check.js";
import { eventually, until } from "../helpers/wait.js";

type ConfigMap = Awaited<ReturnType<Client["core"]["v1"]["configmaps"]["get"]>>;
const cluster = testCluster();
let admin: Client;
before(async () => {
  admin = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }), {
    onWarning: () => {},
  });
});
after(() => admin.close());

/** Creates n objects, updates each, deletes every other one; returns what it did. */
async function churn(
  ns: string,
  n: number,
  prefix: string,
  midway?: () => Promise<void>,
  gapMs = 0,
  deletes = true,
) {
  const created: string[] = [];
  const deleted: string[] = [];
  const cms = admin.core.v1.configmaps;
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-${i}`;
    // The API server may be down or the link cut: each write is retried until it is taken.
    await eventually(() => cms.create({ metadata: { name, namespace: ns }, data: { v: "0" } }), {
      what: `create ${name}`,
      tookEffect: isAlreadyExists,
    });
    created.push(name);
    if (i === Math.floor(n / 4) && midway) await midway();
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
  }
  for (let i = 0; i < n; i++) {
    await eventually(
      () => cms.patch({ namespace: ns, name: `${prefix}-${i}` }, { data: { v: "1" } }, { type: "merge" }),
      { what: `patch ${prefix}-${i}` },
    );
  }
  for (let i = 0; deletes && i < n; i += 2) {
    await eventually(() => cms.delete({ namespace: ns, name: `${prefix}-${i}` }), {
      what: `delete ${prefix}-${i}`,
      tookEffect: isNotFound,
    });
    deleted.push(`${prefix}-${i}`);
  }
  return { created, deleted };
}

function track(inf: Informer<ConfigMap>) {
  const added = new Set<string>();
  const deleted = new Set<string>();
  const errors: unknown[] = [];
  inf.on("add", (o) => added.add(o.metadata?.name ?? ""));
  inf.on("delete", (o) => deleted.add(o.metadata?.name ?? ""));
  inf.on("error", (e) => errors.push(e));
  return { added, deleted, errors };
}

/** Waits until the store equals a fresh list, names and resourceVersions. */
async function assertConverges(inf: Informer<ConfigMap>, ns: string) {
  let last = "";
  await until(
    async () => {
      const fresh = await admin.core.v1.configmaps.list({ namespace: ns });
      const want = fresh.items.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
      const have = inf
        .list()
        .map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)
        .sort();
      last = `want ${want.length}, have ${have.length}`;
      return JSON.stringify(want) === JSON.stringify(have);
    },
    { what: () => `the store to equal a fresh list (${last})`, timeoutMs: 30_000, intervalMs: 200 },
  );
}

function assertDelivered(t: ReturnType<typeof track>, did: { created: string[]; deleted: string[] }) {
  assert.deepEqual(
    did.created.filter((n) => !t.added.has(n)),
    [],
    "created but never added",
  );
  assert.deepEqual(
    did.deleted.filter((n) => !t.deleted.has(n)),
    [],
    "deleted but never delivered",
  );
}

async function namespace() {
  const ns = uniqueName("inf");
  await admin.core.v1.namespaces.create({ metadata: { name: ns } });
  return ns;
}

/** A kubeconfig for the admin token through another port (the proxy), same certificate. */
function kubeconfigVia(port: number) {
  const file = join(scratchDir("informer"), `via-${port}.kubeconfig`);
  writeFileSync(
    file,
    `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", certificate-authority: ${cluster.ca}}}]
users: [{name: u, user: {token: ${cluster.tokens.admin}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  return file;
}

const fast = { minBackoffMs: 100, maxBackoffMs: 1000 };
/** Stopped after each test, passed or failed, so nothing keeps the process alive. */
const cleanups: (() => Promise<unknown>)[] = [];
const cleanup = async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
};

/** A synced informer on the namespace's configmaps, through the given kubeconfig; stopped after the test. */
async function informerFor(kubeconfig: string, ns: string) {
  const kube = createClient(await loadConfig({ kubeconfig, env: {} }), { onWarning: () => {} });
  const inf = createInformer(kube.core.v1.configmaps, { namespace: ns, ...fast });
  const t = track(inf);
  cleanups.push(
    () => kube.close(),
    () => inf.stop(),
  );
  await inf.start();
  await inf.synced;
  return { inf, t };
}

describe("informer under faults", () => {
  afterEach(cleanup);
  it("kube-apiserver killed and restarted mid-watch while 200 objects are created, updated and deleted", async () => {
    const ns = await namespace();
    const { inf, t } = await informerFor(cluster.kubeconfigs.admin, ns);
    const did = await churn(ns, 200, "r", () => restartApiserver(cluster));
    await assertConverges(inf, ns);
    assertDelivered(t, did);
    assert.ok(t.errors.length > 0, "the outage was reported as error events");
  });

  it("a proxy that cuts connections at random moments", async () => {
    const ns = await namespace();
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: cluster.apiPort }, { cutMs: [50, 400] });
    cleanups.push(() => proxy.close());
    const { inf, t } = await informerFor(kubeconfigVia(proxy.port), ns);
    // Writes spread over a few seconds, so the cuts land during them.
    const did = await churn(ns, 100, "c", undefined, 30);
    await assertConverges(inf, ns);
    assertDelivered(t, did);
    assert.ok(proxy.cuts() > 3, `only ${proxy.cuts()} cuts`);
    await proxy.close();
  });

  it("etcd compacted while the informer is disconnected: 410, relist, caught up", async () => {
    const ns = await namespace();
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: cluster.apiPort });
    cleanups.push(() => proxy.close());
    const { inf, t } = await informerFor(kubeconfigVia(proxy.port), ns);
    const before = await churn(ns, 10, "pre");
    proxy.pause();
    // Created and updated, not deleted, while away: an object born and gone during a gap that
    // ends in a relist is invisible to any informer.
    const during = await churn(ns, 30, "gap", undefined, 0, false);
    await compactEtcd(cluster);
    // The API server's watch cache could still serve the old resourceVersion; restarted, it
    // starts at the current revision, and etcd has compacted the rest: the resume gets 410.
    await restartApiserver(cluster, 0);
    proxy.resume();
    await assertConverges(inf, ns);
    assertDelivered(t, { created: [...before.created, ...during.created], deleted: before.deleted });
    assert.ok(
      t.errors.some((e) => e instanceof WatchExpiredError),
      "the watch got 410 Gone and relisted",
    );
    await proxy.close();
  });
});

describe("raw watch on the real cluster", () => {
  it("delivers ADDED, MODIFIED, DELETED typed, and an abort ends it cleanly", async () => {
    const ns = await namespace();
    const list = await admin.core.v1.configmaps.list({ namespace: ns });
    const ac = new AbortController();
    const events: string[] = [];
    const done = (async () => {
      for await (const ev of admin.core.v1.configmaps.watch({
        namespace: ns,
        resourceVersion: list.metadata.resourceVersion,
        signal: ac.signal,
      })) {
        if (ev.type === "BOOKMARK") continue;
        events.push(`${ev.type} ${ev.object.kind} ${ev.object.metadata?.name} ${ev.object.data?.v ?? ""}`);
        if (events.length === 3) ac.abort();
      }
    })();
    await admin.core.v1.configmaps.create({ metadata: { name: "w", namespace: ns }, data: { v: "1" } });
    await admin.core.v1.configmaps.patch(
      { namespace: ns, name: "w" },
      { data: { v: "2" } },
      { type: "merge" },
    );
    await admin.core.v1.configmaps.delete({ namespace: ns, name: "w" });
    await done;
    assert.deepEqual(events, ["ADDED ConfigMap w 1", "MODIFIED ConfigMap w 2", "DELETED ConfigMap w 2"]);
  });

  it("a resourceVersion older than etcd keeps throws WatchExpiredError", async () => {
    await compactEtcd(cluster);
    const it = admin.core.v1.configmaps
      .watch({ namespace: "default", resourceVersion: "2" })
      [Symbol.asyncIterator]();
    await assert.rejects(it.next(), (e: unknown) => e instanceof WatchExpiredError);
  });
});
