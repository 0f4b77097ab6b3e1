// bench child: kubefetch's port-forward listener (built dist). argv: kubeconfig namespace pod port
// Prints {"local": PORT} once listening; forwards until stdin closes.
import { loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const [kubeconfig, namespace, name, port] = process.argv.slice(2);
const kube = createClient(await loadConfig({ kubeconfig, env: {} }));
const pf = await kube.core.v1.pods.portForward({
  namespace,
  name,
  ports: [{ remote: Number(port), local: 0 }],
  onError: (e) => console.error(e.message),
});
console.log(JSON.stringify({ local: pf.ports[0].local }));
process.stdin.resume();
process.stdin.on("end", async () => {
  await pf.close();
  await kube.close();
});
