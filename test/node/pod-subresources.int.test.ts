import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { isInvalid, KubeError, loadConfig } from "../../src/index.js";
import { busyboxPod, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";
import { until } from "../helpers/wait.js";

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
  // What this node cannot show: a resize it actuates. Its kubelet runs with cgroupsPerQOS:
  // false (no host cgroups of ours), and kubelet 1.37.2 then dereferences a nil pod cgroup
  // config in doPodResizeAction and exits. So the server's side is tested: a pod the scheduler
  // never places takes the resize into its spec, and a resize of a running pod past what its
  // node has is refused by the server before the kubelet hears of it.
  const before = { requests: { cpu: "100m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } };
  const wanted = { requests: { cpu: "150m", memory: "48Mi" }, limits: { cpu: "300m", memory: "96Mi" } };

  it("patch writes the new resources into the pod's spec and bumps its generation; get reads them back", async () => {
    const pod = busyboxPod(cluster, ns, "unplaced", "sleep 3600", "Always");
    const [c] = pod.spec.containers;
    const created = await kube.core.v1.pods.create({
      ...pod,
      spec: {
        ...pod.spec,
        nodeSelector: { "kubefetch.test/no-such-node": "true" },
        containers: [{ ...(c as NonNullable<typeof c>), resources: before }],
      },
    });
    const resized = await kube.core.v1.pods.resize.patch(
      { namespace: ns, name: "unplaced" },
      { spec: { containers: [{ name: "c", resources: wanted }] } },
      { type: "strategic" },
    );
    assert.equal(resized.kind, "Pod");
    assert.deepEqual(resized.spec?.containers[0]?.resources, wanted);
    assert.ok((resized.metadata?.generation ?? 0) > (created.metadata?.generation ?? 0));
    const got = await kube.core.v1.pods.resize.get({ namespace: ns, name: "unplaced" });
    assert.deepEqual(got.spec?.containers[0]?.resources, wanted);
    // The pod read the plain way has them too.
    const plain = await kube.core.v1.pods.get({ namespace: ns, name: "unplaced" });
    assert.deepEqual(plain.spec?.containers[0]?.resources, wanted);
  });

  it("a running pod resized past its node's allocatable CPU: the server's 403 (cause NodeCapacity), the pod untouched", async () => {
    const running = await sleeper("resize", before);
    const node = await kube.core.v1.nodes.get({ name: cluster.node.name });
    const cpu = `${cores(String(node.status?.allocatable?.cpu)) * 4}`;
    const e = await kube.core.v1.pods.resize
      .patch(
        { namespace: ns, name: "resize" },
        { spec: { containers: [{ name: "c", resources: { requests: { cpu }, limits: { cpu } } }] } },
        { type: "strategic" },
      )
      .catch((x: unknown) => x);
    assert.ok(e instanceof KubeError && e.status === 403 && e.reason === "Forbidden", String(e));
    assert.deepEqual(
      e.causes.map((c) => c.reason),
      ["NodeCapacity"],
    );
    assert.match(e.message, /node didn't have enough allocatable resources: cpu/);
    const after = await kube.core.v1.pods.get({ namespace: ns, name: "resize" });
    assert.deepEqual(after.spec?.containers[0]?.resources, before);
    assert.equal(after.metadata?.generation, running.metadata?.generation);
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
    await until(
      async () => {
        log = await kube.core.v1.pods.log({ namespace: ns, name: "target", container: "debugger" }).text();
        return log.length > 0;
      },
      { what: "the ephemeral container's log" },
    );
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
