// An informer that cannot work says so, on the real cluster: a first list refused by RBAC
// rejects `synced` (no hang); a CRD deleted mid-run shows as error events.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createInformer } from "kubefetch/informer";
import { isForbidden, isNotFound, KubeError, loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { crdFor } from "../helpers/crd.js";

const cluster = testCluster();
let admin: ReturnType<typeof createClient>;
before(async () => {
  admin = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
});
after(() => admin.close());

describe("an informer that cannot work says so", () => {
  it("a first list refused by RBAC (403) rejects synced within seconds, and the informer stops", async () => {
    const alice = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.unprivileged, env: {} }));
    const inf = createInformer(alice.core.v1.secrets, { namespace: "kube-system" });
    const errors: unknown[] = [];
    inf.on("error", (e) => errors.push(e));
    const t = Date.now();
    await inf.start();
    await assert.rejects(inf.synced, (err: unknown) => err instanceof KubeError && isForbidden(err));
    assert.ok(Date.now() - t < 5_000, `${Date.now() - t} ms`);
    assert.equal(inf.hasSynced(), false);
    assert.equal(errors.length, 1);
    await inf.stop();
    await alice.close();
  });

  it("a CRD deleted mid-run is reported as error events (404), not a silent stop", async () => {
    const group = `${uniqueName("gone")}.kubefetch.test`;
    const crd = crdFor({ group, kind: "Gone", plural: "gones", spec: {} });
    const crds = admin.apiextensions.v1.customresourcedefinitions;
    await crds.create(crd as never);
    const ref = { apiVersion: `${group}/v1`, kind: "Gone" };
    // Discovery needs a moment to publish the new kind.
    let resource = admin.resource(ref);
    for (let i = 0; i < 50; i++) {
      try {
        await resource.list({ namespace: "default" });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
        admin.discovery.refresh();
        resource = admin.resource(ref);
      }
    }
    const inf = createInformer(resource, { namespace: "default", minBackoffMs: 100, maxBackoffMs: 500 });
    const errors: unknown[] = [];
    inf.on("error", (e) => errors.push(e));
    await inf.start();
    await inf.synced;
    await crds.delete({ name: crd.metadata.name });
    const deadline = Date.now() + 30_000;
    while (!errors.some((e) => e instanceof KubeError && isNotFound(e)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(
      errors.some((e) => e instanceof KubeError && isNotFound(e)),
      `errors: ${errors.map(String).join("; ")}`,
    );
    await inf.stop();
  });
});
