// Controllers on the real cluster: owner mapping, finalizers, status updates, events, and
// convergence after an apiserver restart in the middle of 200 changes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { controllerReference, createController, createEventRecorder } from "../../src/controller/index.js";
import { isNotFound, loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { restartApiserver } from "../helpers/faults.js";
import { eventually, until } from "../helpers/wait.js";

const cluster = testCluster();
let kube: Client;
let ns: string;
before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }), {
    onWarning: () => {},
  });
  ns = uniqueName("ctl");
  await kube.core.v1.namespaces.create({ metadata: { name: ns } });
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

// Paused: the node's Deployment controller makes no pods for them (a few hundred pods that
// never run filled the node's 110 and left later tests' pods unschedulable).
const deployment = (name: string, replicas: number) => ({
  metadata: { name, namespace: ns, labels: { app: name } },
  spec: {
    paused: true,
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    },
  },
});

/** The ConfigMap-per-Deployment reconcile of examples/controller.ts, instrumented. */
function configMapPerDeployment(
  prefix: string,
  stats = { inFlight: new Set<string>(), overlaps: 0, reconciles: 0 },
) {
  const ctl = createController(kube, {
    name: "test-controller",
    for: kube.apps.v1.deployments,
    owns: [kube.core.v1.configmaps],
    namespace: ns,
    concurrency: 4,
    async reconcile({ namespace, name }, { get, signal }) {
      const key = `${namespace}/${name}`;
      if (stats.inFlight.has(key)) stats.overlaps++;
      stats.inFlight.add(key);
      stats.reconciles++;
      try {
        const d = get();
        if (!d || !name.startsWith(prefix)) return;
        await new Promise((r) => setTimeout(r, 2));
        await kube.core.v1.configmaps.apply(
          {
            metadata: { name: `${name}-info`, namespace: ns, ownerReferences: [controllerReference(d)] },
            data: { replicas: String(d.spec?.replicas) },
          },
          { fieldManager: "test-controller", force: true, signal },
        );
      } finally {
        stats.inFlight.delete(key);
      }
    },
  });
  return { ctl, stats };
}

