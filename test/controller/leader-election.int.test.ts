// Leader election on the real cluster: the Lease as client-go writes it, release on cancel,
// and two replicas (child processes) of which at most one reconciles at any moment, after a
// kill -9 of the leader and after the leader loses its link to the API server.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { leaderElection } from "../../src/controller/index.js";
import { loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { startTcpProxy } from "../helpers/faults.js";
import { repoRoot } from "../helpers/paths.js";
import { scratchDir } from "../helpers/spec-check.js";

const cluster = testCluster();
let kube: Client;
let ns: string;
const children: ChildProcess[] = [];

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }), {
    onWarning: () => {},
  });
  ns = uniqueName("elect");
  await kube.core.v1.namespaces.create({ metadata: { name: ns } });
  for (let i = 0; i < 3; i++) {
    await kube.core.v1.configmaps.create({ metadata: { name: `cm-${i}`, namespace: ns }, data: {} });
  }
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

/** client-go's metav1.MicroTime text (RFC3339Micro, UTC). */
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** A replica of test/controller/fixtures/elect.ts; `leading()` resolves with the time it said it leads. */
function replica(lease: string, identity: string, log: string, server?: string) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=kubefetch-source",
      join(repoRoot, "test/controller/fixtures/elect.ts"),
      cluster.kubeconfigs.admin,
      ns,
      lease,
      identity,
      log,
      ...(server ? [server] : []),
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d));
  child.stderr?.on("data", (d: Buffer) => (err += d));
  const said = (word: string, ms: number) =>
    new Promise<number>((resolve, reject) => {
      const end = Date.now() + ms;
      const t = setInterval(() => {
        const m = new RegExp(`^${word} (\\d+)$`, "m").exec(out);
        if (m) {
          clearInterval(t);
          resolve(Number(m[1]));
        } else if (Date.now() > end || child.exitCode !== null) {
          clearInterval(t);
          reject(
            new Error(`${identity} did not say "${word}" in ${ms} ms; stdout:\n${out}\nstderr:\n${err}`),
          );
        }
      }, 20);
    });
  return {
    child,
    leading: (ms = 30_000) => said("leading", ms),
    stopped: (ms = 30_000) => said("stopped", ms),
  };
}

/** The reconciles each replica logged, as [start, end] intervals. */
function intervals(log: string): Map<string, [number, number][]> {
  const by = new Map<string, [number, number][]>();
  for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) {
    const [who, start, end] = line.split(" ");
    by.set(who as string, [...(by.get(who as string) ?? []), [Number(start), Number(end)]]);
  }
  return by;
}

function assertNoOverlap(by: Map<string, [number, number][]>) {
  const all = [...by].flatMap(([who, xs]) => xs.map(([s, e]) => ({ who, s, e }))).sort((a, b) => a.s - b.s);
  for (let i = 1; i < all.length; i++) {
    const prev = all.slice(0, i).filter((x) => x.who !== all[i]?.who);
    for (const p of prev) {
      assert.ok(
        p.e <= (all[i] as { s: number }).s,
        `${p.who} reconciled until ${p.e}, ${all[i]?.who} from ${all[i]?.s}`,
      );
    }
  }
}

