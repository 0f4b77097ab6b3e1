import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { isInvalid, KubeError, loadConfig } from "../../src/index.js";
import { busyboxPod, nodeCluster, podNamespace, until, waitForPod } from "../helpers/node.js";

// The pod subresources a current server adds, through the typed client, on the real node:
// resize (in-place resources) and ephemeralcontainers (kubectl debug's).
const cluster = nodeCluster();
let kube: Client;
let ns: string;

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "pod-subresources");
});
after(async () => {
  // This cluster runs no namespace controller: the pods go first, by name.
  for (const p of (await kube.core.v1.pods.list({ namespace: ns })).items)
    await kube.core.v1.pods
      .delete({ namespace: ns, name: p.metadata?.name ?? "" }, { gracePeriodSeconds: 0 })
      .catch(() => {});
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

/** A running busybox pod that sleeps, with the given resources on its container `c`. */
async function sleeper(name: string, resources?: Record<string, Record<string, string>>) {
  const pod = busyboxPod(cluster, ns, name, "sleep 3600", "Always");
  const [c] = pod.spec.containers;
  await kube.core.v1.pods.create({
    ...pod,
    spec: {
      ...pod.spec,
      containers: [{ ...(c as NonNullable<typeof c>), ...(resources ? { resources } : {}) }],
    },
  });
  return waitForPod(kube, ns, name, (p) => p.status?.phase === "Running", "Running");
}

/** CPU cores of a quantity as the node reports it ("2", "1500m"). */
const cores = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q));

describe("pods/resize through the typed client", () => {
  it("the server takes the new resources into the spec; the kubelet defers a resize the node cannot hold, leaving the container as it was", async () => {
    const before = { requests: { cpu: "100m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } };
    const running = await sleeper("resize", before);
    const node = await kube.core.v1.nodes.get({ name: cluster.node.name });
    const capacity = cores(String(node.status?.capacity?.cpu));
    assert.ok(capacity > 0, `node cpu capacity ${node.status?.capacity?.cpu}`);
    // More CPU than the node has. A resize the node can hold is actuated, and this node's
    // kubelet (cgroupsPerQOS: false, so no pod cgroup) dies on it: kubelet 1.37.2 dereferences
    // the pod cgroup's nil memory config in doPodResizeAction. Asking for more than the
    // capacity has the kubelet judge the resize and stop before actuating it.
    const cpu = `${capacity * 4}`;
    const wanted = { requests: { cpu, memory: "48Mi" }, limits: { cpu, memory: "96Mi" } };
    const resized = await kube.core.v1.pods.resize.patch(
      { namespace: ns, name: "resize" },
      { spec: { containers: [{ name: "c", resources: wanted }] } },
      { type: "strategic" },
    );
    assert.equal(resized.kind, "Pod");
    assert.deepEqual(resized.spec?.containers[0]?.resources, wanted);
    const generation = resized.metadata?.generation ?? 0;
    assert.ok(generation > (running.metadata?.generation ?? 0), `generation ${generation}`);
    // resize.get reads the pod through the subresource: the spec as the server now has it.
    const got = await kube.core.v1.pods.resize.get({ namespace: ns, name: "resize" });
    assert.deepEqual(got.spec?.containers[0]?.resources, wanted);

    const pending = (p: typeof running) =>
      p.status?.conditions?.find((c) => c.type === "PodResizePending" && c.observedGeneration === generation);
    const judged = await waitForPod(kube, ns, "resize", (p) => pending(p) !== undefined, "PodResizePending");
    const condition = pending(judged);
    assert.equal(condition?.status, "True");
    assert.equal(condition?.reason, "Deferred", JSON.stringify(condition));
    assert.match(condition?.message ?? "", /cpu/, JSON.stringify(condition));
    // Nothing was actuated: the container keeps its resources and allocation, and runs on.
    const status = judged.status?.containerStatuses?.find((s) => s.name === "c");
    assert.deepEqual(status?.resources, before);
    assert.deepEqual(status?.allocatedResources, before.requests);
    assert.equal(status?.restartCount, 0);
    assert.ok(status?.state?.running, JSON.stringify(status?.state));
  });

  it("a resize that would lower a request below zero is the server's 422, as a KubeError", async () => {
    await sleeper("resize-bad", { requests: { cpu: "100m" } });
    const e = await kube.core.v1.pods.resize
      .patch(
        { namespace: ns, name: "resize-bad" },
        { spec: { containers: [{ name: "c", resources: { requests: { cpu: "-1" } } }] } },
        { type: "strategic" },
      )
      .catch((x: unknown) => x);
    assert.ok(e instanceof KubeError && isInvalid(e), String(e));
    assert.ok(
      e.causes.some((c) => c.field?.includes("resources.requests")),
      JSON.stringify(e.causes),
    );
  });
});

describe("pods/ephemeralcontainers through the typed client", () => {
  const debugger_ = {
    name: "debugger",
    image: cluster.images.busybox,
    imagePullPolicy: "Never" as const,
    command: ["sh", "-c", "echo debugger up; sleep 3600"],
  };

  it("patch adds an ephemeral container to a running pod; the kubelet starts it, its log and exec work", async () => {
    await sleeper("target");
    const patched = await kube.core.v1.pods.ephemeralcontainers.patch(
      { namespace: ns, name: "target" },
      { spec: { ephemeralContainers: [debugger_] } },
      { type: "strategic" },
    );
    assert.deepEqual(
      patched.spec?.ephemeralContainers?.map((c) => c.name),
      ["debugger"],
    );
    const read = await kube.core.v1.pods.ephemeralcontainers.get({ namespace: ns, name: "target" });
    assert.equal(read.spec?.ephemeralContainers?.[0]?.image, cluster.images.busybox);

    const started = await waitForPod(
      kube,
      ns,
      "target",
      (p) =>
        p.status?.ephemeralContainerStatuses?.some((s) => s.name === "debugger" && s.state?.running) === true,
      "the ephemeral container running",
    );
    const status = started.status?.ephemeralContainerStatuses?.find((s) => s.name === "debugger");
    assert.equal(status?.image, cluster.images.busybox);
    // The pod's own container goes on as it was.
    assert.ok(started.status?.containerStatuses?.find((s) => s.name === "c")?.state?.running);

    let log = "";
    await until(async () => {
      log = await kube.core.v1.pods.log({ namespace: ns, name: "target", container: "debugger" }).text();
      return log.length > 0;
    }, "the ephemeral container's log");
    assert.equal(log, "debugger up\n");
    const r = await kube.core.v1.pods.exec({
      namespace: ns,
      name: "target",
      container: "debugger",
      command: ["sh", "-c", "echo $((6 * 7)); exit 4"],
    });
    assert.deepEqual(r, { stdout: "42\n", stderr: "", exitCode: 4 });
  });

  it("replace without the ephemeral container is the server's 422: they cannot be removed", async () => {
    const current = await kube.core.v1.pods.ephemeralcontainers.get({ namespace: ns, name: "target" });
    assert.ok((current.spec?.ephemeralContainers?.length ?? 0) > 0, "the test above added one");
    const e = await kube.core.v1.pods.ephemeralcontainers
      .replace({
        ...current,
        spec: { ...(current.spec as NonNullable<typeof current.spec>), ephemeralContainers: [] },
      })
      .catch((x: unknown) => x);
    assert.ok(e instanceof KubeError && isInvalid(e), String(e));
    assert.ok(
      e.causes.some((c) => c.field?.startsWith("spec.ephemeralContainers")),
      JSON.stringify(e.causes),
    );
  });
});
