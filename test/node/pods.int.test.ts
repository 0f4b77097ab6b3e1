import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { isAlreadyExists, loadConfig } from "../../src/index.js";
import {
  busyboxPod,
  containerOutput,
  myJob,
  nodeCluster,
  podNamespace,
  terminated,
  waitForPod,
} from "../helpers/node.js";
import { until } from "../helpers/wait.js";

// Pods on the test cluster's real node (kubelet + containerd + runc). hostNetwork: the pods
// share the machine's loopback; nothing of theirs leaves it.
const cluster = nodeCluster();
let kube: Client;
let ns: string;

const pod = (name: string, script: string, restartPolicy?: "Never" | "Always") =>
  busyboxPod(cluster, ns, name, script, restartPolicy);

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "node-pods");
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("pods on the real node", () => {
  it(`the node ${cluster.node.name} is Ready and runs the locally built images`, async () => {
    const node = await kube.core.v1.nodes.get({ name: cluster.node.name });
    const ready = node.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "True", JSON.stringify(ready));
    assert.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, cluster.node.kubeletPort);
    const images = (node.status?.images ?? []).flatMap((i) => i.names ?? []);
    for (const image of Object.values(cluster.images))
      assert.ok(images.includes(image), `${image} in ${images}`);
  });

  it("watch events of a pod's phases arrive in order: Pending, Running, Succeeded", async () => {
    const name = "phases";
    const list = await kube.core.v1.pods.list({ namespace: ns });
    const ac = new AbortController();
    const phases: string[] = [];
    const watching = (async () => {
      for await (const ev of kube.core.v1.pods.watch({
        namespace: ns,
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: list.metadata.resourceVersion,
        signal: ac.signal,
      })) {
        const phase = ev.object.status?.phase;
        if (ev.type === "BOOKMARK" || !phase) continue;
        if (phases.at(-1) !== phase) phases.push(phase);
        if (phase === "Succeeded" || phase === "Failed") ac.abort();
      }
    })();
    // Running lasts two seconds: long enough for the kubelet to report it.
    await kube.core.v1.pods.create(pod(name, "sleep 2; echo done"));
    await Promise.race([
      watching,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`phases so far: ${phases}`)), 90_000)),
    ]);
    assert.deepEqual(phases, ["Pending", "Running", "Succeeded"]);
    const done = await kube.core.v1.pods.get({ namespace: ns, name });
    assert.equal(terminated(done, "c")?.exitCode, 0);
    assert.equal(terminated(done, "c")?.reason, "Completed");
  });

  it("a container that exits 3 leaves its pod Failed with exit code 3", async () => {
    await kube.core.v1.pods.create(pod("fails", "echo about to fail; exit 3"));
    const done = await waitForPod(
      kube,
      ns,
      "fails",
      (p) => p.status?.phase === "Failed" || p.status?.phase === "Succeeded",
      "a final phase",
    );
    assert.equal(done.status?.phase, "Failed");
    assert.equal(terminated(done, "c")?.exitCode, 3);
    assert.equal(terminated(done, "c")?.reason, "Error");
  });

  it("a pod naming an image nobody built fails to pull, and nothing leaves the machine", async () => {
    // containerd pulls through a proxy on 127.0.0.1 that nothing serves.
    await kube.core.v1.pods.create({
      metadata: { name: "no-image", namespace: ns },
      spec: { hostNetwork: true, containers: [{ name: "c", image: "kubefetch.test/absent:1" }] },
    });
    const p = await waitForPod(
      kube,
      ns,
      "no-image",
      (x) =>
        /ErrImagePull|ImagePullBackOff/.test(x.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ""),
      "ErrImagePull",
    );
    assert.equal(p.status?.phase, "Pending");
    assert.match(p.status?.containerStatuses?.[0]?.state?.waiting?.message ?? "", /127\.0\.0\.1:9/);
  });

  it("default/my-job (busybox echo) runs to completion: status.succeeded 1", async () => {
    await kube.batch.v1.jobs.create(myJob(cluster.images)).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
    let succeeded = 0;
    await until(
      async () => {
        const job = await kube.batch.v1.jobs.get({ namespace: "default", name: "my-job" });
        succeeded = job.status?.succeeded ?? 0;
        return succeeded > 0 || (job.status?.failed ?? 0) > 0;
      },
      { what: "my-job to finish" },
    );
    assert.equal(succeeded, 1);
    const pods = await kube.core.v1.pods.list({ namespace: "default", labelSelector: "job-name=my-job" });
    const ran = pods.items.find((p) => p.status?.phase === "Succeeded");
    assert.ok(ran?.metadata?.name, "my-job's pod");
    assert.equal(terminated(ran, "c")?.exitCode, 0);
    assert.equal(containerOutput(cluster, ran, "c"), "hello from my-job\n");
  });
});
