// Run:  KUBEBUILDER_ASSETS=<folder with etcd, kube-apiserver> node --import tsx --test examples/testing/controller.envtest.test.ts
//
// An envtest-style test of examples/controller.ts: a real etcd and kube-apiserver started for
// the test (no node, no controller-manager, as controller-runtime's envtest), the controller
// run as users run it, against that control plane's kubeconfig.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { isNotFound } from "kubefetch";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { type ControlPlane, startControlPlane } from "kubefetch/testing";

let cp: ControlPlane;
let kube: Client;
before(async () => {
  cp = await startControlPlane();
  kube = createClient(cp.config);
});
after(async () => {
  await kube?.close();
  await cp?.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("the controller writes <deployment>-info, and cleans it up through its finalizer", async () => {
  await kube.core.v1.namespaces.create({ metadata: { name: "demo" } });
  const controller = spawn(process.execPath, ["--import", "tsx", "examples/controller.ts", "demo"], {
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  controller.stdout.on("data", (c) => (output += c));
  controller.stderr.on("data", (c) => (output += c));
  try {
    await kube.apps.v1.deployments.create({
      metadata: { name: "web", namespace: "demo" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
        },
      },
    });
    const cm = await until("web-info", () =>
      kube.core.v1.configmaps.get({ namespace: "demo", name: "web-info" }).catch(() => undefined),
    );
    assert.deepEqual(cm.data, { images: "nginx:1.27", replicas: "2" });
    await kube.apps.v1.deployments.delete({ namespace: "demo", name: "web" });
    // No garbage collector runs here: the ConfigMap goes because the controller's finalizer deletes it.
    await until("web-info deleted", () =>
      kube.core.v1.configmaps
        .get({ namespace: "demo", name: "web-info" })
        .then(() => undefined)
        .catch((e) => (isNotFound(e) ? true : undefined)),
    );
    await until("the Deployment gone", () =>
      kube.apps.v1.deployments
        .get({ namespace: "demo", name: "web" })
        .then(() => undefined)
        .catch((e) => (isNotFound(e) ? true : undefined)),
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\ncontroller output:\n${output}`);
  } finally {
    controller.kill("SIGTERM");
    await new Promise((r) => controller.once("exit", r));
  }
});
