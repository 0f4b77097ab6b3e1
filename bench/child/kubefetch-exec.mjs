// bench child: kubefetch exec round trips (built dist). argv: n kubeconfig namespace pod
import { loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const [nText, kubeconfig, namespace, name] = process.argv.slice(2);
const n = Number(nText);
const kube = createClient(await loadConfig({ kubeconfig, env: {} }));
const once = async () => {
  const r = await kube.core.v1.pods.exec({ namespace, name, command: ["echo", "hi"] });
  if (r.stdout !== "hi\n" || r.exitCode !== 0) throw new Error(`bad exec result ${JSON.stringify(r)}`);
};
for (let i = 0; i < 3; i++) await once();
const t = performance.now();
for (let i = 0; i < n; i++) await once();
const ms = performance.now() - t;
await kube.close();
console.log(JSON.stringify({ ms }));
