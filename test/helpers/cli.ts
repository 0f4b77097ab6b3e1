import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../codegen/cli.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubefetch ...args` in-process, capturing what it prints. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/**
 * `kubefetch generate --from-cluster` into `out` until its registry has `marker`, at most 40
 * times: a new CRD's schema reaches /openapi/v2 a moment after the CRD is served. Each run
 * must succeed and pass `check`. Returns the last registry.ts.
 */
export async function generateFromClusterUntil(
  kubeconfig: string,
  out: string,
  marker: string,
  check: (run: CliRun) => void = () => {},
): Promise<string> {
  let registry = "";
  for (let i = 0; i < 40 && !registry.includes(marker); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    const r = await runCli("generate", "--from-cluster", "--kubeconfig", kubeconfig, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    check(r);
    registry = readFileSync(join(out, "registry.ts"), "utf8");
  }
  return registry;
}
