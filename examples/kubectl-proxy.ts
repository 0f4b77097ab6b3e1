// Run:  npx tsx examples/kubectl-proxy.ts http://127.0.0.1:8001     (with `kubectl proxy --port=8001` running)
//
// The ambassador pattern: kubectl proxy (a sidecar, or on your laptop) holds the credentials
// and serves the API as plain HTTP on loopback; the program has none.
import { loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const kube = createClient(await loadConfig({ server: process.argv[2] ?? "http://127.0.0.1:8001" }));
try {
  const { gitVersion } = await kube.discovery.version();
  const namespaces = await kube.core.v1.namespaces.list();
  console.log(`Kubernetes ${gitVersion} through ${kube.config.server}, no credentials here`);
  for (const ns of namespaces.items) console.log(`namespace ${ns.metadata?.name}`);
} finally {
  await kube.close();
}
