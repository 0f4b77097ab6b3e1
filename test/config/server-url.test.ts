// The server and proxy URLs, normalised once where a config is made, and the rules decided
// on that form (the security and liveness review, #25: items 1, 3, 16, 18).
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { inspect } from "node:util";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { ConfigError, createConfig, loadConfig, withServer } from "../../src/index.js";
import { fakeApiserver, json } from "../helpers/fake-apiserver.js";
import { makePki } from "../helpers/pki.js";

const pki = makePki();
after(() => rmSync(pki.dir, { recursive: true, force: true }));
const kubeconfig = (server: string, user = "{token: SECRET-TOKEN}") =>
  `clusters: [{name: c, cluster: {server: "${server}", certificate-authority-data: ${Buffer.from(pki.ca).toString("base64")}}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;

describe("the scheme and host are read case-insensitively, as kubectl and Go do", () => {
  for (const server of ["HTTP://kube.example:8080", "Http://kube.example:8080"]) {
    it(`${server} with a token is refused as plain http to a non-loopback server`, async () => {
      assert.throws(
        () => createConfig({ server, token: "SECRET-TOKEN", env: {} }),
        (e: unknown) => e instanceof ConfigError && /plain http/.test(e.message) && !/SECRET/.test(e.message),
      );
      await assert.rejects(
        loadConfig({ kubeconfigText: kubeconfig(server), env: {} }),
        (e: unknown) => e instanceof ConfigError && /plain http/.test(e.message),
      );
    });
  }

  it("HTTPS:// keeps the CA and the client certificate", async () => {
    const user = `{client-certificate-data: ${Buffer.from(pki.cert).toString("base64")}, client-key-data: ${Buffer.from(pki.key).toString("base64")}}`;
    const cfg = await loadConfig({ kubeconfigText: kubeconfig("HTTPS://Kube.Example:6443", user), env: {} });
    assert.equal(cfg.server, "https://kube.example:6443");
    assert.equal(cfg.tls.ca, pki.ca);
    assert.equal(cfg.tls.clientCertificate, true);
  });

  it("the normalised form: lower-case scheme and host, no default port, no trailing slash, a path kept", () => {
    const cases: [string, string][] = [
      ["https://HOST.example:443", "https://host.example"],
      ["http://127.0.0.1:80/", "http://127.0.0.1"],
      ["HTTPS://[::1]:6443/", "https://[::1]:6443"],
      ["https://rancher.example/k8s/clusters/c-1/", "https://rancher.example/k8s/clusters/c-1"],
      ["kube.example:6443", "http://kube.example:6443"],
    ];
    for (const [given, want] of cases)
      assert.equal(createConfig({ server: given, env: {} }).server, want, given);
    assert.throws(() => createConfig({ server: "https://h/?a=1", env: {} }), /query or a fragment/);
  });

  it("in-cluster's https://host:443 is the normalised https://host", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "kubefetch-sa-"));
    writeFileSync(join(dir, "token"), "t");
    writeFileSync(join(dir, "ca.crt"), pki.ca);
    const cfg = await loadConfig({
      mode: "in-cluster",
      serviceAccountDir: dir,
      env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
    });
    assert.equal(cfg.server, "https://10.96.0.1");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("kube.raw with a server not written in normalised form", () => {
  it("an upper-case host and the default port: raw calls work as typed ones do", async () => {
    const s = await fakeApiserver((_req, res) =>
      json(res, 200, { kind: "ConfigMap", metadata: { name: "x" } }),
    );
    const port = new URL(s.url).port;
    const kube = createClient(createConfig({ server: `HTTP://LOCALHOST:${port}/`, env: {} }), {
      onWarning: () => {},
    });
    const r = await kube.raw.GET("/api/v1/namespaces/d/configmaps/x", {});
    assert.equal(r.response.status, 200);
    await kube.close();
    await s.close();
  });
});

