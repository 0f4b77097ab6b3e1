import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { testCluster } from "../helpers/cluster.js";
import { repoRoot } from "../helpers/paths.js";
import { clusterEnv, sh } from "../helpers/shell.js";

// examples/testing/, each test file run with the command its first line gives, as a user of the
// package runs it (kubefetch from the build): the fake under node:test and Vitest, and the
// controller example against a control plane made of the test cluster's own binaries.
const dir = join(repoRoot, "examples/testing");
const commandOf = (file: string) => {
  const first = readFileSync(join(dir, file), "utf8").split("\n")[0] ?? "";
  const m = /^\/\/ Run:\s+(.+)$/.exec(first);
  assert.ok(m?.[1], `examples/testing/${file}: the first line does not say how to run it`);
  return m[1];
};
const cluster = testCluster();
// The fake needs no kubeconfig; a nested node --test must not report to this one.
const env: NodeJS.ProcessEnv = { ...clusterEnv(cluster), KUBECONFIG: "/nonexistent" };
delete env.NODE_TEST_CONTEXT;
const assets = mkdtempSync(join(tmpdir(), "kubefetch-assets-"));
after(() => rmSync(assets, { recursive: true, force: true }));

describe("examples/testing, each run as its first line says", () => {
  it("every test file there says how to run it", () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".test.ts"))
      .sort();
    assert.deepEqual(files, [
      "controller.envtest.test.ts",
      "deployment-info.test.ts",
      "deployment-info.vitest.test.ts",
    ]);
    for (const f of files) commandOf(f);
  });

  it("the reconcile function's tests pass against the fake under node:test", async () => {
    const r = await sh(commandOf("deployment-info.test.ts"), { env }).done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass 4\b/);
    assert.match(r.stdout, /# fail 0\b/);
  });

  it("and under Vitest", async () => {
    const r = await sh(commandOf("deployment-info.vitest.test.ts"), { env }).done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Tests\s+.*2 passed/);
  });

  it("the controller example passes its envtest-style test on a control plane of the cluster's binaries", {
    timeout: 180_000,
  }, async () => {
    symlinkSync(cluster.apiserver.binary, join(assets, "kube-apiserver"));
    symlinkSync(cluster.etcd.binary, join(assets, "etcd"));
    symlinkSync(cluster.kubectl, join(assets, "kubectl"));
    const command = commandOf("controller.envtest.test.ts").replace(/<folder[^>]*>/, assets);
    const r = await sh(command, { env, timeoutMs: 170_000 }).done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass 1\b/);
  });
});
