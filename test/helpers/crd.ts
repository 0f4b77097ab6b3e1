import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "./cli.js";
import type { TestCluster } from "./cluster.js";
import { kubectlOrThrow } from "./kubectl-run.js";

/**
 * A CustomResourceDefinition with one served and stored version, v1, whose objects' `spec`
 * has the given schema. Each test gives its own group, so tests never share a kind.
 */
export function crdFor(o: {
  group: string;
  kind: string;
  plural: string;
  scope?: "Namespaced" | "Cluster";
  spec: Record<string, unknown>;
}) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${o.plural}.${o.group}` },
    spec: {
      group: o.group,
      scope: o.scope ?? "Namespaced",
      names: { plural: o.plural, singular: o.kind.toLowerCase(), kind: o.kind },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: "object", properties: { spec: { type: "object", ...o.spec } } },
          },
        },
      ],
    },
  };
}

/**
 * Installs a CRD with the real kubectl and waits until it is Established. Its kind is served
 * a moment after that: a test still waits for a first answer.
 */
export async function installCrd(cluster: TestCluster, crd: { metadata: { name: string } }): Promise<void> {
  await kubectlOrThrow(cluster, ["apply", "-f", "-"], { input: JSON.stringify(crd) });
  await kubectlOrThrow(cluster, [
    "wait",
    "--for=condition=Established",
    `crd/${crd.metadata.name}`,
    "--timeout=60s",
  ]);
}

/**
 * `kubefetch generate --crd` of one CRD (written to `out/crd.json`) into `out/api`, with core
 * and the CRD's group only. Returns the generated module and the CRD group's key in the
 * client (`kube[groupKey].v1.<plural>`).
 */
export async function generateForCrd(
  crd: { spec: { group: string } },
  out: string,
): Promise<{ generated: GeneratedModule; groupKey: string }> {
  const file = join(out, "crd.json");
  writeFileSync(file, JSON.stringify(crd));
  const gen = join(out, "api");
  const r = await runCli("generate", "--crd", file, "--groups", `core,${crd.spec.group}`, "--out", gen);
  assert.equal(r.code, 0, r.stderr);
  const generated = (await import(join(gen, "index.ts"))) as GeneratedModule;
  const groupKey = Object.keys(generated.registry).find((k) => k !== "core") ?? "";
  return { generated, groupKey };
}

/** What a generated index.ts exports, as a test that imports it at run time sees it. */
export interface GeneratedModule {
  createClient(config: unknown): unknown;
  registry: Record<string, unknown>;
}