/** A loopback CONNECT proxy that records what it was sent and answers 407: it never dials out. */
async function recordingProxy() {
  const seen: { url: string; auth: string | undefined }[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, socket) => {
    seen.push({ url: req.url ?? "", auth: req.headers["proxy-authorization"] });
    socket.end("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe("proxy credentials", () => {
  it("a bad HTTPS_PROXY is a ConfigError naming the variable, with no password in it or its inspect", async () => {
    for (const bad of ["http://user:PASSWORD@proxy:99999", "http://user:PASSWORD@[zz]:1"]) {
      const failures = [
        () => createConfig({ server: "https://kube.example", env: { HTTPS_PROXY: bad } }),
        () => loadConfig({ kubeconfigText: kubeconfig("https://kube.example"), env: { HTTPS_PROXY: bad } }),
      ];
      for (const make of failures) {
        const err = await Promise.resolve()
          .then(make)
          .then(
            () => assert.fail("accepted"),
            (e: unknown) => e,
          );
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /HTTPS_PROXY \(environment\)/);
        assert.doesNotMatch(inspect(err, { depth: 10 }), /PASSWORD/);
      }
    }
  });

  it("a token as the proxy's username is redacted on the config, its JSON and inspect", () => {
    const cfg = createConfig({
      server: "https://kube.example",
      env: { HTTPS_PROXY: "http://PROXYTOKEN@proxy:3128" },
    });
    assert.equal(cfg.proxy, "http://***@proxy:3128/");
    assert.doesNotMatch(JSON.stringify(cfg), /PROXYTOKEN/);
    assert.doesNotMatch(inspect(cfg, { depth: 10, showHidden: true }), /PROXYTOKEN/);
  });

  for (const [userinfo, basic] of [
    ["PROXYTOKEN", "PROXYTOKEN:"],
    ["user:pa%20ss", "user:pa ss"],
  ] as const) {
    it(`the proxy's userinfo ${userinfo} goes out as Basic auth, as kubectl sends it`, async () => {
      const p = await recordingProxy();
      const cfg = createConfig({
        server: "https://kube.example:6443",
        ca: pki.ca,
        env: { HTTPS_PROXY: `http://${userinfo}@127.0.0.1:${p.port}` },
      });
      const kube = createClient(cfg, { retry: { maxRetries: 0 }, onWarning: () => {} });
      await assert.rejects(kube.core.v1.namespaces.list());
      assert.equal(p.seen[0]?.url, "kube.example:6443");
      assert.equal(p.seen[0]?.auth, `Basic ${Buffer.from(basic).toString("base64")}`);
      await kube.close();
      await p.close();
    });
  }
});

describe("changing a config's server decides what its credentials mean", () => {
  it("a spread copy with another server is refused before anything is sent there", async () => {
    const other = await fakeApiserver((_req, res) => json(res, 200, {}));
    const cfg = createConfig({ server: "http://127.0.0.1:1", token: "SECRET-TOKEN", env: {} });
    assert.throws(
      () => createClient({ ...cfg, server: other.url }),
      (e: unknown) => e instanceof ConfigError && /withServer/.test(e.message) && !/SECRET/.test(e.message),
    );
    assert.equal(other.seen.length, 0);
    await other.close();
  });

  it("withServer sends the same credentials to the new address, held to the cleartext rule", async () => {
    const other = await fakeApiserver((_req, res) =>
      json(res, 200, { kind: "NamespaceList", metadata: {}, items: [] }),
    );
    const cfg = createConfig({ server: "http://127.0.0.1:1", token: "SECRET-TOKEN", env: {} });
    const moved = withServer(cfg, other.url);
    assert.equal(moved.server, other.url);
    const kube = createClient(moved, { onWarning: () => {} });
    await kube.core.v1.namespaces.list();
    assert.equal(other.seen[0]?.headers.authorization, "Bearer SECRET-TOKEN");
    assert.throws(() => withServer(cfg, "http://kube.example"), /plain http/);
    // A namespace change keeps working as a spread.
    createClient({ ...moved, namespace: "x" });
    await kube.close();
    await other.close();
  });
});
