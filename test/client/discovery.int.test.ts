// Discovery on the current release, every request counted by a loopback recording proxy of
// ours in front of it: the server tells the whole API in 2 aggregated answers, and ours give
// the same resources as `kubectl api-resources -o wide` and the same lists, subresources
// included, as the server's per-group discovery. (Without aggregated discovery:
// test/old-server/discovery.int.test.ts.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { createConfig, isAlreadyExists, loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { crdFor } from "../helpers/crd.js";
import { CLIENT_GO_ACCEPT, isDiscoveryPath, walkDiscovery } from "../helpers/discovery-walk.js";
import { assertSameAsKubectlApiResources, assertSameAsPerGroupLists } from "../helpers/kubectl-discovery.js";
import { startRecordingProxy } from "../helpers/recording-proxy.js";

const cluster = testCluster();
const group = `${uniqueName("disco")}.kubefetch.test`;
const crd = crdFor({
  group,
  kind: "Probe",
  plural: "probes",
  spec: { properties: { size: { type: "integer" } } },
});
const ns = "default";
const name = uniqueName("disco");
let admin: Client;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;

/** A new client through the proxy: its own discovery cache, its discovery requests counted from now. */
function counted() {
  const kube = createClient(createConfig({ server: proxy.url, namespace: ns, env: {} }));
  const from = proxy.seen.length;
  return { kube, discovery: () => proxy.seen.slice(from).filter((r) => isDiscoveryPath(r.path)) };
}

before(async () => {
  admin = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  await admin.apiextensions.v1.customresourcedefinitions.create(crd as never).catch((e: unknown) => {
    if (!isAlreadyExists(e)) throw e;
  });
  await admin.core.v1.configmaps.create({ metadata: { name, namespace: ns }, data: { a: "1" } });
  // The new kind is served once discovery publishes it.
  for (let i = 0; ; i++) {
    try {
      await admin
        .resource({ apiVersion: `${group}/v1`, kind: "Probe" })
        .create({ apiVersion: `${group}/v1`, kind: "Probe", metadata: { name, namespace: ns } });
      break;
    } catch (e) {
      if (i === 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
      admin.discovery.refresh();
    }
  }
  proxy = await startRecordingProxy(cluster);
});
after(async () => {
  await admin.core.v1.configmaps.delete({ name, namespace: ns }).catch(() => {});
  await admin.apiextensions.v1.customresourcedefinitions.delete({ name: crd.metadata.name }).catch(() => {});
  await admin.close();
  await proxy?.close();
});

describe(`discovery on ${cluster.version}: two aggregated answers`, () => {
  it("the whole walk and the dynamic client's get of a built-in and of a CRD cost 2 discovery requests, /api and /apis", async () => {
    const { kube, discovery } = counted();
    const { lists } = await walkDiscovery(kube.discovery);
    const cm = await kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).get({ name });
    const probe = await kube.resource({ apiVersion: `${group}/v1`, kind: "Probe" }).get({ name });
    await kube.close();
    assert.deepEqual(
      [cm.kind, cm.metadata?.name, probe.kind, probe.metadata?.name],
      ["ConfigMap", name, "Probe", name],
    );
    assert.ok(lists.get(`${group}/v1`)?.resources.some((r) => r.name === "probes"));
    assert.deepEqual(
      discovery().map((r) => [r.path, r.accept, r.status, r.contentType]),
      ["/api", "/apis"].map((p) => [
        p,
        CLIENT_GO_ACCEPT,
        200,
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
      ]),
    );
  });

  it("the resources, short names, versions, scope, kinds, verbs and categories of kubectl api-resources -o wide", async () => {
    const rows = await assertSameAsKubectlApiResources(cluster, async () => counted().kube);
    assert.ok(rows.some((r) => r.apiVersion === `${group}/v1` && r.name === "probes"));
  });

  it("every group-version's list, subresources included, is the server's per-group answer (less storageVersionHash, not in the aggregated format)", async () => {
    const lists = await assertSameAsPerGroupLists(cluster, async () => counted().kube, { withoutHash: true });
    const exec = lists.get("v1")?.resources.find((r) => r.name === "pods/exec");
    assert.deepEqual([exec?.kind, exec?.verbs], ["PodExecOptions", ["create", "get"]]);
  });
});
