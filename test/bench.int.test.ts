import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "./helpers/paths.js";

// Timing goals live in bench/, never here: this only proves the harness still runs every
// benchmark (one tiny round each, the real-apiserver one on this run's cluster) and reports
// every figure.
it("bench: every benchmark runs once with tiny sizes and reports its figures", async () => {
  const r = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--conditions=kubefetch-source", join(repoRoot, "bench/run.ts"), "--tiny"],
    { cwd: repoRoot, maxBuffer: 16 << 20, timeout: 300_000 },
  );
  for (const name of [
    "codegen",
    "typecheck-ts59",
    "typecheck-ts59-libcheck-pod",
    "typecheck-ts59-libcheck-client",
    "typecheck-ts7",
    "typecheck-ts7-libcheck",
  ]) {
    assert.match(r.stdout, new RegExp(`### ${name}: `), `${name} did not report`);
  }
  assert.match(r.stdout, /\| kubefetch \| names a Pod, TS 5\.9, skipLibCheck true \| -?\d/);
  assert.match(r.stdout, /\| @kubernetes\/client-node \| names a Pod, TS 7, skipLibCheck false \| -?\d/);
  assert.match(r.stdout, /\| embedded default \(1\.36\) \| generate time \| \d/);
  // Below 100 req/s (a loaded machine) the figure has decimals.
  assert.match(r.stdout, /\| @kubernetes\/client-node \(Node 22\) \| sequential \| [\d.]+ req\/s/);
  assert.match(r.stdout, /\| kubefetch \| node_modules \| [\d.]+ MB/);
  assert.match(r.stdout, /\| kubefetch \| reconciles\/s, 50 objects from start .* \| [\d.]+ req\/s/);
  assert.match(r.stdout, /\| kubefetch \| heap per cached ConfigMap \(informer store\) \| [\d.]+ KB/);
  assert.match(r.stdout, /\| kubefetch \| install time \| [\d.]+ s/);
  assert.match(r.stdout, /\| kubectl port-forward \| 10 MiB download \| [\d.]+ ms/);
  assert.doesNotMatch(r.stdout, /wrote .*RESULTS\.md/);
});
