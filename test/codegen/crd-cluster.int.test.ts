import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { runCli } from "../helpers/cli.js";
import { serverMinor, testCluster } from "../helpers/cluster.js";
import { definitionNames, readRegistry } from "../helpers/generated.js";
import { kubectlOrThrow } from "../helpers/kubectl-run.js";
import { repoRoot, specsDir } from "../helpers/paths.js";
import { scratchDir, typecheckGenerated } from "../helpers/spec-check.js";

// `generate --from-cluster` over /openapi/v3 of the current release, with the repository's
// whole CRD corpus installed, against generating from the same release's committed v3 files
// plus `--crd` of the same CRD files. (The v2 fallback for old servers: test/old-server.)
const cluster = testCluster();
const base = scratchDir("crd-cluster-v3");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith(".yaml") ? [join(dir, e.name)] : [],
  );
}
type Crd = { apiVersion?: string; kind?: string; spec?: { group?: string } };
const crdsOf = (file: string) =>
  parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as Crd | null)
    .filter((d): d is Crd => d?.kind === "CustomResourceDefinition");
// Every CRD file of the corpus in apiextensions.k8s.io/v1; the v1beta1 ones (Kubernetes 1.20's
// addons) are an API removed in 1.22, installed only by the old-server suite.
const corpus = [...yamlFiles(join(repoRoot, "test/fixtures/crds")), ...yamlFiles(join(specsDir, "crds"))]
  .filter((f) => {
    const crds = crdsOf(f);
    return crds.length > 0 && crds.every((c) => c.apiVersion === "apiextensions.k8s.io/v1");
  })
  .sort();
const crdGroups = [...new Set(corpus.flatMap((f) => crdsOf(f).map((c) => c.spec?.group as string)))].sort();

const run = (...args: string[]) => kubectlOrThrow(cluster, args, { timeoutMs: 120_000 });
/** A generated file without its header comment (command, source, sha256 differ by design). */
const body = (dir: string, file: string) => readFileSync(join(dir, file), "utf8").replace(/^(\/\/.*\n)+/, "");

