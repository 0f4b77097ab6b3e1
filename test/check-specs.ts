// npm run check:specs: every spec of the corpus generates AND type-checks (strict, library
// checks on). The test suite type-checks only the oldest, newest and enum variant; this
// checks all, in CI too (.ci/run).
//   npm run check:specs [-- --tsc 5.9|7]
// TypeScript 7 by default: 4 s per spec where 5.9 takes 17 s (1.35 on 2 cores), which is
// what keeps all 21 specs inside CI's budget; the suite's every-spec test keeps 5.9 on the
// oldest and newest. Each spec's type-check runs while the next one generates.
import { existsSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { specsDir } from "./helpers/paths.js";
import {
  generateSpec,
  listSpecs,
  scratchDir,
  tsc7,
  tsc59,
  typecheckGenerated,
} from "./helpers/spec-check.js";

const { values } = parseArgs({ options: { tsc: { type: "string", default: "7" } } });
const tsc = values.tsc === "7" ? tsc7 : values.tsc === "5.9" ? tsc59 : undefined;
if (!tsc) {
  console.error(`check:specs: --tsc must be 5.9 or 7, not ${values.tsc}`);
  process.exit(2);
}
if (!existsSync(tsc)) {
  console.error(
    `check:specs: no TypeScript ${values.tsc} at ${tsc} (run: npm ci --prefix bench/competitors)`,
  );
  process.exit(2);
}

const base = scratchDir("check-specs");
const started = performance.now();
const secs = (t: number) => ((performance.now() - t) / 1000).toFixed(1);
let failed = 0;
let pending: Promise<void> = Promise.resolve();
for (const spec of listSpecs()) {
  const name = relative(specsDir, spec);
  const out = join(base, name.replaceAll("/", "_"));
  const t = performance.now();
  let generated: Awaited<ReturnType<typeof generateSpec>>;
  try {
    generated = await generateSpec(spec, out);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${(err as Error).message}`);
    continue;
  }
  const gen = secs(t);
  // One type-check in flight: it runs in its own process while this one generates the next.
  await pending;
  pending = (async () => {
    const tt = performance.now();
    const tc = await typecheckGenerated(out, tsc);
    rmSync(out, { recursive: true, force: true });
    if (!tc.ok) {
      failed++;
      console.log(`FAIL ${name}: type errors (TypeScript ${values.tsc})\n${tc.output.slice(0, 2000)}`);
      return;
    }
    const r = generated;
    console.log(
      `ok   ${name}: ${r.groups} groups, ${r.resources} resources, ${r.definitions} definitions` +
        ` (generate ${gen} s, tsc ${values.tsc} ${secs(tt)} s)`,
    );
  })();
}
await pending;
rmSync(base, { recursive: true, force: true });
console.log(
  failed
    ? `${failed} spec(s) failed`
    : `all specs generate and type-check with TypeScript ${values.tsc} (${secs(started)} s)`,
);
process.exitCode = failed ? 1 : 0;
