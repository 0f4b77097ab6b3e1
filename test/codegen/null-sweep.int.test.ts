import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, it } from "node:test";
import { generateFromClusterUntil } from "../helpers/cli.js";
import { serverMinor, testCluster, uniqueName } from "../helpers/cluster.js";
import { crdFor, installCrd } from "../helpers/crd.js";
import { readRegistry, readValidators } from "../helpers/generated.js";
import { kubectl, kubectlOrThrow } from "../helpers/kubectl-run.js";
import { scratchDir } from "../helpers/spec-check.js";

const cluster = testCluster();
const out = scratchDir("null-sweep");
const namespace = uniqueName("sweep");
const group = `${uniqueName("sweep")}.example.com`;
const crd = crdFor({
  group,
  kind: "Protokind",
  plural: "protokinds",
  // Fields named after Object.prototype members: an object without them must not read those.
  spec: {
    properties: { constructor: { type: "string" }, toString: { type: "string" }, size: { type: "integer" } },
  },
});

before(async () => {
  await kubectlOrThrow(cluster, ["create", "namespace", namespace]);
  await installCrd(cluster, crd);
  const objects = [
    // The server writes the pod template's zero creationTimestamp as null (1.20) or omits it.
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "sweep", namespace },
      spec: {
        template: {
          metadata: { labels: { app: "sweep" } },
          spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
        },
      },
    },
    { apiVersion: `${group}/v1`, kind: "Protokind", metadata: { name: "p", namespace }, spec: { size: 1 } },
    // Go's nil slice written as null: an aggregated ClusterRole before the controller fills it.
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `${namespace}-aggregated` },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`${namespace}/aggregate`]: "true" } }] },
    },
  ];
  for (const o of objects) await kubectlOrThrow(cluster, ["create", "-f", "-"], { input: JSON.stringify(o) });
  await generateFromClusterUntil(cluster.kubeconfigs.admin, out, `"protokinds"`);
});

after(async () => {
  await kubectl(cluster, ["delete", "namespace", namespace, "--wait=false"]);
  await kubectl(cluster, ["delete", "clusterrole", `${namespace}-aggregated`]);
  await kubectl(cluster, ["delete", "crd", `protokinds.${group}`, "--wait=false"]);
  rmSync(out, { recursive: true, force: true });
});

type Entry = {
  apiVersion: string;
  kind: string;
  verbs: string[];
  schema?: string;
  paths: Record<string, string>;
};

it("every object of every listable resource the cluster returns validates against its generated schema", async () => {
  const registry = readRegistry<Entry>(out);
  const validators = readValidators(out);

  const failures: string[] = [];
  let objects = 0;
  let resources = 0;
  const seen = { nullTimestamp: false, nullRules: false, protokind: false, jobTemplateTimestamp: false };
  for (const versions of Object.values(registry)) {
    for (const plurals of Object.values(versions)) {
      for (const e of Object.values(plurals)) {
        if (!e.verbs.includes("list") || !e.schema) continue;
        const path = e.paths.allNamespaces ?? e.paths.collection;
        if (!path) continue;
        resources++;
        const list = JSON.parse(await kubectlOrThrow(cluster, ["get", "--raw", path])) as {
          items: Record<string, unknown>[];
        };
        for (const item of list.items) {
          objects++;
          const raw = JSON.stringify(item);
          if (raw.includes('"creationTimestamp":null')) seen.nullTimestamp = true;
          if (e.kind === "ClusterRole" && item.rules === null) seen.nullRules = true;
          const meta = item.metadata as { name?: string; namespace?: string };
          if (e.kind === "Job" && meta.namespace === namespace && meta.name === "sweep") {
            const template = (item.spec as { template: { metadata: Record<string, unknown> } }).template;
            seen.jobTemplateTimestamp = "creationTimestamp" in template.metadata;
          }
          if (e.kind === "Protokind") seen.protokind = true;
          // List items come without apiVersion and kind; the client fills them in.
          const r = validators.validate(e.schema, { ...item, apiVersion: e.apiVersion, kind: e.kind });
          if (!r.success) {
            const name = (item.metadata as { name?: string } | undefined)?.name;
            failures.push(
              `${e.apiVersion} ${e.kind} ${name}: ${r.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
            );
          }
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(resources > 40, `${resources} listable resources`);
  assert.ok(objects > 50, `${objects} objects`);
  // The pod template's zero creationTimestamp: 1.20 writes null; from 1.34 the server omits it
  // (kubernetes/kubernetes#130989), and nothing else it returns has one.
  const nullTimestamps = serverMinor(cluster) < 34;
  assert.deepEqual(seen, {
    nullTimestamp: nullTimestamps,
    nullRules: true,
    protokind: true,
    jobTemplateTimestamp: nullTimestamps,
  });
});
