import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { credentialsOf } from "../../src/config/credentials.js";
import type { ExecEntry } from "../../src/config/kubeconfig-file.js";
import { ConfigError, loadConfig } from "../../src/index.js";
import { authenticator } from "../../src/transport/auth.js";
import { execCredential, runExecPlugin } from "../../src/transport/exec-plugin.js";
import { repoRoot } from "../helpers/paths.js";
import { b64, makePki } from "../helpers/pki.js";

const plugin = join(repoRoot, "test/fixtures/exec-plugin.mjs");
const dir = mkdtempSync(join(tmpdir(), "kubefetch-exec-"));
let n = 0;
const logFile = () => join(dir, `log-${n++}.jsonl`);
const runs = (log: string) =>
  readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { args: string[]; info: Record<string, unknown>; extra: string | null });
const entry = (env: Record<string, string>, over: Partial<ExecEntry> = {}): ExecEntry => ({
  command: plugin,
  args: [],
  env: Object.entries(env).map(([name, value]) => ({ name, value })),
  apiVersion: "client.authentication.k8s.io/v1",
  interactiveMode: "Never",
  provideClusterInfo: false,
  ...over,
});
const ctx = { file: "kc", field: "users[0].user.exec", timeoutMs: 5000, stdinIsTTY: false };

describe("exec credential plugins", () => {
  it("get args, env and KUBERNETES_EXEC_INFO without cluster info unless provideClusterInfo", async () => {
    const log = logFile();
    const cred = await runExecPlugin(
      entry({ PLUGIN_LOG: log, PLUGIN_TOKEN: "t1", PLUGIN_EXTRA: "from-env" }, { args: ["get", "--x"] }),
      {
        ...ctx,
        cluster: { server: "https://s:1" },
      },
    );
    assert.deepEqual(cred, { token: "t1" });
    const [r] = runs(log);
    assert.deepEqual(r?.args, ["get", "--x"]);
    assert.equal(r?.extra, "from-env");
    assert.deepEqual(r?.info, {
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: { interactive: false },
    });
  });

  it("with provideClusterInfo, receive the cluster (server, CA data, exec extension) in KUBERNETES_EXEC_INFO", async () => {
    const pki = makePki();
    const log = logFile();
    const kc = join(dir, "cluster-info.yaml");
    writeFileSync(
      kc,
      `clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ${b64(pki.ca)}
    tls-server-name: api.internal
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: kube}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ${plugin}
      provideClusterInfo: true
      env: [{name: PLUGIN_LOG, value: ${log}}, {name: PLUGIN_TOKEN, value: t2}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const cfg = await loadConfig({ kubeconfig: kc, env: {} });
    assert.deepEqual(await authenticator(credentialsOf(cfg).auth).headers(), { authorization: "Bearer t2" });
    assert.deepEqual(runs(log)[0]?.info, {
      apiVersion: "client.authentication.k8s.io/v1beta1",
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: {
          server: "https://10.0.0.1:6443",
          "tls-server-name": "api.internal",
          "certificate-authority-data": b64(pki.ca),
          config: { audience: "kube" },
        },
      },
    });
  });

  it("cache a credential per whole exec config until it expires", async () => {
    const log = logFile();
    const e = entry({ PLUGIN_LOG: log, PLUGIN_TOKEN: "t3", PLUGIN_EXPIRES_MS: "60000" });
    const t0 = Date.now();
    await Promise.all([
      execCredential(e, ctx, t0),
      execCredential(e, ctx, t0),
      execCredential({ ...e }, ctx, t0),
    ]);
    assert.equal(runs(log).length, 1, "one run for one config, also when asked concurrently");
    await execCredential({ ...e, args: ["other"] }, ctx, t0);
    assert.equal(runs(log).length, 2, "another config (args) runs on its own");
    const c = await execCredential(e, ctx, t0 + 61_000);
    assert.equal(runs(log).length, 3, "an expired credential runs the plugin again");
    assert.equal(c.token, "t3");
  });

  it("run again after a 401", async () => {
    const log = logFile();
    const kc = join(dir, "reauth.yaml");
    writeFileSync(
      kc,
      `clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: true}}]
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, interactiveMode: Never, env: [{name: PLUGIN_LOG, value: ${log}}, {name: PLUGIN_TOKEN, value: t4}]}
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const auth = authenticator(credentialsOf(await loadConfig({ kubeconfig: kc, env: {} })).auth);
    await auth.headers();
    await auth.headers();
    assert.equal(runs(log).length, 1);
    assert.equal(await auth.unauthorized(), true);
    await auth.headers();
    assert.equal(runs(log).length, 2);
  });

  it("refuse interactiveMode Always without a terminal", async () => {
    await assert.rejects(
      runExecPlugin(entry({ PLUGIN_TOKEN: "x" }, { interactiveMode: "Always" }), ctx),
      (e: unknown) => e instanceof ConfigError && /needs an interactive terminal/.test(e.message),
    );
  });

  it("return a client certificate when the plugin gives one", async () => {
    const pki = makePki();
    const cred = await runExecPlugin(
      entry({ PLUGIN_MODE: "cert", PLUGIN_CERT: pki.certFile, PLUGIN_KEY: pki.keyFile }),
      ctx,
    );
    assert.equal(cred.clientCertificateData, pki.cert);
    assert.equal(cred.clientKeyData, pki.key);
  });
});
