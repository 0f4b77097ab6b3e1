import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "./helpers/paths.js";
import { scratchDir, tscConsumer } from "./helpers/spec-check.js";

const run = promisify(execFile);

describe("the package as a consumer loads it (built dist/, package exports)", () => {
  it('require("kubefetch") on Node loads the ES build, the one import loads: one KubeError class', async () => {
    // "module-sync" comes before "require" in exports: Node (>= 20.19, require(esm)) takes it,
    // so a process whose CommonJS and ES modules both use kubefetch holds one copy of it.
    const dir = scratchDir("cjs");
    const file = join(dir, "consumer.cjs");
    writeFileSync(
      file,
      [
        'const k = require("kubefetch");',
        'const gen = require("kubefetch/generated/kubernetes-1.36");',
        'import("kubefetch").then((esm) => console.log(JSON.stringify({',
        '  resolved: require.resolve("kubefetch"),',
        "  version: k.version,",
        "  kind: gen.registry.apps.v1.deployments.kind,",
        "  sameClass: esm.KubeError === k.KubeError,",
        "})));",
      ].join("\n"),
    );
    const r = await run(process.execPath, [file]);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      { ...out, resolved: relative(repoRoot, out.resolved) },
      {
        resolved: "dist/src/index.js",
        version: "0.1.0",
        kind: "Deployment",
        sameClass: true,
      },
    );
  });

  it("importing the client loads no zod; the schemas subpath does", async () => {
    const dir = scratchDir("loads");
    // A resolve hook on the real loader that logs every module URL to a file.
    writeFileSync(
      join(dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
       export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.TRACE, r.url + "\\n"); return r; }`,
    );
    writeFileSync(
      join(dir, "register.mjs"),
      `import { register } from "node:module"; register("./hooks.mjs", import.meta.url);`,
    );
    const loaded = async (spec: string) => {
      const trace = join(dir, `trace-${spec.replaceAll("/", "_")}.txt`);
      writeFileSync(trace, "");
      await run(
        process.execPath,
        [
          "--import",
          join(dir, "register.mjs"),
          "--input-type=module",
          "-e",
          `await import(${JSON.stringify(spec)});`,
        ],
        {
          env: { ...process.env, TRACE: trace },
        },
      );
      return readFileSync(trace, "utf8").split("\n").filter(Boolean);
    };
    const client = await loaded("kubefetch/generated/kubernetes-1.36");
    assert.ok(
      client.some((u) => u.endsWith("/dist/generated/kubernetes-1.36/registry.js")),
      client.join("\n"),
    );
    assert.deepEqual(
      client.filter((u) => u.includes("/node_modules/zod/")),
      [],
    );
    const schemas = await loaded("kubefetch/generated/kubernetes-1.36/schemas");
    assert.ok(
      schemas.some((u) => u.includes("/node_modules/zod/")),
      schemas.join("\n"),
    );
  });

  it("type-checking a consumer of the client reads no zod declarations; one of the schemas subpath does", async () => {
    const dir = scratchDir("tsc-files");
    // zod's declarations cost a consumer's tsc ~0.2 s: they belong to those who validate.
    const files = async (name: string, source: string) => {
      writeFileSync(join(dir, `${name}.ts`), source);
      return (await tscConsumer(join(dir, `${name}.ts`), "--listFiles")).split("\n").filter(Boolean);
    };
    const client = await files(
      "client",
      [
        'import { loadConfig } from "kubefetch";',
        'import { createClient } from "kubefetch/generated/kubernetes-1.36";',
        "export const kube = createClient(await loadConfig());",
      ].join("\n"),
    );
    assert.ok(client.some((f) => f.endsWith("/dist/generated/kubernetes-1.36/client.d.ts")));
    assert.deepEqual(
      client.filter((f) => f.includes("/node_modules/zod/")),
      [],
    );
    const schemas = await files(
      "schemas",
      'export { validators } from "kubefetch/generated/kubernetes-1.36/schemas";\n',
    );
    assert.ok(schemas.some((f) => f.includes("/node_modules/zod/")));
  });

  it("kubefetch/manifests validates against the embedded API from the built package", async () => {
    const code = [
      'import { registry } from "kubefetch/generated/kubernetes-1.36";',
      'import { validators } from "kubefetch/generated/kubernetes-1.36/schemas";',
      'import { parseManifests } from "kubefetch/manifests";',
      "const api = { registry, validators };",
      'const [m] = await parseManifests("apiVersion: v1\\nkind: Namespace\\nmetadata: { name: x }\\n", { api });',
      "console.log(m.plural, m.source);",
    ].join("\n");
    const r = await run(process.execPath, ["--input-type=module", "-e", code], {
      cwd: scratchDir("manifests"),
    });
    assert.equal(r.stdout, "namespaces registry\n");
  });
});

it('kubefetch/controller loads from the built package, and `import "kubefetch"` does not load it', async () => {
  const code = [
    'import { createWorkQueue, leaderElection, createController, createEventRecorder } from "kubefetch/controller";',
    "const q = createWorkQueue(); q.add('a'); q.add('a');",
    "console.log(q.length, typeof leaderElection, typeof createController, typeof createEventRecorder);",
  ].join("\n");
  const r = await run(process.execPath, ["--input-type=module", "-e", code], {
    cwd: scratchDir("controller"),
  });
  assert.equal(r.stdout, "1 function function function\n");
  const root = await run(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'await import("kubefetch"); console.log(Object.keys(await import("kubefetch")).includes("createController"))',
    ],
    { cwd: scratchDir("controller") },
  );
  assert.equal(root.stdout, "false\n");
});

// arethetypeswrong (install.test.ts) checks that node10 resolves every entry point to typed
// code of the right format; not that it is the same file as the "require" condition's.
describe("package.json's node10 fields name the files of the require condition", () => {
  type Target = { types: string; default?: string };
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    main: string;
    types: string;
    exports: Record<string, string | { require: Target }>;
    typesVersions: Record<string, Record<string, string[]>>;
  };

  it("main and types are the root export's", () => {
    const root = (pkg.exports["."] as { require: Target }).require;
    assert.deepEqual([pkg.main, pkg.types], [root.default, root.types]);
  });

  it("typesVersions maps every subpath export to its types, and nothing else", () => {
    const fromExports = Object.fromEntries(
      Object.entries(pkg.exports)
        .filter(([sub, e]) => sub !== "." && typeof e === "object")
        .map(([sub, e]) => [sub.slice(2), [(e as { require: Target }).require.types]]),
    );
    assert.deepEqual(pkg.typesVersions, { "*": fromExports });
  });
});