describe(`--from-cluster over /openapi/v3 (${cluster.version}, the whole CRD corpus installed) equals the release's committed v3 files plus --crd`, () => {
  const files = join(base, "files");
  const fromFiles = join(base, "from-files");
  const fromCluster = join(base, "from-cluster");
  let progress = "";
  let builtinGroupVersions: string[] = [];

  before(async () => {
    const committed = join(specsDir, `1.${serverMinor(cluster)}`, "v3");
    assert.ok(
      existsSync(committed),
      `the spec corpus has no ${committed}: add the release's v3 files (test/specs/README.md)`,
    );
    // The release's documents the server serves (its alpha group-versions are off by default).
    const index = JSON.parse(await run("get", "--raw", "/openapi/v3")) as { paths: Record<string, unknown> };
    mkdirSync(files, { recursive: true });
    for (const path of Object.keys(index.paths)) {
      // Discovery and group documents too: they carry definitions (APIGroup, ...) of their own.
      const name = `${path.replaceAll("/", "__")}_openapi.json`;
      if (!existsSync(join(committed, name))) continue;
      copyFileSync(join(committed, name), join(files, name));
      if (/^(api\/v1|apis\/[^/]+\/[^/]+)$/.test(path)) builtinGroupVersions.push(path);
    }
    builtinGroupVersions = builtinGroupVersions.sort();
    assert.ok(builtinGroupVersions.length >= 20, builtinGroupVersions.join(" "));
    const groups = [
      ...new Set(builtinGroupVersions.map((p) => (p === "api/v1" ? "core" : (p.split("/")[1] as string)))),
      ...crdGroups,
    ].join(",");

    const f = await runCli(
      "generate",
      "--from-file",
      files,
      "--crd",
      ...corpus,
      "--groups",
      groups,
      "--out",
      fromFiles,
    );
    assert.equal(f.code, 0, f.stderr);
    // A CRD of another test in one of these groups (stable.example.com is a common one) would
    // be in the cluster's output and not in the files'.
    const names = new Set(
      corpus.flatMap(crdsOf).map((c) => (c as { metadata?: { name?: string } }).metadata?.name),
    );
    const strays = (
      JSON.parse(await run("get", "crd", "-o", "json")) as {
        items: { metadata: { name: string }; spec: { group: string } }[];
      }
    ).items
      .filter((c) => crdGroups.includes(c.spec.group) && !names.has(c.metadata.name))
      .map((c) => c.metadata.name);
    assert.deepEqual(strays, [], "CRDs of other tests in the corpus's groups: delete them first");
    // Server-side: cert-manager's CRDs exceed the annotation client-side apply keeps.
    for (const file of corpus) await run("apply", "--server-side", "--force-conflicts", "-f", file);
    // A CRD reaches /openapi/v3 a moment after it is served: regenerate until all have.
    const want = Object.keys(readRegistry(fromFiles)).sort();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const c = await runCli(
        "generate",
        "--from-cluster",
        "--kubeconfig",
        cluster.kubeconfigs.admin,
        "--groups",
        groups,
        "--out",
        fromCluster,
      );
      // A group not yet in /openapi/v3 is refused by --groups: the same wait.
      const unpublished = c.code === 1 && /--groups .*: no such API group/.test(c.stderr);
      if (!unpublished) assert.equal(c.code, 0, c.stderr);
      progress = c.stderr + c.stdout;
      const have = unpublished ? {} : readRegistry(fromCluster);
      const missing = Object.entries(readRegistry(fromFiles)).flatMap(([g, vs]) =>
        Object.entries(vs).flatMap(([v, ps]) =>
          Object.keys(ps)
            .filter((p) => !have[g]?.[v]?.[p])
            .map((p) => `${g}/${v}/${p}`),
        ),
      );
      if (missing.length === 0 && Object.keys(have).sort().join() === want.join()) break;
      if (Date.now() > deadline) assert.fail(`not published after 120 s: ${missing.join(", ") || c.stderr}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  after(async () => {
    for (const file of corpus) await run("delete", "--ignore-not-found", "-f", file).catch(() => {});
    rmSync(base, { recursive: true, force: true });
  });

  it("every CRD of the corpus is installed: CEL rules, selectableFields, all served versions", async () => {
    const served = JSON.parse(await run("get", "crd", "-o", "json")) as {
      items: {
        spec: { group: string; versions: { served: boolean }[] };
        status: { conditions?: { type: string; status: string }[] };
      }[];
    };
    const ours = served.items.filter((c) => crdGroups.includes(c.spec.group));
    const inFiles = corpus.flatMap(crdsOf).length;
    assert.equal(ours.length, inFiles);
    for (const c of ours) {
      assert.ok(
        c.status.conditions?.some((x) => x.type === "Established" && x.status === "True"),
        c.spec.group,
      );
    }
    const text = corpus.map((f) => readFileSync(f, "utf8")).join("\n");
    assert.match(text, /x-kubernetes-validations/);
    assert.match(text, /selectableFields/);
    assert.ok(corpus.length >= 28, `${corpus.length} files`);
  });

  it("read over /openapi/v3, one document per group-version, with a progress line", () => {
    assert.match(progress, /source: +cluster .*\/openapi\/v3$/m);
    const last = [...progress.matchAll(/fetching OpenAPI v3 documents: (\d+) of (\d+)/g)].at(-1);
    const [done, total] = [Number(last?.[1] ?? 0), Number(last?.[2] ?? 0)];
    assert.equal(done, total);
    assert.ok(total >= builtinGroupVersions.length + crdGroups.length, `${total} documents`);
  });

  it("the same registry, client types and names, byte for byte below the header", () => {
    for (const file of ["registry.ts", "client.d.ts", "names.d.ts", "raw.ts"]) {
      assert.ok(body(fromCluster, file) === body(fromFiles, file), `${file} differs`);
    }
    const apiVersions = new Set(
      Object.values(readRegistry<{ apiVersion: string }>(fromCluster)).flatMap((vs) =>
        Object.values(vs).flatMap((ps) => Object.values(ps).map((e) => e.apiVersion.split("/")[0])),
      ),
    );
    assert.deepEqual(
      crdGroups.filter((g) => !apiVersions.has(g)),
      [],
    );
  });

  it("every definition's type assignable from the cluster's to the files' (both ways for the CRDs)", async () => {
    // The release's committed files are written with the OpenAPIEnums gate off, a live server
    // has it on: its built-in enums are string unions where the files say string, so built-ins
    // go one way. A CRD's schema is the same document both ways.
    const defs = definitionNames(fromCluster);
    assert.deepEqual(defs, definitionNames(fromFiles));
    const crd = defs.filter((d) => !d.startsWith("io.k8s."));
    assert.ok(crd.length >= 60, `${crd.length} CRD definitions`);
    writeFileSync(
      join(fromCluster, "assignable.ts"),
      [
        'import type { components as Files } from "../from-files/components.js";',
        'import type { components as Live } from "./components.js";',
        ...defs.flatMap((d, i) => [
          `export const toFiles_${i} = (x: Live["schemas"]["${d}"]): Files["schemas"]["${d}"] => x;`,
          ...(d.startsWith("io.k8s.")
            ? []
            : [`export const toLive_${i} = (x: Files["schemas"]["${d}"]): Live["schemas"]["${d}"] => x;`]),
        ]),
        "",
      ].join("\n"),
    );
    const r = await typecheckGenerated(fromCluster);
    assert.ok(r.ok, r.output);
  });
});