describe("createController", () => {
  it("reconciles each primary object, and a child's change brings its controller owner back", async () => {
    const stop = new AbortController();
    const { ctl } = configMapPerDeployment("own-");
    const errors: unknown[] = [];
    ctl.on("error", (e) => errors.push(e));
    const running = ctl.start({ signal: stop.signal });
    await kube.apps.v1.deployments.create(deployment("own-a", 2));
    const cm = await until(
      () => kube.core.v1.configmaps.get({ namespace: ns, name: "own-a-info" }).catch(() => undefined),
      { what: "the child" },
    );
    assert.equal(cm.data?.replicas, "2");
    assert.equal(cm.metadata?.ownerReferences?.[0]?.controller, true);
    // Someone edits the child: its owner is reconciled and puts it back.
    await kube.core.v1.configmaps.patch(
      { namespace: ns, name: "own-a-info" },
      { data: { replicas: "99" } },
      { type: "merge" },
    );
    await until(
      async () => {
        const c = await kube.core.v1.configmaps.get({ namespace: ns, name: "own-a-info" });
        return c.data?.replicas === "2";
      },
      { what: "the child restored" },
    );
    // Deleted, it comes back too.
    await kube.core.v1.configmaps.delete({ namespace: ns, name: "own-a-info" });
    await until(
      () => kube.core.v1.configmaps.get({ namespace: ns, name: "own-a-info" }).catch(() => undefined),
      { what: "the child recreated" },
    );
    stop.abort();
    await running;
    assert.deepEqual(errors, []);
  });

  it("a reconcile that throws is retried with backoff, reported as an `error` and as a Warning event", async () => {
    const stop = new AbortController();
    await kube.apps.v1.deployments.create(deployment("fail-a", 1));
    let calls = 0;
    // The resourceVersion each reconcile saw: the node's Deployment controller changes status.
    const seen: (string | undefined)[] = [];
    const errors: string[] = [];
    const ctl = createController(kube, {
      name: "failing-controller",
      for: kube.apps.v1.deployments,
      namespace: ns,
      reconcile({ name }, { get }) {
        if (name !== "fail-a") return;
        calls++;
        seen.push(get()?.metadata?.resourceVersion);
        if (calls < 4) throw new Error(`attempt ${calls} failed`);
        return undefined;
      },
    });
    ctl.on("error", (e, req) => errors.push(`${req.name}: ${(e as Error).message}`));
    const running = ctl.start({ signal: stop.signal });
    await until(() => calls >= 4, { what: "the 4th attempt", timeoutMs: 20_000 });
    assert.deepEqual(errors, [
      "fail-a: attempt 1 failed",
      "fail-a: attempt 2 failed",
      "fail-a: attempt 3 failed",
    ]);
    const ev = await until(
      async () => {
        const list = await kube.events.v1.events.list({ namespace: ns });
        const e = list.items.find(
          (x) =>
            x.reason === "ReconcileError" && x.regarding?.name === "fail-a" && x.note === "attempt 1 failed",
        );
        return e;
      },
      { what: "the warning event, counted as a series" },
    );
    assert.equal(ev.type, "Warning");
    assert.equal(ev.reportingController, "failing-controller");
    stop.abort();
    await running;
    // After the 4th (successful) call, a reconcile only for a new version of the object, but
    // for one: when the node's Deployment controller changed the object during the backoff,
    // its event runs the 4th call early and the backoff's delayed add still comes (client-go's
    // queue does the same: Forget does not cancel a pending AddRateLimited).
    let unchanged = 0;
    for (let i = 4; i < seen.length; i++) if (seen[i] === seen[i - 1]) unchanged++;
    assert.ok(unchanged <= 1, `${unchanged} calls without a change after success: ${seen.join(" ")}`);
  });

  it("requeueAfterMs reconciles the object again", async () => {
    const stop = new AbortController();
    await kube.apps.v1.deployments.create(deployment("requeue-a", 1));
    let calls = 0;
    const ctl = createController(kube, {
      for: kube.apps.v1.deployments,
      namespace: ns,
      reconcile({ name }) {
        if (name !== "requeue-a") return;
        calls++;
        return { requeueAfterMs: 50 };
      },
    });
    const running = ctl.start({ signal: stop.signal });
    await until(() => calls >= 3, { what: "three reconciles", timeoutMs: 10_000 });
    stop.abort();
    await running;
  });

  it("resyncMs reconciles every cached object again without any change", async () => {
    const stop = new AbortController();
    await kube.apps.v1.deployments.create(deployment("resync-a", 1));
    let calls = 0;
    const ctl = createController(kube, {
      for: kube.apps.v1.deployments,
      namespace: ns,
      resyncMs: 100,
      reconcile({ name }) {
        if (name === "resync-a") calls++;
      },
    });
    const running = ctl.start({ signal: stop.signal });
    await until(() => calls >= 4, { what: "three resyncs", timeoutMs: 10_000 });
    stop.abort();
    await running;
  });

  it("start() resolves after an abort only once the reconciles in flight have ended, and takes no new key", async () => {
    const stop = new AbortController();
    await kube.apps.v1.deployments.create(deployment("drain-a", 1));
    let inFlight = 0;
    let started = 0;
    const ctl = createController(kube, {
      for: kube.apps.v1.deployments,
      namespace: ns,
      concurrency: 3,
      async reconcile() {
        started++;
        inFlight++;
        await new Promise((r) => setTimeout(r, 300));
        inFlight--;
      },
    });
    const running = ctl.start({ signal: stop.signal });
    // Each reconcile is in flight for 300 ms: polled well inside that.
    await until(() => inFlight > 0, { what: "a reconcile in flight", timeoutMs: 10_000, intervalMs: 50 });
    stop.abort();
    const startedAtAbort = started;
    await running;
    assert.equal(inFlight, 0, "start() resolved with a reconcile still running");
    assert.equal(started, startedAtAbort, "a key was taken after the abort");
  });

  it("finalize adds the finalizer, runs cleanup on deletion, then removes it", async () => {
    const stop = new AbortController();
    const cleaned: string[] = [];
    const ctl = createController(kube, {
      for: kube.apps.v1.deployments,
      namespace: ns,
      async reconcile({ name }, { finalize }) {
        if (!name.startsWith("fin-")) return;
        await finalize("test.kubefetch.dev/cleanup", async (obj) => {
          if (!cleaned.includes(obj.metadata?.name as string)) cleaned.push(obj.metadata?.name as string);
        });
      },
    });
    ctl.on("error", () => {});
    const running = ctl.start({ signal: stop.signal });
    await kube.apps.v1.deployments.create(deployment("fin-a", 1));
    await until(
      async () => {
        const d = await kube.apps.v1.deployments.get({ namespace: ns, name: "fin-a" });
        return d.metadata?.finalizers?.includes("test.kubefetch.dev/cleanup");
      },
      { what: "the finalizer" },
    );
    await kube.apps.v1.deployments.delete({ namespace: ns, name: "fin-a" });
    await until(
      () => kube.apps.v1.deployments.get({ namespace: ns, name: "fin-a" }).then(() => false, isNotFound),
      { what: "the object gone" },
    );
    assert.deepEqual(cleaned, ["fin-a"]);
    stop.abort();
    await running;
  });

  it("updateStatus writes through the status subresource and retries a conflict with the object read again", async () => {
    const stop = new AbortController();
    await kube.apps.v1.deployments.create(deployment("status-a", 1));
    let attempts = 0;
    let done = false;
    // What the status write answered: the node's Deployment controller rewrites status at once,
    // so reading it back later would race it.
    let written: number | undefined;
    const ctl = createController(kube, {
      for: kube.apps.v1.deployments,
      namespace: ns,
      async reconcile({ name }, { updateStatus }) {
        if (name !== "status-a" || done) return;
        const out = await updateStatus((d) => {
          attempts++;
          if (attempts === 1) {
            // Someone else writes between our read and our write: ours must conflict.
            return {
              ...d,
              metadata: { ...d.metadata, resourceVersion: "1" },
              status: { observedGeneration: 7 },
            };
          }
          d.status = { ...d.status, observedGeneration: 7 };
          return d;
        });
        written = out.status?.observedGeneration;
        done = true;
      },
    });
    ctl.on("error", (e) => assert.fail(e as Error));
    const running = ctl.start({ signal: stop.signal });
    await until(() => done, { what: "the status write" });
    assert.equal(written, 7);
    // Our forced conflict, then success; the node's Deployment controller may add one more.
    assert.ok(attempts >= 2 && attempts <= 5, `${attempts} attempts: one conflict or more, then success`);
    stop.abort();
    await running;
  });

  it("two controllers of one client on one kind share its informer, each gets every event", async () => {
    const stop = new AbortController();
    const seen = [new Set<string>(), new Set<string>()];
    const make = (i: number) =>
      createController(kube, {
        for: kube.core.v1.configmaps,
        namespace: ns,
        reconcile({ name }) {
          if (name.startsWith("shared-")) seen[i]?.add(name);
        },
      });
    const runs = [make(0).start({ signal: stop.signal }), make(1).start({ signal: stop.signal })];
    for (let i = 0; i < 5; i++) {
      await kube.core.v1.configmaps.create({ metadata: { name: `shared-${i}`, namespace: ns }, data: {} });
    }
    await until(() => seen.every((s) => s.size === 5), { what: "both saw all" });
    stop.abort();
    await Promise.all(runs);
  });

  it("converges after an apiserver restart in the middle of 200 changes, never holding one key twice", async () => {
    const stop = new AbortController();
    const { ctl, stats } = configMapPerDeployment("churn-");
    ctl.on("error", () => {});
    const running = ctl.start({ signal: stop.signal });
    const n = 20;
    const want = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      await eventually(() => kube.apps.v1.deployments.create(deployment(`churn-${i}`, 0)), {
        what: `create churn-${i}`,
      });
      want.set(`churn-${i}`, 0);
    }
    // 200 changes: 10 rounds of new replica counts, the API server killed and restarted after the 70th.
    let changes = 0;
    for (let round = 1; round <= 10; round++) {
      for (let i = 0; i < n; i++) {
        const name = `churn-${i}`;
        const replicas = (round * 7 + i) % 13;
        await eventually(
          () =>
            kube.apps.v1.deployments.patch(
              { namespace: ns, name },
              { spec: { replicas } },
              { type: "merge" },
            ),
          { what: `patch ${name} to ${replicas} replicas` },
        );
        want.set(name, replicas);
        if (++changes === 70) await restartApiserver(cluster);
      }
    }
    assert.equal(changes, 200);
    await until(
      async () => {
        const list = await kube.core.v1.configmaps.list({ namespace: ns }).catch(() => undefined);
        if (!list) return false;
        const have = new Map(list.items.map((c) => [c.metadata?.name, c.data?.replicas]));
        return [...want].every(([name, r]) => have.get(`${name}-info`) === String(r));
      },
      { what: "every ConfigMap equal to its Deployment", timeoutMs: 90_000 },
    );
    stop.abort();
    await running;
    assert.equal(stats.overlaps, 0, "no key reconciled by two workers at once");
    console.log(`# ${stats.reconciles} reconciles for 200 changes over ${n} objects`);
  });
});

