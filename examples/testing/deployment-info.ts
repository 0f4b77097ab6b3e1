// The reconcile function the tests beside it test: for a Deployment, keep a ConfigMap
// "<deployment>-info" holding its images and replicas, owned by the Deployment, so the
// garbage collector removes it with the Deployment. Plain code over a client: the fake and
// a real cluster run it alike.
import { isNotFound } from "kubefetch";
import { controllerReference } from "kubefetch/controller";
import type { Client } from "kubefetch/generated/kubernetes-1.36";

export const FIELD_MANAGER = "deployment-info";

/** Brings `<name>-info` in line with the Deployment; returns what it did. */
export async function syncDeploymentInfo(
  kube: Client,
  ref: { namespace: string; name: string },
): Promise<"applied" | "gone"> {
  const deployment = await kube.apps.v1.deployments.get(ref).catch((e) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  if (!deployment) return "gone"; // its ConfigMap goes with it: the owner reference says so
  const containers = deployment.spec?.template.spec?.containers ?? [];
  await kube.core.v1.configmaps.apply(
    {
      metadata: {
        name: `${ref.name}-info`,
        namespace: ref.namespace,
        ownerReferences: [controllerReference(deployment)],
      },
      data: {
        images: containers.map((c) => c.image).join(","),
        replicas: String(deployment.spec?.replicas ?? 1),
      },
    },
    { fieldManager: FIELD_MANAGER, force: true },
  );
  return "applied";
}
