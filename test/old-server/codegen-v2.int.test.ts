import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { testCluster } from "../helpers/cluster.js";
import { definitionNames, readRegistry } from "../helpers/generated.js";
import { kubectl, kubectlOrThrow } from "../helpers/kubectl-run.js";
import { repoRoot, specsDir } from "../helpers/paths.js";
import { scratchDir, typecheckGenerated } from "../helpers/spec-check.js";

const cluster = testCluster();
// The fallback for servers without /openapi/v3 (1.20 serves v2 only): --from-cluster reads
// /openapi/v2 and still gives what --crd gives for the same CRDs. CRDs of the corpus the 1.20
// server accepts (newer controller-gen output uses fields it refuses), with and without
// nullable fields; test/codegen/crd-cluster.int.test.ts does the whole corpus over v3.
const corpus = join(repoRoot, "test/fixtures/crds");
const files = [
  "velero/velero.io_backuprepositories.yaml",
  "velero/velero.io_backupstoragelocations.yaml",
  "velero/velero.io_deletebackuprequests.yaml",
  "velero/velero.io_rotationschemes.yaml",
  "keda/keda.sh_cloudevents.yaml",
  "keda/keda.sh_withtriggers.yaml",
  "keda/eventing.keda.sh_clustercloudeventsources.yaml",
  "kubebuilder/crew.testproject.org_firstmates.yaml",
  "kubebuilder/crew.testproject.org_sailors.yaml",
  "kubernetes/snapshot.storage.k8s.io_volumesnapshots.yaml",
].map((f) => join(corpus, f));
const groups = ["veleroIo", "kedaSh", "eventingKedaSh", "crewTestprojectOrg", "snapshotStorage"];

type Registry = ReturnType<typeof readRegistry>;
const plurals = (r: Registry) =>
  groups.flatMap((g) => Object.values(r[g] ?? {}).flatMap((ps) => Object.keys(ps).map((p) => `${g}/${p}`)));

describe("a server without /openapi/v3: --from-cluster falls back to /openapi/v2 and gives what --crd gives", () => {
  const base = scratchDir("crd-cluster");
  const fromCrd = join(base, "from-crd");
  const fromCluster = join(base, "from-cluster");
  before(async () => {
    // The base is a live 1.20 cluster's /openapi/v2 from the shared specs: generating from the
    // test cluster before installing would race its OpenAPI aggregation (and other tests' CRDs).
    const r = await runCli(
      "generate",
      "--from-file",
      join(specsDir, "1.20/swagger.json"),
      "--crd",
      ...files,
      "--out",
      fromCrd,
    );
    assert.equal(r.code, 0, r.stderr);
    for (const f of files) await kubectlOrThrow(cluster, ["apply", "-f", f]);
    // A CRD reaches /openapi/v2 a while after it is served: regenerate until all have.
    const want = plurals(readRegistry(fromCrd));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const c = await runCli(
        "generate",
        "--from-cluster",
        "--kubeconfig",
        cluster.kubeconfigs.admin,
        "--out",
        fromCluster,
      );
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout + c.stderr, /source: +cluster .*\/openapi\/v2$/m);
      const have = new Set(plurals(readRegistry(fromCluster)));
      if (want.every((p) => have.has(p))) break;
      if (Date.now() > deadline)
        assert.fail(`not published after 120 s: ${want.filter((p) => !have.has(p))}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  after(async () => {
    for (const f of files) await kubectl(cluster, ["delete", "-f", f, "--ignore-not-found"]);
    rmSync(base, { recursive: true, force: true });
  });

  it("the same registry entry for every served version", () => {
    const a = readRegistry(fromCrd);
    const b = readRegistry(fromCluster);
    let n = 0;
    for (const g of groups) {
      assert.ok(a[g], `${g} is generated from the files`);
      for (const [version, ps] of Object.entries(a[g] ?? {})) {
        for (const [plural, entry] of Object.entries(ps)) {
          assert.deepEqual(entry, b[g]?.[version]?.[plural], `${g}.${version}.${plural}`);
          n++;
        }
      }
    }
    assert.equal(n, 12); // firstmates and volumesnapshots serve two versions each
  });

  it("types assignable both ways wherever v2 can say what the CRD says (no nullable fields)", async () => {
    // /openapi/v2 cannot express nullable: the 1.20 server drops such a field's type or its
    // null, so only the --crd types are exact there (tested in crd.test.ts).
    const exact = files.filter((f) => !readFileSync(f, "utf8").includes("nullable: true"));
    assert.ok(exact.length >= 6);
    const defs = definitionNames(fromCrd)
      .filter((d) => !d.startsWith("io.k8s."))
      .filter((d) =>
        exact.some((f) => {
          const text = readFileSync(f, "utf8");
          const kind = /kind: (\w+)/.exec(text.slice(text.indexOf("names:")))?.[1];
          return d.endsWith(`.${kind}`) || d.endsWith(`.${kind}List`);
        }),
      );
    assert.ok(defs.length >= 12, defs.join(", "));
    writeFileSync(
      join(fromCluster, "assignable.ts"),
      [
        'import type { components as Crd } from "../from-crd/components.js";',
        'import type { components as V2 } from "./components.js";',
        ...defs.flatMap((d, i) => [
          `export const toV2_${i} = (x: Crd["schemas"]["${d}"]): V2["schemas"]["${d}"] => x;`,
          `export const toCrd_${i} = (x: V2["schemas"]["${d}"]): Crd["schemas"]["${d}"] => x;`,
        ]),
        "",
      ].join("\n"),
    );
    const r = await typecheckGenerated(fromCluster);
    assert.ok(r.ok, r.output);
  });
});
