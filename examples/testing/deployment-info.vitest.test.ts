// Run:  npx vitest run --config examples/testing/vitest.config.ts
//
// The same reconcile function under Vitest: createFakeCluster in a beforeEach, the real
// client against it, what the fake holds asserted afterwards.
import { isNotFound } from "kubefetch";
import { createClient, registry } from "kubefetch/generated/kubernetes-1.36";
import { validators } from "kubefetch/generated/kubernetes-1.36/schemas";
import { createFakeCluster, type FakeCluster } from "kubefetch/testing";
import { afterEach, beforeEach, expect, test } from "vitest";
import { syncDeploymentInfo } from "./deployment-info.js";

let fake: FakeCluster;
beforeEach(async () => {
  fake = await createFakeCluster({
    registry,
    validators,
    objects: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "api", namespace: "demo" },
        spec: {
          selector: { matchLabels: { app: "api" } },
          template: {
            metadata: { labels: { app: "api" } },
            spec: {
              containers: [
                { name: "api", image: "api:2" },
                { name: "proxy", image: "envoy:1" },
              ],
            },
          },
        },
      },
    ],
  });
});
afterEach(() => fake.close());

test("keeps the ConfigMap in step as the Deployment changes", async () => {
  const kube = createClient(fake.config);
  await syncDeploymentInfo(kube, { namespace: "demo", name: "api" });
  expect(fake.get("v1", "ConfigMap", "demo", "api-info")).toMatchObject({
    data: { images: "api:2,envoy:1", replicas: "1" },
  });
  // A strategic merge patch by container name, as kubectl set image sends it.
  await kube.apps.v1.deployments.patch(
    { namespace: "demo", name: "api" },
    { spec: { replicas: 4, template: { spec: { containers: [{ name: "api", image: "api:3" }] } } } },
    { type: "strategic" },
  );
  await syncDeploymentInfo(kube, { namespace: "demo", name: "api" });
  expect(fake.get("v1", "ConfigMap", "demo", "api-info")).toMatchObject({
    data: { images: "api:3,envoy:1", replicas: "4" },
  });
  await kube.close();
});

test("the fake refuses what the apiserver refuses", async () => {
  const kube = createClient(fake.config);
  const err = await kube.core.v1.configmaps
    .get({ namespace: "demo", name: "absent" })
    .catch((e: unknown) => e);
  expect(isNotFound(err)).toBe(true);
  await kube.close();
});
