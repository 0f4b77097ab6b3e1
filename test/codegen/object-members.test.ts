// A field named like a member of Object (`constructor`, `toString`, `valueOf`: real CRDs have
// them) must not make the kind impossible to create with an object literal.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { generate } from "../../codegen/generate.js";
import { parseSpecBytes } from "../../codegen/spec-bytes.js";
import { miniSpec } from "../helpers/mini-spec.js";
import { repoRoot } from "../helpers/paths.js";
import { scratchDir } from "../helpers/spec-check.js";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

it("Object-member field names: a literal without them type-checks, one that sets them is still checked", async () => {
  const swagger = miniSpec() as { definitions: Record<string, { properties: Record<string, unknown> }> };
  const thing = swagger.definitions["io.k8s.api.core.v1.Thing"] as { properties: Record<string, unknown> };
  Object.assign(thing.properties, {
    constructor: { type: "string" },
    toString: { type: "string" },
    valueOf: { type: "integer" },
  });
  const spec = parseSpecBytes(Buffer.from(JSON.stringify(swagger)), { kind: "file", label: "mini" });
  const out = scratchDir("object-members");
  try {
    await generate({ spec, out, command: "test" });
    writeFileSync(
      join(out, "consumer.ts"),
      [
        'import { createClient, type components } from "./index.js";',
        'type Thing = components["schemas"]["io.k8s.api.core.v1.Thing"];',
        'export const bare: Thing = { apiVersion: "v1", kind: "Thing", name: "x" };',
        'export const set: Thing = { apiVersion: "v1", kind: "Thing", name: "x", constructor: "c", toString: "t", valueOf: 1 };',
        "// @ts-expect-error a set member is checked against the field's type",
        'export const wrong: Thing = { apiVersion: "v1", kind: "Thing", name: "x", valueOf: "not a number" };',
        "declare const kube: ReturnType<typeof createClient>;",
        'export const created = kube.core.v1.things.create({ name: "x" });',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(out, "tsconfig.json"),
      JSON.stringify({
        extends: relative(out, join(repoRoot, "tsconfig.json")),
        compilerOptions: { noEmit: true },
        include: ["*.ts"],
      }),
    );
    const r = await promisify(execFile)(process.execPath, [tsc, "-p", join(out, "tsconfig.json")]).then(
      (x) => ({ ok: true, output: x.stdout }),
      (e: { stdout?: string }) => ({ ok: false, output: e.stdout ?? "" }),
    );
    assert.ok(r.ok, r.output);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
