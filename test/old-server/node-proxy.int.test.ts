// nodes.proxy end to end: the 1.20 apiserver proxies to the loopback kubelet (the current
// release refuses it, kubernetes#128001: test/connect/proxy.int.test.ts asserts that refusal),
// so here the kubelet's own answers come back, with `kubectl get --raw` as the judge.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { loadConfig } from "../../src/index.js";
import { kubectlGetRaw } from "../helpers/kubectl-run.js";
import { busyboxPod, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";

const cluster = nodeCluster();
let kube: Client;
let ns: string;
const kubectlRaw = (path: string) => kubectlGetRaw(cluster, path);

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "old-proxy");
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("nodes.proxy reaches the kubelet through the apiserver", () => {
  it("/healthz: the same answer as kubectl get --raw", async () => {
    const res = await kube.core.v1.nodes.proxy({ name: cluster.node.name, path: "/healthz" });
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.equal(body, "ok");
    const k = await kubectlRaw(`/api/v1/nodes/${cluster.node.name}/proxy/healthz`);
    assert.deepEqual(k, { ok: true, out: body });
  });

  it("/pods: the kubelet's PodList, holding a pod we made, as kubectl sees it", async () => {
    await kube.core.v1.pods.create(busyboxPod(cluster, ns, "seen", "sleep 600"));
    await waitForPod(kube, ns, "seen", (p) => p.status?.phase === "Running", "Running");
    const res = await kube.core.v1.nodes.proxy({ name: cluster.node.name, path: "/pods" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const list = (await res.json()) as {
      kind: string;
      items: { metadata: { namespace: string; name: string } }[];
    };
    assert.equal(list.kind, "PodList");
    const ours = (l: typeof list) =>
      l.items.filter((p) => p.metadata.namespace === ns).map((p) => p.metadata.name);
    assert.deepEqual(ours(list), ["seen"]);
    const k = await kubectlRaw(`/api/v1/nodes/${cluster.node.name}/proxy/pods`);
    assert.ok(k.ok, k.out);
    assert.deepEqual(ours(JSON.parse(k.out)), ["seen"]);
  });

  it("the kubelet's own 404 for a path it does not serve comes back as a Response", async () => {
    const res = await kube.core.v1.nodes.proxy({ name: cluster.node.name, path: "/no/such/page" });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });

  it("the dynamic client reaches the same kubelet", async () => {
    const res = await kube
      .resource({ apiVersion: "v1", kind: "Node" })
      .proxy({ name: cluster.node.name, path: "/healthz" });
    assert.equal(await res.text(), "ok");
  });
});
