// Run:  npx tsx examples/apply-manifests.ts examples/manifests/web.yaml     (--dry-run to check only)
//
// Validates every document of a YAML file against the API's schema (nothing is applied if one
// is invalid), then applies them with server-side apply, Namespaces and CRDs first.
import { readFile } from "node:fs/promises";
import { loadConfig } from "kubefetch";
import { createClient, registry } from "kubefetch/generated/kubernetes-1.36";
import { validators } from "kubefetch/generated/kubernetes-1.36/schemas";
import { applyManifests, ManifestError } from "kubefetch/manifests";

const file = process.argv[2];
if (!file) {
  console.error("usage: apply-manifests.ts FILE.yaml [--dry-run]");
  process.exit(2);
}
const dryRun = process.argv.includes("--dry-run");
const kube = createClient(await loadConfig());
try {
  const results = await applyManifests(kube, await readFile(file, "utf8"), {
    api: { registry, validators },
    fieldManager: "kubefetch-example",
    dryRun,
  });
  for (const r of results) {
    const what = `${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
    const how =
      r.outcome === "applied"
        ? dryRun
          ? "applied (dry run)"
          : "applied"
        : `${r.outcome}: ${r.error?.message ?? r.reason}`;
    console.log(`doc ${r.index} ${what}: ${how}`);
  }
  if (results.some((r) => r.outcome === "failed")) process.exitCode = 1;
} catch (e) {
  if (!(e instanceof ManifestError)) throw e;
  console.error(`${file}: nothing applied\n${e.message}`);
  process.exitCode = 1;
} finally {
  await kube.close();
}
