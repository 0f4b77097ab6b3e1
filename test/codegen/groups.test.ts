import assert from "node:assert/strict";
import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { definitionNames, readRegistry } from "../helpers/generated.js";
import { repoRoot, specsDir } from "../helpers/paths.js";
import { scratchDir, tscConsumer, typecheckGenerated } from "../helpers/spec-check.js";

const base = scratchDir("groups");
after(() => rmSync(base, { recursive: true, force: true }));

const size = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const registryGroups = (dir: string) => Object.keys(readRegistry(dir)).sort();
const definitions = (dir: string) => new Set(definitionNames(dir));

describe("generate --groups / --exclude-groups", () => {
  const full = join(base, "full");
  const fullWithCrds = join(base, "full-crds");
  const coreApps = join(base, "core-apps");
  const crds = [join(repoRoot, "test/fixtures/crds"), join(specsDir, "crds")];
  before(async () => {
    for (const [out, extra] of [
      [full, []],
      [fullWithCrds, ["--crd", ...crds]],
      [coreApps, ["--crd", ...crds, "--groups", "core,apps"]],
    ] as const) {
      const r = await runCli("generate", ...extra, "--out", out);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it("writes only the chosen groups and the definitions they reach, 5x smaller than a cluster's full client", () => {
    assert.deepEqual(registryGroups(coreApps), ["apps", "core"]);
    const defs = definitions(coreApps);
    for (const d of [
      "io.k8s.api.core.v1.Pod",
      "io.k8s.api.apps.v1.Deployment",
      "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
      "io.k8s.api.autoscaling.v1.Scale", // apps' scale subresource reaches it
      "io.k8s.api.policy.v1.Eviction", // the pods/eviction subresource
    ]) {
      assert.ok(defs.has(d), `${d} is reached from core or apps`);
    }
    assert.ok(!defs.has("io.k8s.api.batch.v1.Job"), "batch is left out");
    // Against the client of a cluster with the corpus' 52 CRDs and
    // against the built-in APIs alone, where core/v1 by itself is over a quarter of the output.
    const withCrds = size(fullWithCrds) / size(coreApps);
    assert.ok(
      withCrds >= 5,
      `1.36 + CRDs ${size(fullWithCrds)} B / core,apps ${size(coreApps)} B = ${withCrds.toFixed(1)}x`,
    );
    const builtIn = size(full) / size(coreApps);
    assert.ok(builtIn >= 3, `1.36 ${size(full)} B / core,apps ${size(coreApps)} B = ${builtIn.toFixed(1)}x`);
  });

  it("the smaller client type-checks with a consumer of its types, registry and validators", async () => {
    const r = await typecheckGenerated(coreApps);
    assert.ok(r.ok, r.output);
  });

  /** tsc's type count (the checker's work, the same on every run) for a consumer of `dir`. */
  const typesOf = async (dir: string, name: string, body: string[]) => {
    const file = join(base, `${name}.ts`);
    writeFileSync(
      file,
      [
        `import { createClient, type coreV1 } from "./${dir.split("/").pop()}/index.js";`,
        'import type { KubeConfig } from "kubefetch";',
        ...body,
      ].join("\n"),
    );
    const stdout = await tscConsumer(file, "--extendedDiagnostics");
    return Number(/^Types:\s+(\d+)/m.exec(stdout)?.[1]);
  };

  it("a consumer's type work does not grow with the client: the same calls make as many types against the full client", async () => {
    // Before the registry and the short names moved to .d.ts files, the full client made
    // 2.7x the types of core,apps.
    const consumer = [
      'export const pod: coreV1.Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" } };',
      "export async function names(config: KubeConfig): Promise<(string | undefined)[]> {",
      '  const list = await createClient(config).apps.v1.deployments.list({ namespace: "default" });',
      "  return list.items.map((d) => d.metadata?.name);",
      "}",
    ];
    const small = await typesOf(coreApps, "consumer-small", consumer);
    const large = await typesOf(fullWithCrds, "consumer-large", consumer);
    assert.ok(small > 0 && large <= small * 1.1, `full + CRDs: ${large} types, core,apps: ${small}`);
  });

  it("a callback over a list's items does not resolve the item's every nested definition", async () => {
    // With each definition a type literal nested in `components`, tsc walked a Deployment's
    // whole tree (PodSpec, every volume source: ~850 types) to infer map's result.
    const list = [
      "export async function f(config: KubeConfig) {",
      '  const list = await createClient(config).apps.v1.deployments.list({ namespace: "default" });',
    ];
    const indexed = await typesOf(coreApps, "items-indexed", [...list, "  return list.items[0];", "}"]);
    const mapped = await typesOf(coreApps, "items-mapped", [
      ...list,
      "  return list.items.map((d) => 1);",
      "}",
    ]);
    assert.ok(indexed > 0 && mapped <= indexed + 100, `map: ${mapped} types, items[0]: ${indexed}`);
  });

  it("--exclude-groups drops groups; client keys work as names too", async () => {
    const out = join(base, "no-batch");
    const r = await runCli("generate", "--exclude-groups", "batch,rbacAuthorization", "--out", out);
    assert.equal(r.code, 0, r.stderr);
    const groups = registryGroups(out);
    assert.ok(!groups.includes("batch") && !groups.includes("rbacAuthorization"));
    assert.ok(groups.includes("apps") && groups.includes("core"));
  });

  it("selects a CRD's group from --crd files", async () => {
    const out = join(base, "velero");
    const crds = join(repoRoot, "test/fixtures/crds/velero");
    const r = await runCli("generate", "--crd", crds, "--groups", "velero.io", "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(registryGroups(out), ["veleroIo"]);
    assert.ok(definitions(out).has("io.velero.v1.Backup") === false);
    assert.ok(definitions(out).has("io.velero.v1.BackupStorageLocation"));
  });

  it("an unknown group is an error that lists the groups the spec has", async () => {
    const r = await runCli("generate", "--groups", "core,monitoring.coreos.com", "--out", join(base, "x"));
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /--groups monitoring\.coreos\.com: no such API group \(the spec has .*apps, .*core,/,
    );
  });

  it("an empty list is a usage error", async () => {
    const r = await runCli("generate", "--groups", ",", "--out", join(base, "y"));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /comma-separated list/);
  });
});
