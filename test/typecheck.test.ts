import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "./helpers/paths.js";

// Covers the type-level tests in test/types/: an @ts-expect-error that stops being an
// error fails tsc, and so this test.
it("the project type-checks (strict), including the type-level tests", async () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  try {
    await promisify(execFile)(process.execPath, [tsc, "-p", join(repoRoot, "tsconfig.json")], {
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    const e = err as { stdout?: string; message: string };
    assert.fail(e.stdout || e.message);
  }
});
