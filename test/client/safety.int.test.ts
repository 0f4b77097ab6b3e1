// The review's finding, on the real cluster: `delete({ name: "" })` deleted a namespace's
// ConfigMaps and `get({ name: ".." })` returned the Namespace. Every verb that names an object
// refuses such names and namespaces before anything is sent; the prepared namespace keeps
// every object, unchanged.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { InvalidRequestError, loadConfig } from "../../src/index.js";
import { publishesRootCa, testCluster, uniqueName } from "../helpers/cluster.js";
import { until } from "../helpers/wait.js";

const cluster = testCluster();
const ns = uniqueName("safety");
let kube: ReturnType<typeof createClient>;
let before_: Map<string, string>;

/** name -> resourceVersion of everything the test prepared, and the namespace itself. */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const nsObj = await kube.core.v1.namespaces.get({ name: ns });
  out.set(`namespace/${ns}`, nsObj.metadata?.resourceVersion ?? "");
  for (const cm of (await kube.core.v1.configmaps.list({ namespace: ns })).items) {
    out.set(`configmap/${cm.metadata?.name}`, cm.metadata?.resourceVersion ?? "");
  }
  // The node's controllers write a Deployment's status: its spec's generation is what a
  // refused call must not have changed.
  for (const d of (await kube.apps.v1.deployments.list({ namespace: ns })).items) {
    out.set(`deployment/${d.metadata?.name}`, `${d.metadata?.uid} generation ${d.metadata?.generation}`);
  }
  return out;
}

before(async () => {
  // The config's own namespace is the prepared one: an omitted namespace lands there too.
  kube = createClient({
    ...(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} })),
    namespace: ns,
  });
  await kube.core.v1.namespaces.create({ metadata: { name: ns } });
  for (const name of ["one", "two", "three"]) {
    await kube.core.v1.configmaps.create({ metadata: { name }, data: { name } });
  }
  await kube.apps.v1.deployments.create({
    metadata: { name: "web" },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "c", image: "kubefetch.test/busybox:1" }] },
      },
    },
  });
  // The root-CA publisher's ConfigMap, where it runs, is there before the snapshot.
  if (publishesRootCa(cluster)) {
    await until(
      () =>
        kube.core.v1.configmaps.get({ name: "kube-root-ca.crt" }).then(
          () => true,
          () => false,
        ),
      { what: `kube-root-ca.crt in ${ns}` },
    );
  }
  before_ = await snapshot();
  assert.deepEqual(
    [...before_.keys()].sort(),
    [
      `namespace/${ns}`,
      "configmap/one",
      "configmap/two",
      "configmap/three",
      ...(publishesRootCa(cluster) ? ["configmap/kube-root-ca.crt"] : []),
      "deployment/web",
    ].sort(),
  );
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

const BAD = ["", ".", "..", "a/b", "../..", "x%2F..", "%"];

describe("bad names and namespaces never reach the server", () => {
  for (const bad of BAD) {
    it(`${JSON.stringify(bad)} as a name or a namespace, for every verb that names an object`, async () => {
      const cms = kube.core.v1.configmaps;
      const deps = kube.apps.v1.deployments;
      const dynamic = kube.resource({ apiVersion: "v1", kind: "ConfigMap" });
      const verbs: [string, () => Promise<unknown>][] = [
        ["get", () => cms.get({ name: bad })],
        ["replace", () => cms.replace({ metadata: { name: bad }, data: { x: "y" } })],
        ["patch", () => cms.patch({ name: bad }, { data: { x: "y" } }, { type: "merge" })],
        [
          "apply",
          () => cms.apply({ metadata: { name: bad }, data: { x: "y" } }, { fieldManager: "t", force: true }),
        ],
        ["delete", () => cms.delete({ name: bad })],
        ["status.get", () => deps.status.get({ name: bad })],
        ["status.patch", () => deps.status.patch({ name: bad }, { status: {} }, { type: "merge" })],
        ["scale.get", () => deps.scale.get({ name: bad })],
        ["scale.replace", () => deps.scale.replace({ metadata: { name: bad }, spec: { replicas: 0 } })],
        ["dynamic get", () => dynamic.get({ name: bad })],
        ["dynamic delete", () => dynamic.delete({ name: bad })],
        ["dynamic apply", () => dynamic.apply({ metadata: { name: bad } }, { fieldManager: "t" })],
        // The same value as the namespace.
        ["get in namespace", () => cms.get({ name: "one", namespace: bad })],
        ["delete in namespace", () => cms.delete({ name: "one", namespace: bad })],
        ["deleteCollection in namespace", () => cms.deleteCollection({ namespace: bad })],
        ["list in namespace", () => cms.list({ namespace: bad })],
        ["dynamic deleteCollection", () => dynamic.deleteCollection({ namespace: bad })],
      ];
      for (const [verb, call] of verbs) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof InvalidRequestError, `${verb}: ${String(err)}`);
          assert.equal(err.value, bad, verb);
          assert.ok(err.message.includes("nothing was sent"), err.message);
          return true;
        });
      }
      assert.deepEqual(await snapshot(), before_, "every prepared object is still there, unchanged");
    });
  }
});
