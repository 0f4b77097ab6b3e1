// Kubeconfigs as other projects write them, read as kubectl reads them: the real kubectl and
// loadConfig() on the same files, against loopback servers (ours, and the test apiserver).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { loadConfig } from "../../src/index.js";
import { testCluster } from "../helpers/cluster.js";
import { runKubectl } from "../helpers/kubectl-run.js";
import { startSocks5Proxy } from "../helpers/socks5-proxy.js";

const cluster = testCluster();
const dir = mkdtempSync(join(tmpdir(), "kubefetch-others-"));
const adminCert = readFileSync(cluster.certs.admin.cert).toString("base64");
const adminKey = readFileSync(cluster.certs.admin.key).toString("base64");
let plainUrl = "";
const plainSeen: string[] = [];
const plain = createServer((req, res) => {
  plainSeen.push(`${req.method} ${req.url}`);
  res
    .writeHead(200, { "content-type": "application/json" })
    .end('{"major":"1","minor":"20","gitVersion":"v1.20.2"}');
});
before(async () => {
  await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
  plainUrl = `127.0.0.1:${(plain.address() as AddressInfo).port}`;
});
after(() => plain.close());

function write(name: string, cluster: string, user = "{}"): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n${cluster.replace(/^/gm, "    ")}\nusers:\n- name: u\n  user: ${user}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
  );
  return file;
}

/** The URL kubectl requested /version at, from its -v=6 log; undefined when it failed. */
async function kubectlVersionUrl(kubeconfig: string): Promise<string | undefined> {
  const r = await runKubectl(
    ["get", "--raw", "/version", "-v=6", `--kubeconfig=${kubeconfig}`, `--cache-dir=${join(dir, "cache")}`],
    { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir }, timeoutMs: 30_000 },
  );
  return r.code === 0 ? /GET (\S+)\/version 200 OK/.exec(r.stderr)?.[1] : undefined;
}

async function oursVersion(kubeconfig: string): Promise<string> {
  const cfg = await loadConfig({ kubeconfig, env: {} });
  const kube = createClient(cfg);
  try {
    await kube.discovery.version();
    return cfg.server;
  } finally {
    await kube.close();
  }
}

describe("kubeconfigs of other projects, judged by kubectl", () => {
  it("a server without a scheme is http://", async () => {
    const f = write("no-scheme.kubeconfig", `server: ${plainUrl}`);
    plainSeen.length = 0;
    assert.equal(await kubectlVersionUrl(f), `http://${plainUrl}`);
    assert.equal(await oursVersion(f), `http://${plainUrl}`);
    // kubectl also checks /version?timeout=... for its skew warning.
    assert.ok(
      plainSeen.length >= 2 && plainSeen.every((r) => r.startsWith("GET /version")),
      plainSeen.join(),
    );
  });

  it("a server without a scheme is http:// even with a CA and a client certificate", async () => {
    const f = write(
      "no-scheme-tls.kubeconfig",
      `server: ${plainUrl}\ncertificate-authority: ${cluster.ca}`,
      `{client-certificate-data: ${adminCert}, client-key-data: ${adminKey}}`,
    );
    assert.equal(await kubectlVersionUrl(f), `http://${plainUrl}`);
    assert.equal(await oursVersion(f), `http://${plainUrl}`);
  });

  it("certificate data of an http:// cluster is never read (a placeholder in another suite's fixture)", async () => {
    // "CADATA" base64-encoded: not a certificate. kubectl does not look at it for http.
    const f = write(
      "placeholder-ca.kubeconfig",
      `server: http://${plainUrl}\ncertificate-authority-data: ${Buffer.from("CADATA").toString("base64")}`,
    );
    assert.equal(await kubectlVersionUrl(f), `http://${plainUrl}`);
    assert.equal(await oursVersion(f), `http://${plainUrl}`);
  });

  it("a socks5:// proxy-url: both go through the SOCKS5 proxy to the real apiserver", async () => {
    const proxy = await startSocks5Proxy();
    try {
      const f = write(
        "socks5.kubeconfig",
        `server: ${cluster.server}\ncertificate-authority: ${cluster.ca}\nproxy-url: ${proxy.url}`,
        `{client-certificate-data: ${adminCert}, client-key-data: ${adminKey}}`,
      );
      assert.equal(await kubectlVersionUrl(f), cluster.server);
      const kubectlTunnels = proxy.targets.length;
      assert.ok(kubectlTunnels >= 1, "kubectl went through the proxy");
      assert.equal(await oursVersion(f), cluster.server);
      assert.ok(proxy.targets.length > kubectlTunnels, "loadConfig's client went through the proxy");
      assert.ok(
        proxy.targets.every((t) => t === `127.0.0.1:${cluster.apiPort}`),
        proxy.targets.join(),
      );
    } finally {
      await proxy.close();
    }
  });
});