describe("createEventRecorder", () => {
  it("writes one events.k8s.io/v1 Event and counts its repeats as a series", async () => {
    const cm = await kube.core.v1.configmaps.create({ metadata: { name: "ev-a", namespace: ns }, data: {} });
    const rec = createEventRecorder(kube, { component: "recorder-test", host: "h1" });
    for (let i = 0; i < 5; i++) rec.event(cm, "Normal", "Tested", "the same note");
    rec.event(cm, "Normal", "Tested", "another note");
    await rec.flush();
    const list = await kube.events.v1.events.list({ namespace: ns });
    const mine = list.items.filter((e) => e.reportingController === "recorder-test");
    assert.equal(mine.length, 2);
    const same = mine.find((e) => e.note === "the same note");
    assert.equal(same?.series?.count, 5);
    assert.equal(same?.reportingInstance, "recorder-test-h1");
    assert.equal(same?.regarding?.uid, cm.metadata?.uid);
    assert.match(same?.eventTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("never blocks: a full queue drops new events with one warning", async () => {
    const cm = await kube.core.v1.configmaps.create({ metadata: { name: "ev-b", namespace: ns }, data: {} });
    const warnings: string[] = [];
    const rec = createEventRecorder(kube, {
      component: "flood",
      queueSize: 3,
      onWarning: (m) => warnings.push(m),
    });
    for (let i = 0; i < 10; i++) rec.event(cm, "Normal", "Flood", `note ${i}`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /3 events are waiting/);
    await rec.flush();
    const list = await kube.events.v1.events.list({ namespace: ns });
    // The first is being written at once; 3 more wait; the other 6 are dropped.
    assert.equal(list.items.filter((e) => e.reportingController === "flood").length, 4);
  });

  it("falls back to core/v1 Events (count, lastTimestamp) when events.k8s.io/v1 is not served", async () => {
    const cm = await kube.core.v1.configmaps.create({
      metadata: { name: "ev-core", namespace: ns },
      data: {},
    });
    // The real server's answer for a group it does not serve stands in for events.k8s.io.
    const withoutEventsGroup = {
      ...kube,
      discovery: { resources: () => kube.discovery.resources("nothing.kubefetch.dev/v1") },
    };
    const rec = createEventRecorder(withoutEventsGroup, { component: "core-test", host: "h2" });
    for (let i = 0; i < 3; i++) rec.event(cm, "Warning", "Old", "core note");
    await rec.flush();
    const list = await kube.core.v1.events.list({ namespace: ns });
    const mine = list.items.filter((e) => e.source?.component === "core-test");
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.count, 3);
    assert.equal(mine[0]?.type, "Warning");
    assert.equal(mine[0]?.involvedObject.uid, cm.metadata?.uid);
    assert.equal(mine[0]?.source?.host, "h2");
  });

  it("a failed write is a warning, never an exception", async () => {
    const warnings: string[] = [];
    const rec = createEventRecorder(kube, { component: "bad", onWarning: (m) => warnings.push(m) });
    rec.event(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "no-such-ns-here" } },
      "Normal",
      "X",
      "y",
    );
    await rec.flush();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /could not be written/);
  });
});
