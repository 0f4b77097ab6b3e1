import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { specsDir } from "../helpers/paths.js";
import { generateSpec, listSpecs, scratchDir, typecheckGenerated } from "../helpers/spec-check.js";

const specs = listSpecs();
const base = scratchDir("every-spec");
after(() => rmSync(base, { recursive: true, force: true }));

describe("every spec of the corpus generates", () => {
  it("finds the spec corpus", () => {
    assert.ok(existsSync(specsDir), `no specs at ${specsDir} (set KUBEFETCH_SPECS)`);
    assert.ok(specs.length >= 20, `only ${specs.length} specs found under ${specsDir}`);
  });
  for (const spec of specs) {
    const name = relative(specsDir, spec);
    it(name, async () => {
      const out = join(base, name.replaceAll("/", "_"));
      const r = await generateSpec(spec, out);
      assert.ok(r.resources > 0 && r.definitions > 0, `${name}: ${r.resources} resources`);
      assert.ok(r.groups > 0);
      rmSync(out, { recursive: true, force: true });
    });
  }
});

describe("the oldest, newest and enum outputs type-check (strict, library checks on)", () => {
  for (const rel of ["1.10/swagger.json", "1.36/swagger.json", "1.36/swagger-enums.json"]) {
    it(rel, async () => {
      const out = join(base, `tc-${rel.replaceAll("/", "_")}`);
      await generateSpec(join(specsDir, rel), out);
      const r = await typecheckGenerated(out);
      assert.ok(r.ok, r.output.slice(0, 4000));
    });
  }
});
