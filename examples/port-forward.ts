// Run:  npx tsx examples/port-forward.ts  (env: POD, PORT, optional NAMESPACE and URL_PATH)
//
// Forwards a free local port to a pod's HTTP port, as `kubectl port-forward` does, and fetches
// a page through it. Each connection to the local port is its own stream to the pod.
import { loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const name = process.env.POD ?? "web";
const remote = Number(process.env.PORT ?? 8080);
const path = process.env.URL_PATH ?? "/";

const kube = createClient(await loadConfig());
const pf = await kube.core.v1.pods.portForward({
  namespace: process.env.NAMESPACE,
  name,
  ports: [{ remote, local: 0 }], // 0: any free port
  onError: (err) => console.error(`forward failed: ${err.message}`),
});
try {
  const local = pf.ports[0]?.local;
  console.log(`forwarding 127.0.0.1:${local} -> ${name}:${remote}`);
  const res = await fetch(`http://127.0.0.1:${local}${path}`);
  const body = await res.text();
  console.log(`GET ${path}: ${res.status}, ${body.length} bytes`);
  console.log(body.trimEnd());
} finally {
  await pf.close();
  await kube.close();
}
