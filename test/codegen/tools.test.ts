import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { GENERATOR_TOOLS, loadEmitTypes, MissingToolsError } from "../../codegen/tools.js";
import { repoRoot } from "../helpers/paths.js";

/** A project in which `absent` cannot be found, as Node says it. */
const without =
  (...absent: string[]) =>
  (name: string) => {
    if (!absent.includes(name)) return import.meta.resolve(name);
    throw Object.assign(new Error(`Cannot find package '${name}' imported from /app/x.js`), {
      code: "ERR_MODULE_NOT_FOUND",
    });
  };

describe("the generator's tools are loaded on demand", () => {
  it("loads the type emitter when typescript and openapi-typescript resolve", async () => {
    const m = await loadEmitTypes();
    assert.equal(typeof m.emitTypes, "function");
  });

  it("names both missing tools in one error, with the exact install command", async () => {
    await assert.rejects(loadEmitTypes(without("typescript", "openapi-typescript")), (err) => {
      assert.ok(err instanceof MissingToolsError);
      assert.deepEqual(err.missing, ["typescript", "openapi-typescript"]);
      assert.equal(err.installCommand, "npm install -D typescript@^5.9.3 openapi-typescript@^7.13.0");
      assert.equal(
        err.message,
        "generating needs typescript and openapi-typescript, not installed: run npm install -D typescript@^5.9.3 openapi-typescript@^7.13.0",
      );
      return true;
    });
  });

  it("names only the one that is missing", async () => {
    await assert.rejects(loadEmitTypes(without("openapi-typescript")), {
      name: "MissingToolsError",
      installCommand: "npm install -D openapi-typescript@^7.13.0",
    });
  });

  it("rethrows a failure that is not a missing package", async () => {
    const broken = () => {
      throw new Error("EACCES: permission denied");
    };
    await assert.rejects(loadEmitTypes(broken), /EACCES/);
  });

  it("asks for the versions package.json declares as optional peer dependencies", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    for (const [name, range] of Object.entries(GENERATOR_TOOLS)) {
      assert.equal(pkg.peerDependencies[name], range, name);
      assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, name);
      assert.equal(pkg.dependencies[name], undefined, `${name} must not be a runtime dependency`);
    }
  });
});
