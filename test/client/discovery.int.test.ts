// Discovery on the real cluster, every request counted by a loopback recording proxy of ours
// in front of it: a server with aggregated discovery (1.27 and later, by default) tells the
// whole API in 2 answers, and ours give the same resources as `kubectl api-resources -o wide`
// and the same lists, subresources included, as the server's per-group discovery.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { type ApiResourceList, createConfig, isAlreadyExists, loadConfig } from "../../src/index.js";
import {
  apiResourcesTable,
  groupVersions,
  kubectlApiResources,
  sortedRows,
} from "../helpers/api-resources.js";
import { serverMinor, testCluster, uniqueName } from "../helpers/cluster.js";
import { crdFor } from "../helpers/crd.js";
import { kubectl } from "../helpers/kubectl-run.js";
import { startRecordingProxy } from "../helpers/recording-proxy.js";

const cluster = testCluster();
// AggregatedDiscoveryEndpoint: beta and on by default from 1.27 (GA in 1.30); 1.20 has none.
const aggregated = serverMinor(cluster) >= 27;
const CLIENT_GO_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," +
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
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

/** /api, /api/{v}, /apis, /apis/{g}, /apis/{g}/{v}: discovery's paths; a resource's have more segments. */
const isDiscovery = (path: string) => {
  const [top, ...rest] = (path.split("?")[0] ?? "").split("/").filter(Boolean);
  return (top === "api" && rest.length <= 1) || (top === "apis" && rest.length <= 2);
};

/** A new client through the proxy: its own discovery cache, its requests counted from now. */
function counted() {
  const kube = createClient(createConfig({ server: proxy.url, namespace: ns, env: {} }));
  const from = proxy.seen.length;
  return { kube, discovery: () => proxy.seen.slice(from).filter((r) => isDiscovery(r.path)) };
}

/** Everything discovery lists: each group, then every version of each. */
async function walk(kube: Client) {
  const groups = await groupVersions(kube.discovery);
  for (const g of groups) if (g.group) await kube.discovery.group(g.group);
  const lists = new Map<string, ApiResourceList>();
  for (const g of groups) for (const gv of g.versions) lists.set(gv, await kube.discovery.resources(gv));
  return { groups, lists };
}

/**
 * Others share this cluster and add and remove CRDs: a comparison that differs is made again
 * from scratch, and only one that differs three times running fails.
 */
async function agreeing(compare: () => Promise<void>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await compare();
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

before(async () => {
  admin = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  await admin.apiextensions.v1.customresourcedefinitions.create(crd as never).catch((e: unknown) => {
    if (!isAlreadyExists(e)) throw e;
  });
  await admin.core.v1.configmaps.create({ metadata: { name, namespace: ns }, data: { a: "1" } });
  // The new kind is served once discovery publishes it.
  const probes = () => admin.resource({ apiVersion: `${group}/v1`, kind: "Probe" });
  for (let i = 0; ; i++) {
    try {
      await probes().create({ apiVersion: `${group}/v1`, kind: "Probe", metadata: { name, namespace: ns } });
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

describe(`discovery on ${cluster.version} (${aggregated ? "aggregated" : "per-group"} discovery)`, () => {
  it(
    aggregated
      ? "the whole walk and the dynamic client's get of a built-in and of a CRD cost 2 discovery requests, /api and /apis"
      : "without aggregated discovery: /api, /apis, then each group and group-version once",
    async () => {
      const { kube, discovery } = counted();
      const { groups, lists } = await walk(kube);
      const cm = await kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).get({ name });
      const probe = await kube.resource({ apiVersion: `${group}/v1`, kind: "Probe" }).get({ name });
      assert.deepEqual(
        [cm.kind, cm.metadata?.name, probe.kind, probe.metadata?.name],
        ["ConfigMap", name, "Probe", name],
      );
      assert.ok(lists.get(`${group}/v1`)?.resources.some((r) => r.name === "probes"));
      const seen = discovery();
      if (aggregated) {
        assert.deepEqual(
          seen.map((r) => [r.path, r.accept, r.status, r.contentType]),
          ["/api", "/apis"].map((p) => [
            p,
            CLIENT_GO_ACCEPT,
            200,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
          ]),
        );
      } else {
        const expected = [
          "/api",
          "/apis",
          ...groups.filter((g) => g.group).map((g) => `/apis/${g.group}`),
          ...groups.flatMap((g) => g.versions.map((gv) => (g.group ? `/apis/${gv}` : `/api/${gv}`))),
        ];
        assert.deepEqual(seen.map((r) => r.path).sort(), expected.sort());
        // Asked for aggregated, answered in the per-group format.
        for (const r of seen.slice(0, 2))
          assert.deepEqual([r.accept, r.contentType], [CLIENT_GO_ACCEPT, "application/json"]);
      }
      await kube.close();
    },
  );

  it("the resources, short names, versions, scope, kinds, verbs and categories of kubectl api-resources -o wide", async () => {
    await agreeing(async () => {
      const kubectlSaid = await kubectlApiResources(cluster);
      const { kube } = counted();
      const { groups, lists } = await walk(kube);
      await kube.close();
      assert.deepEqual(sortedRows(apiResourcesTable(groups, lists)), sortedRows(kubectlSaid));
      assert.ok(kubectlSaid.some((r) => r.apiVersion === `${group}/v1` && r.name === "probes"));
    });
  });

  it(
    aggregated
      ? "every group-version's list, subresources included, is the server's per-group answer (less storageVersionHash, not in the aggregated format)"
      : "every group-version's list is the server's per-group answer as it is",
    async () => {
      await agreeing(async () => {
        const { kube } = counted();
        const { lists } = await walk(kube);
        await kube.close();
        for (const [gv, ours] of lists) {
          const raw = await kubectl(cluster, [
            "get",
            "--raw",
            gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`,
          ]);
          assert.equal(raw.code, 0, `${gv}: ${raw.stderr}`);
          const theirs = JSON.parse(raw.stdout.toString("utf8")) as ApiResourceList;
          if (aggregated) {
            for (const r of theirs.resources) delete r.storageVersionHash;
          }
          assert.deepEqual(ours, theirs, gv);
        }
        assert.ok(
          lists.get("v1")?.resources.some((r) => r.name === "pods/exec" && r.kind === "PodExecOptions"),
        );
      });
    },
  );
});
