// Run:  node --import tsx --test examples/testing/deployment-info.test.ts
//
// A reconcile function tested against kubefetch's fake API server under node:test: the real
// client over loopback HTTP, no cluster, milliseconds per test.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { isConflict } from "kubefetch";
import { createClient, registry } from "kubefetch/generated/kubernetes-1.36";
import { validators } from "kubefetch/generated/kubernetes-1.36/schemas";
import { createFakeCluster, type FakeCluster } from "kubefetch/testing";
import { syncDeploymentInfo } from "./deployment-info.js";

const web = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "demo" },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
    },
  },
};

let fake: FakeCluster;
beforeEach(async () => {
  fake = await createFakeCluster({ registry, validators, objects: [web] });
});
afterEach(() => fake.close());

test("writes <name>-info with the Deployment's images and replicas, owned by it", async () => {
  const kube = createClient(fake.config);
  assert.equal(await syncDeploymentInfo(kube, { namespace: "demo", name: "web" }), "applied");
  const cm = fake.get("v1", "ConfigMap", "demo", "web-info") as {
    data: Record<string, string>;
    metadata: { ownerReferences: { kind: string; name: string; controller: boolean }[] };
  };
  assert.deepEqual(cm.data, { images: "nginx:1.27", replicas: "3" });
  assert.deepEqual(
    cm.metadata.ownerReferences.map((r) => [r.kind, r.name, r.controller]),
    [["Deployment", "web", true]],
  );
  // One GET and one server-side apply, nothing else.
  assert.deepEqual(
    fake.requests.map((r) => r.verb),
    ["get", "apply"],
  );
  await kube.close();
});

test("a missing Deployment is not an error, and writes nothing", async () => {
  const kube = createClient(fake.config);
  assert.equal(await syncDeploymentInfo(kube, { namespace: "demo", name: "nope" }), "gone");
  assert.equal(fake.get("v1", "ConfigMap", "demo", "nope-info"), undefined);
  await kube.close();
});

test("deleting the Deployment takes the ConfigMap with it, as the garbage collector does", async () => {
  const kube = createClient(fake.config);
  await syncDeploymentInfo(kube, { namespace: "demo", name: "web" });
  await kube.apps.v1.deployments.delete({ namespace: "demo", name: "web" });
  assert.equal(fake.get("v1", "ConfigMap", "demo", "web-info"), undefined);
  await kube.close();
});

test("a conflict the server answers reaches the caller as a typed error", async () => {
  const kube = createClient(fake.config);
  fake.failNext({ verb: "apply", resource: "configmaps", status: 409 });
  await assert.rejects(syncDeploymentInfo(kube, { namespace: "demo", name: "web" }), isConflict);
  await kube.close();
});
