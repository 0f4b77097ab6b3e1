// Run:  npx tsx examples/exec.ts NAMESPACE POD -- sh -c 'echo hello; exit 3'
//
// Runs a command in a pod's container, like `kubectl exec`, and prints its stdout, its
// stderr and the exit code the status channel reported.
import { KubeError, loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const [namespace, name, dashes, ...command] = process.argv.slice(2);
if (!namespace || !name || dashes !== "--" || command.length === 0) {
  console.error("usage: exec.ts NAMESPACE POD -- COMMAND [ARG...]");
  process.exit(2);
}
const kube = createClient(await loadConfig());
try {
  const r = await kube.core.v1.pods.exec({ namespace, name, command, timeoutMs: 60_000 });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  console.log(`exit code ${r.exitCode}`);
} catch (e) {
  if (!(e instanceof KubeError)) throw e;
  // A refused request (no such pod) or a failure Status (no such command), as kubectl shows it.
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
} finally {
  await kube.close();
}
