// Run:  npx tsx examples/crd-typed.ts
//
// Installs the CronTab CustomResourceDefinition, regenerates the client from the cluster (so
// CronTab is typed like any built-in kind), then creates and reads a CronTab through it.
// The generated folder is examples/generated/cluster; `tsc` checks this file against it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "kubefetch";
import { createClient as createBuiltinClient, registry } from "kubefetch/generated/kubernetes-1.36";
import { validators } from "kubefetch/generated/kubernetes-1.36/schemas";
import { applyManifests } from "kubefetch/manifests";
import type * as Cluster from "./generated/cluster/index.js";

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: crontabs.stable.example.com }
spec:
  group: stable.example.com
  scope: Namespaced
  names: { plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct] }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [cronSpec, image]
              properties:
                cronSpec: { type: string }
                image: { type: string }
                replicas: { type: integer }
`;

const config = await loadConfig();
const builtin = createBuiltinClient(config);
try {
  // 1. Install the CRD (force: this program owns its definition); applyManifests returns once
  //    the server serves the new kind.
  const results = await applyManifests(builtin, crd, {
    api: { registry, validators },
    fieldManager: "kubefetch-example",
    force: true,
  });
  for (const r of results) if (r.outcome !== "applied") throw r.error ?? new Error(r.reason);
} finally {
  await builtin.close();
}

// 2. Regenerate from the cluster. The API server adds a new CRD's schema to /openapi/v2 a
//    moment after it serves the kind, so generate again until CronTab is there.
const out = fileURLToPath(new URL("./generated/cluster", import.meta.url));
for (let attempt = 1; ; attempt++) {
  execFileSync("npx", ["kubefetch", "generate", "--from-cluster", "--out", out], { stdio: "inherit" });
  if (readFileSync(join(out, "registry.ts"), "utf8").includes('"kind": "CronTab"')) break;
  if (attempt === 20) throw new Error("the cluster's /openapi/v2 still has no CronTab");
  await new Promise((r) => setTimeout(r, 500));
}

// 3. The regenerated client: kube.stableExampleCom.v1.crontabs is typed from the CRD's schema.
const { createClient }: typeof Cluster = await import("./generated/cluster/index.js");
const kube = createClient(config);
try {
  const applied = await kube.stableExampleCom.v1.crontabs.apply(
    {
      metadata: { name: "my-crontab", namespace: "default" },
      spec: { cronSpec: "* * * * */5", image: "my-cron-image", replicas: 1 },
    },
    { fieldManager: "kubefetch-example" },
  );
  const list = await kube.stableExampleCom.v1.crontabs.list({ namespace: "default" });
  const tabs: Cluster.stableV1.CronTab[] = list.items;
  for (const ct of tabs)
    console.log(`${ct.kind} ${ct.metadata?.name}: ${ct.spec?.cronSpec} runs ${ct.spec?.image}`);
  console.log(`applied ${applied.metadata?.name} (resourceVersion ${applied.metadata?.resourceVersion})`);
} finally {
  await kube.close();
}
