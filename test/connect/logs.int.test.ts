import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { loadConfig } from "../../src/index.js";
import { kubectl } from "../helpers/kubectl-run.js";
import { busyboxPod, nodeCluster, podNamespace, terminated, waitForPod } from "../helpers/node.js";

// pods.log on the real node, with `kubectl logs` on the same pod as the judge.
const cluster = nodeCluster();
let kube: Client;
let ns: string;

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "connect-logs");
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("pods.log against kubectl logs", () => {
  it("the whole log of a finished container: the same text, stderr lines included", async () => {
    const script = 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done; printf "no newline"';
    await kube.core.v1.pods.create(busyboxPod(cluster, ns, "printer", script));
    await waitForPod(kube, ns, "printer", (p) => terminated(p, "c") !== undefined, "terminated");
    const ours = await kube.core.v1.pods.log({ namespace: ns, name: "printer" }).text();
    const theirs = await kubectl(cluster, ["logs", "-n", ns, "printer"]);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours, theirs.stdout.toString());
    assert.match(ours, /out 3\n/);
    assert.match(ours, /err 3\n/);
  });

  it("follow: the same lines as kubectl logs -f, both ending when the container exits", async () => {
    const script = "sleep 2; for i in 1 2 3 4; do echo tick $i; sleep 1; done";
    await kube.core.v1.pods.create(busyboxPod(cluster, ns, "ticker", script));
    await waitForPod(kube, ns, "ticker", (p) => p.status?.phase === "Running", "Running");
    const theirs = kubectl(cluster, ["logs", "-f", "-n", ns, "ticker"]);
    const lines: string[] = [];
    for await (const line of kube.core.v1.pods.log({ namespace: ns, name: "ticker", follow: true }))
      lines.push(line);
    assert.deepEqual(lines, ["tick 1", "tick 2", "tick 3", "tick 4"]);
    const k = await theirs;
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout.toString(), `${lines.join("\n")}\n`);
  });
});
