// The package on each server runtime TypeScript services use: the same smoke (smoke.ts: every
// way to connect, a wrong CA, watch, the informer, logs, exec, port-forward) in one process of
// Node, Bun and Deno against the real cluster. Bun and Deno come from their npm packages in
// .ci/runtimes (scripts/test.mjs installs them); a missing runtime fails, never skips.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "kubefetch";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { startConnectProxy } from "../helpers/connect-proxy.js";
import { startKubectlProxy } from "../helpers/kubectl-proxy.js";
import { freePort, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";
import { emptyProject, npmInstall, packInto } from "../helpers/pack-install.js";
import { repoRoot } from "../helpers/paths.js";
import { makePki } from "../helpers/pki.js";
import type { SmokeInput } from "./smoke.js";

const cluster = nodeCluster();
const runtimes = join(repoRoot, ".ci/runtimes/node_modules");
// The smoke runs in a project that installed the packed tarball, as a user's does: each runtime
// loads the package from node_modules (Deno, for one, treats code there as npm code).
const base = mkdtempSync(join(tmpdir(), "kubefetch-runtimes-"));
const app = emptyProject(join(base, "app"));
const smoke = join(app, "smoke.ts");
/**
 * What each runtime runs: the package as it ships (dist/, through node_modules/kubefetch).
 * KUBEFETCH_SMOKE_BUN / _DENO name another build to try (an older release, say).
 */
const commands: Record<string, string[]> = {
  node: [process.execPath, "--import", import.meta.resolve("tsx"), smoke],
  bun: [process.env.KUBEFETCH_SMOKE_BUN ?? join(runtimes, "@oven/bun-linux-x64/bin/bun"), smoke],
  deno: [
    process.env.KUBEFETCH_SMOKE_DENO ?? join(runtimes, "@deno/linux-x64-glibc/deno"),
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "--allow-run",
    "--allow-write",
    "--allow-sys=homedir,uid,gid",
    "--no-lock",
    smoke,
  ],
};
/** Every check each runtime must report passed, in order. */
const CHECKS = [
  "kubeconfig: client certificate and CA",
  "kubeconfig: bearer token",
  "kubeconfig: exec plugin",
  "in-cluster service account",
  "kubectl proxy (plain HTTP)",
  "through an HTTP CONNECT proxy",
  "a wrong CA fails the call",
  "typed 404",
  "watch",
  "informer",
  "logs",
  "exec",
  "exec with a terminal",
  "cp",
  "port-forward",
];
const LOG_LINE = "hello from web";

let kube: Client;
let ns: string;
let port: number;
let proxy: { url: string; stop(): void };
let connectProxy: Awaited<ReturnType<typeof startConnectProxy>>;
const wrongCa = makePki();

before(async () => {
  await npmInstall(app, [await packInto(base)]);
  copyFileSync(join(import.meta.dirname, "smoke.ts"), smoke);
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "runtimes");
  port = await freePort();
  await kube.core.v1.pods.create({
    metadata: { name: "web", namespace: ns },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "c",
          image: cluster.images.busybox,
          imagePullPolicy: "Never",
          command: [
            "sh",
            "-c",
            `echo '${LOG_LINE}'; mkdir /www && head -c 1048576 /dev/urandom > /www/big && md5sum /www/big | cut -d' ' -f1 > /www/big.md5 && exec httpd -f -p 127.0.0.1:${port} -h /www`,
          ],
        },
      ],
    },
  });
  proxy = await startKubectlProxy(cluster.kubeconfigs.admin);
  connectProxy = await startConnectProxy();
  await waitForPod(kube, ns, "web", (p) => p.status?.phase === "Running", "Running");
});
after(async () => {
  proxy?.stop();
  await connectProxy?.close();
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
  rmSync(wrongCa.dir, { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
});

/** Runs the smoke on one runtime: its report, one entry per check, and how long it took. */
function runSmoke(
  runtime: string,
): Promise<{ results: { check: string; ok: boolean; error?: string }[]; ms: number; stderr: string }> {
  const [cmd, ...args] = commands[runtime] ?? [];
  assert.ok(cmd && existsSync(cmd), `${runtime} is not installed at ${cmd} (npm ci --prefix .ci/runtimes)`);
  const input: SmokeInput = {
    runtime,
    namespace: ns,
    pod: { name: "web", port, logLine: LOG_LINE },
    proxyUrl: proxy.url,
    connectProxyUrl: connectProxy.url,
    wrongCaFile: wrongCa.caFile,
    server: cluster.server,
    ca: cluster.ca,
    kubeconfigs: { admin: cluster.kubeconfigs.admin, token: cluster.kubeconfigs.token },
    adminToken: cluster.tokens.admin,
    serviceAccount: cluster.serviceAccount,
    host: cluster.host,
    apiPort: cluster.apiPort,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: app,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBEFETCH_SMOKE: JSON.stringify(input) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    // Each check times itself out at 30 s; this bounds a runtime that hangs outside them.
    const timer = setTimeout(() => child.kill("SIGKILL"), 6 * 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0)
        return reject(new Error(`${runtime} exited with ${code ?? signal}:\n${stderr}\n${out}`));
      const results = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { check: string; ok: boolean; error?: string });
      resolve({ results, ms: Date.now() - started, stderr });
    });
  });
}

describe("the integration smoke on each runtime", () => {
  for (const runtime of Object.keys(commands)) {
    it(`${runtime}: every check passes`, async (t) => {
      const tunnels = connectProxy.tunnels();
      const { results, ms } = await runSmoke(runtime);
      t.diagnostic(`${runtime}: ${results.length} checks in ${ms} ms`);
      const failed = results.filter((r) => !r.ok).map((r) => `${r.check}: ${r.error}`);
      assert.deepEqual(failed, [], `${runtime}: failed checks`);
      // The proxy check's call went through the proxy, not around it.
      assert.ok(connectProxy.tunnels() > tunnels, `${runtime}: no tunnel through the CONNECT proxy`);
      assert.deepEqual(
        results.map((r) => r.check),
        CHECKS,
      );
    });
  }
});