describe("leaderElection on a coordination.k8s.io/v1 Lease", () => {
  it("writes the Lease's fields as client-go does, renews it, and releases it on cancel", async () => {
    const name = uniqueName("lease");
    const stop = new AbortController();
    const seen: string[] = [];
    let startedAt = 0;
    const le = leaderElection(kube, {
      namespace: ns,
      name,
      identity: "ts-replica-1",
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
      releaseOnCancel: true,
      signal: stop.signal,
      onStartedLeading: () => {
        startedAt = Date.now();
      },
      onStoppedLeading: () => {},
      onNewLeader: (id) => seen.push(id),
    });
    while (!startedAt) await new Promise((r) => setTimeout(r, 20));
    assert.equal(le.isLeader(), true);
    const first = await kube.coordination.v1.leases.get({ namespace: ns, name });
    assert.equal(first.spec?.holderIdentity, "ts-replica-1");
    assert.equal(first.spec?.leaseDurationSeconds, 4);
    assert.equal(first.spec?.leaseTransitions, 0);
    assert.match(first.spec?.acquireTime ?? "", MICRO);
    assert.match(first.spec?.renewTime ?? "", MICRO);
    await new Promise((r) => setTimeout(r, 1300));
    const renewed = await kube.coordination.v1.leases.get({ namespace: ns, name });
    assert.equal(renewed.spec?.acquireTime, first.spec?.acquireTime, "the leader keeps acquireTime");
    assert.ok((renewed.spec?.renewTime ?? "") > (first.spec?.renewTime ?? ""), "renewTime moves on");
    stop.abort();
    await le.done;
    const released = await kube.coordination.v1.leases.get({ namespace: ns, name });
    assert.equal(released.spec?.holderIdentity ?? "", "");
    assert.equal(released.spec?.leaseDurationSeconds, 1);
    assert.deepEqual(seen, ["ts-replica-1"]);

    // Another candidate takes a released lease at once, and counts a transition.
    const stop2 = new AbortController();
    const t0 = Date.now();
    let led = 0;
    const le2 = leaderElection(kube, {
      namespace: ns,
      name,
      identity: "ts-replica-2",
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
      signal: stop2.signal,
      onStartedLeading: () => {
        led = Date.now();
      },
      onStoppedLeading: () => {},
    });
    while (!led) await new Promise((r) => setTimeout(r, 20));
    assert.ok(led - t0 < 2000, `took ${led - t0} ms`);
    const taken = await kube.coordination.v1.leases.get({ namespace: ns, name });
    assert.equal(taken.spec?.holderIdentity, "ts-replica-2");
    assert.equal(taken.spec?.leaseTransitions, 1);
    stop2.abort();
    await le2.done;
  });

  it("refuses durations client-go refuses", () => {
    const base = {
      namespace: ns,
      name: "x",
      identity: "i",
      onStartedLeading: () => {},
      onStoppedLeading: () => {},
    };
    assert.throws(
      () => leaderElection(kube, { ...base, leaseDurationMs: 3000, renewDeadlineMs: 3000 }),
      /greater than renewDeadlineMs/,
    );
    assert.throws(
      () =>
        leaderElection(kube, { ...base, leaseDurationMs: 4000, renewDeadlineMs: 1100, retryPeriodMs: 1000 }),
      /retryPeriodMs \* 1.2/,
    );
    assert.throws(() => leaderElection(kube, { ...base, identity: "" }), /identity/);
  });

  it("kill -9 of the leader: the other replica leads within leaseDuration + retryPeriod (+ 1 s slack), and no two reconcile at once", async () => {
    const lease = uniqueName("kill");
    const log = join(scratchDir("controller-elect"), `${lease}.log`);
    writeFileSync(log, "");
    const a = replica(lease, "replica-a", log);
    await a.leading();
    const b = replica(lease, "replica-b", log);
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual([...intervals(log).keys()], ["replica-a"], "only the leader reconciles");
    const killedAt = Date.now();
    a.child.kill("SIGKILL");
    const bLeads = await b.leading(20_000);
    const took = bLeads - killedAt;
    // Worst case: b saw a's last renewal up to one retry period (1 s) after it was written;
    // the lease then runs 4 s by b's clock, and b tries as it runs out. 1 s of slack for the
    // requests and log lines on a loaded 2-core machine.
    console.log(`# takeover after kill -9: ${took} ms (bound ${4000 + 1000 + 1000} ms)`);
    assert.ok(took <= 4000 + 1000 + 1000, `b led ${took} ms after the kill`);
    assert.ok(took >= 0);
    await new Promise((r) => setTimeout(r, 1000));
    const by = intervals(log);
    assert.ok((by.get("replica-b") ?? []).length > 0, "b reconciles once leading");
    for (const [s] of by.get("replica-b") ?? [])
      assert.ok(s >= killedAt, "b reconciled only after a was gone");
    assertNoOverlap(by);
    b.child.kill("SIGTERM");
    await b.stopped();
  });

  it("a leader cut off from the API server stops reconciling before the other takes over", async () => {
    const lease = uniqueName("cut");
    const log = join(scratchDir("controller-elect"), `${lease}.log`);
    writeFileSync(log, "");
    const proxy = await startTcpProxy({ host: cluster.host, port: cluster.apiPort });
    try {
      const a = replica(lease, "replica-a", log, `https://${cluster.host}:${proxy.port}`);
      await a.leading();
      const b = replica(lease, "replica-b", log);
      await new Promise((r) => setTimeout(r, 1500));
      proxy.pause();
      const aStops = await a.stopped(15_000);
      const bLeads = await b.leading(20_000);
      console.log(`# cut-off leader stopped at +0, the other led at +${bLeads - aStops} ms`);
      assert.ok(aStops < bLeads, "a stopped leading before b started");
      await new Promise((r) => setTimeout(r, 1000));
      const by = intervals(log);
      assert.ok((by.get("replica-b") ?? []).length > 0);
      assertNoOverlap(by);
      assert.ok(
        Math.max(...(by.get("replica-a") ?? []).map(([, e]) => e)) <= bLeads,
        "a's last reconcile ended before b led",
      );
      a.child.kill("SIGKILL");
      b.child.kill("SIGTERM");
      await b.stopped();
    } finally {
      await proxy.close();
    }
  });
});
