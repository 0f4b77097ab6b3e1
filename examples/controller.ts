// Run:  npx tsx examples/controller.ts     (a namespace as argument, default the kubeconfig's; --leader-elect for replicas; Ctrl-C stops)
//
// A small real controller: for each Deployment in the namespace it keeps a ConfigMap
// "<deployment>-info" holding the Deployment's images and replicas, owned by the Deployment
// (controller: true, so a change to the ConfigMap brings it back), and a finalizer that
// deletes the ConfigMap before the Deployment goes. With --leader-elect, replicas share the
// Lease "configmap-per-deployment": one reconciles, the others wait to take over.
import { hostname } from "node:os";
import { isNotFound, loadConfig } from "kubefetch";
import { controllerReference, createController, leaderElection } from "kubefetch/controller";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const kube = createClient(await loadConfig());
const namespace = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? kube.config.namespace;
const stop = new AbortController();
process.on("SIGINT", () => stop.abort()); // `on`: npx and tsx may relay the same Ctrl-C again
process.on("SIGTERM", () => stop.abort());
const FINALIZER = "example.kubefetch.dev/configmap";

const ctl = createController(kube, {
  name: "configmap-per-deployment",
  for: kube.apps.v1.deployments,
  owns: [kube.core.v1.configmaps],
  namespace,
  concurrency: 2,
  async reconcile({ name }, { get, finalize, recorder, signal }) {
    const deployment = get();
    if (!deployment) return; // gone: the garbage collector deletes what it owned
    const cmName = `${name}-info`;
    const deleting = await finalize(FINALIZER, async () => {
      await kube.core.v1.configmaps.delete({ namespace, name: cmName }, { signal }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
      console.log(`cleaned up ${namespace}/${name}`);
    });
    if (deleting) return;
    const data = {
      images: (deployment.spec?.template.spec?.containers ?? []).map((c) => c.image).join(","),
      replicas: String(deployment.spec?.replicas ?? 1),
    };
    await kube.core.v1.configmaps.apply(
      {
        metadata: { name: cmName, namespace, ownerReferences: [controllerReference(deployment)] },
        data,
      },
      { fieldManager: "configmap-per-deployment", force: true, signal },
    );
    recorder.event(deployment, "Normal", "Synced", `ConfigMap ${cmName} is up to date`);
    console.log(`reconciled ${namespace}/${name} images=${data.images} replicas=${data.replicas}`);
  },
});
ctl.on("error", (err, req) => console.error(`reconcile ${req.namespace}/${req.name} failed: ${err}`));

if (process.argv.includes("--leader-elect")) {
  const le = leaderElection(kube, {
    namespace,
    name: "configmap-per-deployment",
    identity: `${hostname()}-${process.pid}`,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    releaseOnCancel: true,
    signal: stop.signal,
    onStartedLeading: (signal) => {
      console.log("leading");
      return ctl.start({ signal });
    },
    onStoppedLeading: () => console.log("not leading"),
    onNewLeader: (who) => console.log(`leader: ${who || "(none)"}`),
  });
  await le.done;
} else {
  console.log(`controlling deployments in ${namespace}`);
  await ctl.start({ signal: stop.signal });
}
await kube.close();
console.log("stopped");
