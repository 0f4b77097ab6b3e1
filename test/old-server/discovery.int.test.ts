// The old-server suite: kube-apiserver 1.20 has no aggregated discovery. /api and /apis, asked
// for in the aggregated format, answer in the per-group one, and discovery then walks the
// per-group path as it always did, giving what kubectl api-resources -o wide gives there.
// Requests are counted by a loopback recording proxy of ours in front of the server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { createConfig, loadConfig } from "../../src/index.js";
import { serverMinor, testCluster, uniqueName } from "../helpers/cluster.js";
import { CLIENT_GO_ACCEPT, isDiscoveryPath, walkDiscovery } from "../helpers/discovery-walk.js";
import { assertSameAsKubectlApiResources, assertSameAsPerGroupLists } from "../helpers/kubectl-discovery.js";
import { startRecordingProxy } from "../helpers/recording-proxy.js";

const cluster = testCluster();
// Aggregated discovery is on by default from 1.27: this suite shows the path without it.
assert.ok(
  serverMinor(cluster) < 27,
  `the old-server suite runs without aggregated discovery, not on ${cluster.version}`,
);
const name = uniqueName("disco-old");
let adminClient: Client;
/** A new admin client of ours, straight to the server. */
const admin = async () => createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;

before(async () => {
  adminClient = await admin();
  await adminClient.core.v1.configmaps.create({ metadata: { name, namespace: "default" } });
  proxy = await startRecordingProxy(cluster);
});
after(async () => {
  await adminClient?.core.v1.configmaps.delete({ name, namespace: "default" }).catch(() => {});
  await adminClient?.close();
  await proxy?.close();
});

describe(`discovery on ${cluster.version}: the per-group path`, () => {
  it("/api and /apis answer per-group; each group and group-version is then asked once, and the dynamic client asks nothing more", async () => {
    const kube = createClient(createConfig({ server: proxy.url, namespace: "default", env: {} }));
    const { groups } = await walkDiscovery(kube.discovery);
    const cm = await kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).get({ name });
    const deployments = await kube.resource({ apiVersion: "apps/v1", kind: "Deployment" }).list();
    await kube.close();
    assert.equal(cm.metadata?.name, name);
    assert.equal(deployments.kind, "DeploymentList");
    const seen = proxy.seen.filter((r) => isDiscoveryPath(r.path));
    assert.deepEqual(
      seen.slice(0, 2).map((r) => [r.path, r.accept, r.contentType]),
      [
        ["/api", CLIENT_GO_ACCEPT, "application/json"],
        ["/apis", CLIENT_GO_ACCEPT, "application/json"],
      ],
    );
    const perGroup = [
      ...groups.filter((g) => g.group).map((g) => `/apis/${g.group}`),
      ...groups.flatMap((g) => g.versions.map((gv) => (g.group ? `/apis/${gv}` : `/api/${gv}`))),
    ];
    assert.deepEqual(
      seen
        .slice(2)
        .map((r) => r.path)
        .sort(),
      perGroup.sort(),
    );
    for (const r of seen.slice(2)) assert.equal(r.accept, "application/json", r.path);
  });

  it("the resources, short names, versions, scope, kinds, verbs and categories of kubectl api-resources -o wide", async () => {
    const rows = await assertSameAsKubectlApiResources(cluster, admin);
    assert.ok(rows.some((r) => r.apiVersion === "v1" && r.name === "pods"));
  });

  it("every group-version's list is the server's per-group answer as it is, subresources and storageVersionHash included", async () => {
    const lists = await assertSameAsPerGroupLists(cluster, admin, { withoutHash: false });
    assert.ok(lists.get("v1")?.resources.some((r) => r.name === "pods/exec" && r.kind === "PodExecOptions"));
  });
});
