// Run inside a pod:  npx tsx examples/in-cluster-pods.ts
//
// Lists the pods of the pod's own namespace with its service account: the API server from
// KUBERNETES_SERVICE_HOST/PORT, trust from ca.crt, the token (re-read as it rotates) and the
// namespace from the service-account folder. SERVICE_ACCOUNT_DIR points at another copy of
// that folder (default /var/run/secrets/kubernetes.io/serviceaccount).
import { isForbidden, loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const dir = process.env.SERVICE_ACCOUNT_DIR;
const config = await loadConfig({ mode: "in-cluster", ...(dir ? { serviceAccountDir: dir } : {}) });
const kube = createClient(config);
try {
  const pods = await kube.core.v1.pods.list({ namespace: config.namespace });
  console.log(`${pods.items.length} pods in ${config.namespace} (${config.server})`);
  for (const pod of pods.items) console.log(`${pod.metadata?.name}\t${pod.status?.phase ?? "Unknown"}`);
} catch (e) {
  // The usual cause: no Role lets the service account list pods.
  if (isForbidden(e))
    console.error(`${e.message}\nGrant it: kubectl create role pod-reader --verb=list --resource=pods`);
  else console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await kube.close();
}
