// The layer rules of .dependency-cruiser.cjs, held both ways: the repository keeps them, and
// each rule fails on a tree that breaks it (a rule that can never fail checks nothing).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "..");
const cli = join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const config = join(root, ".dependency-cruiser.cjs");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Runs the checker in `cwd` with the repository's config; its violations. */
async function violations(cwd: string, folders: string[]): Promise<Violation[]> {
  const out = await promisify(execFile)(
    process.execPath,
    [cli, "--config", config, "--output-type", "json", ...folders],
    { cwd, maxBuffer: 64 * 1024 * 1024 },
  ).catch((err: { stdout?: string }) => {
    // It exits non-zero when it finds violations; the report is on stdout either way.
    if (typeof err.stdout === "string" && err.stdout.startsWith("{")) return { stdout: err.stdout };
    throw err;
  });
  return (JSON.parse(out.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe("layer rules (dependency-cruiser)", () => {
  it("the repository keeps every rule", async () => {
    assert.deepEqual(await violations(root, ["src", "codegen", "generated"]), []);
  });

  describe("each rule fails when broken", () => {
    let dir: string;
    // One file per import: [file, what it imports]. The last rows are allowed imports, so a
    // rule that flags everything fails too.
    const files: Record<string, string[]> = {
      "src/core/request.ts": ["../client/http.js"],
      "src/client/http.ts": ["../core/errors.js", "../transport/transport.js"],
      "src/client/resource.ts": ["../connect/exec.js"],
      "src/connect/exec.ts": ["../client/request.js", "../core/errors.js"],
      "src/client/request.ts": [],
      "src/config/load-config.ts": ["../transport/transport.js"],
      "src/transport/transport.ts": ["../config/errors.js"],
      "src/config/errors.ts": [],
      "src/connect/websocket.ts": ["undici"],
      "src/transport/undici.ts": ["undici/index.js"],
      "src/core/errors.ts": [],
      "src/manifests/parse.ts": ["../../generated/api/registry.js"],
      "src/schemas/index.ts": ["./wire-nulls.js"],
      "src/schemas/wire-nulls.ts": ["./index.js"],
      "src/index.ts": ["./core/errors.js"],
      "src/kube-client/create-client.ts": ["../client/request.js", "../connect/exec.js"],
      "generated/api/index.ts": ["../../src/index.js", "../../src/client/request.js"],
      "generated/api/registry.ts": [],
      "codegen/a.ts": ["./b.js"],
      "codegen/b.ts": ["./a.js"],
    };
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "kubefetch-layers-"));
      for (const [file, imports] of Object.entries(files)) {
        await mkdir(dirname(join(dir, file)), { recursive: true });
        const body = imports.map((to, i) => `import * as m${i} from "${to}";\nvoid m${i};\n`).join("");
        await writeFile(join(dir, file), `${body}export const x = 1;\n`);
      }
      // A package for the one-undici rule: imported by name or by its entry file's path.
      await mkdir(join(dir, "node_modules/undici"), { recursive: true });
      await writeFile(join(dir, "node_modules/undici/package.json"), '{"name":"undici","main":"index.js"}');
      await writeFile(join(dir, "node_modules/undici/index.js"), "exports.x = 1;\n");
      await writeFile(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { module: "nodenext", moduleResolution: "nodenext", allowJs: true },
        }),
      );
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it("finds exactly the broken imports, each under its rule", async () => {
      const found = (await violations(dir, ["src", "codegen", "generated"]))
        .map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)
        .sort();
      assert.deepEqual(found, [
        "client-and-connect-apart: src/client/resource.ts -> src/connect/exec.ts",
        "client-and-connect-apart: src/connect/exec.ts -> src/client/request.ts",
        "config-below-transport: src/config/load-config.ts -> src/transport/transport.ts",
        "core-is-a-leaf: src/core/request.ts -> src/client/http.ts",
        "generated-through-the-public-api: generated/api/index.ts -> src/client/request.ts",
        // A cycle is reported once, at the import that closes it.
        "no-circular: codegen/a.ts -> codegen/b.ts",
        "no-circular: src/schemas/index.ts -> src/schemas/wire-nulls.ts",
        "one-undici: src/connect/websocket.ts -> node_modules/undici/index.js",
        "runtime-not-on-generated: src/manifests/parse.ts -> generated/api/registry.ts",
      ]);
    });
  });
});
