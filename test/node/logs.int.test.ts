import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { KubeError, loadConfig } from "../../src/index.js";
import { busyboxPod, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";

// pods.log against real containers: the kubelet serves the log, the apiserver proxies it.
const cluster = nodeCluster();
let kube: Client;
let ns: string;

const pod = (name: string, script: string, restartPolicy?: "Never" | "Always") =>
  busyboxPod(cluster, ns, name, script, restartPolicy);
const log = (name: string, options: Record<string, unknown> = {}) =>
  kube.core.v1.pods.log({ namespace: ns, name, ...options }).text();

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "node-logs");
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("pods.log on a real container", () => {
  // Five lines at once, then after six seconds one more, then quiet.
  const talker = "for i in 1 2 3 4 5; do echo line $i; done; sleep 6; echo late; sleep 600";
  const early = ["line 1", "line 2", "line 3", "line 4", "line 5"];
  before(async () => {
    await kube.core.v1.pods.create(pod("talker", talker));
    await waitForPod(kube, ns, "talker", (p) => p.status?.phase === "Running", "Running");
    const deadline = Date.now() + 60_000;
    while (!(await log("talker")).includes("late\n")) {
      assert.ok(Date.now() < deadline, "talker printed its late line");
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it("the whole log", async () => {
    assert.equal(await log("talker"), [...early, "late", ""].join("\n"));
  });

  it("tailLines: the last lines only", async () => {
    assert.equal(await log("talker", { tailLines: 2 }), "line 5\nlate\n");
  });

  it("timestamps: each line starts with the RFC 3339 time the container printed it", async () => {
    const lines = (await log("talker", { timestamps: true })).trimEnd().split("\n");
    assert.equal(lines.length, 6);
    const at = lines.map((l) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z) (.*)$/.exec(l);
      assert.ok(m, l);
      return { t: Date.parse(m[1] as string), text: m[3] };
    });
    assert.deepEqual(
      at.map((x) => x.text),
      [...early, "late"],
    );
    // The late line was printed about six seconds after the others.
    const gap = (at[5]?.t ?? 0) - (at[4]?.t ?? 0);
    assert.ok(gap >= 5000, `gap ${gap} ms`);
  });

  it("sinceSeconds: only the lines of the last seconds", async () => {
    const lines = (await log("talker", { timestamps: true })).trimEnd().split("\n");
    const time = (l: string | undefined) => Date.parse((l ?? "").split(" ")[0] as string);
    const late = time(lines[5]);
    const fifth = time(lines[4]);
    // A window that holds the late line and none before it (they are six seconds apart).
    const since = Math.ceil((Date.now() - late) / 1000) + 1;
    assert.ok(Date.now() - fifth > since * 1000, "the early lines are older than the window");
    assert.equal(await log("talker", { sinceSeconds: since }), "late\n");
  });

  it("follow: lines arrive as the container prints them, and the stream ends when it exits", async () => {
    await kube.core.v1.pods.create(
      pod("ticker", "sleep 2; for i in 1 2 3 4 5; do echo tick $i; sleep 1; done"),
    );
    await waitForPod(kube, ns, "ticker", (p) => p.status?.phase === "Running", "Running");
    const got: { line: string; at: number }[] = [];
    for await (const line of kube.core.v1.pods.log({ namespace: ns, name: "ticker", follow: true })) {
      got.push({ line, at: Date.now() });
    }
    const ended = Date.now();
    assert.deepEqual(
      got.map((g) => g.line),
      ["tick 1", "tick 2", "tick 3", "tick 4", "tick 5"],
    );
    // Streamed, not buffered until the end: the first tick came seconds before the last.
    const first = got[0]?.at ?? ended;
    assert.ok((got[4]?.at ?? 0) - first >= 2500, `ticks spread over ${(got[4]?.at ?? 0) - first} ms`);
    const p = await waitForPod(kube, ns, "ticker", (x) => x.status?.phase === "Succeeded", "Succeeded");
    assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  });

  it("previous: the log of the container before its restart", async () => {
    // Each run prints its own id, then fails after a moment; the kubelet restarts it.
    await kube.core.v1.pods.create(
      pod("restarts", "echo run $(cat /proc/sys/kernel/random/uuid); sleep 1; exit 1", "Always"),
    );
    const restarted = await waitForPod(
      kube,
      ns,
      "restarts",
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      "a restart",
    );
    assert.ok((restarted.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    const previous = await log("restarts", { previous: true });
    assert.match(previous, /^run [0-9a-f-]{36}\n$/);
    let current = "";
    const deadline = Date.now() + 30_000;
    while (!current) {
      current = await log("restarts").catch(() => "");
      assert.ok(current || Date.now() < deadline, "the restarted container printed");
      if (!current) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(current, /^run [0-9a-f-]{36}\n$/);
    assert.notEqual(current, previous);
  });

  it("previous on a container that never restarted is a 400 naming it", async () => {
    await assert.rejects(log("talker", { previous: true }), (e: unknown) => {
      assert.ok(e instanceof KubeError && e.status === 400, String(e));
      assert.match(String(e), /previous terminated container "c" in pod "talker" not found/);
      return true;
    });
  });
});
