// Run:  npx tsx examples/discovery.ts batch/v1
//
// Prints the API groups and versions the server has, then each resource of one group-version
// with its verbs: what `curl $SERVER/apis/batch/v1` shows, typed.
import { loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const kube = createClient(await loadConfig()); // $KUBECONFIG or ~/.kube/config, or in-cluster
try {
  const core = await kube.discovery.api();
  const { groups } = await kube.discovery.groups();
  console.log(`core: ${core.versions.join(", ")}`);
  for (const g of groups) console.log(`${g.name}: ${g.versions.map((v) => v.version).join(", ")}`);

  const groupVersion = process.argv[2] ?? "batch/v1";
  const { resources } = await kube.discovery.resources(groupVersion);
  console.log(`\n${groupVersion}:`);
  for (const r of resources) {
    const scope = r.namespaced ? "namespaced" : "cluster";
    console.log(`  ${r.name.padEnd(28)} ${r.kind.padEnd(24)} ${scope.padEnd(10)} ${r.verbs.join(",")}`);
  }
} finally {
  await kube.close();
}
