// npm run check:specs: every spec of the corpus generates AND type-checks (strict, library checks
// on). The test suite type-checks only the oldest, newest and enum variant; this checks all.
import { rmSync } from "node:fs";
import { join, relative } from "node:path";
import { specsDir } from "./helpers/paths.js";
import { generateSpec, listSpecs, scratchDir, typecheckGenerated } from "./helpers/spec-check.js";

const base = scratchDir("check-specs");
let failed = 0;
for (const spec of listSpecs()) {
  const name = relative(specsDir, spec);
  const out = join(base, name.replaceAll("/", "_"));
  const t = performance.now();
  try {
    const r = await generateSpec(spec, out);
    const tc = await typecheckGenerated(out);
    const secs = ((performance.now() - t) / 1000).toFixed(1);
    if (!tc.ok) {
      failed++;
      console.log(`FAIL ${name}: type errors\n${tc.output.slice(0, 2000)}`);
    } else {
      console.log(
        `ok   ${name}: ${r.groups} groups, ${r.resources} resources, ${r.definitions} definitions (${secs} s)`,
      );
    }
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${(err as Error).message}`);
  }
}
rmSync(base, { recursive: true, force: true });
console.log(failed ? `${failed} spec(s) failed` : "all specs generate and type-check");
process.exitCode = failed ? 1 : 0;
