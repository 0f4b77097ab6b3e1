import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { proxyFromEnv } from "../../src/config/proxy-env.js";
import { loadConfig } from "../../src/index.js";

// Go's http.ProxyFromEnvironment, which kubectl uses when a cluster has no proxy-url.
describe("HTTPS_PROXY / NO_PROXY as kubectl honours them", () => {
  const env = { HTTPS_PROXY: "proxy.corp:3128", HTTP_PROXY: "http://plain-proxy:80" };
  it("https servers use HTTPS_PROXY, with http:// added when it has no scheme", () => {
    assert.equal(proxyFromEnv("https://kube.example:6443", env), "http://proxy.corp:3128");
  });
  it("http servers use HTTP_PROXY", () => {
    assert.equal(proxyFromEnv("http://kube.example:8080", env), "http://plain-proxy:80");
  });
  it("lower-case variables count when upper-case ones are unset", () => {
    assert.equal(proxyFromEnv("https://kube.example", { https_proxy: "http://lc:1" }), "http://lc:1");
  });
  it("loopback and localhost are never proxied", () => {
    for (const s of ["https://127.0.0.1:6443", "https://localhost:1", "https://[::1]:6443"]) {
      assert.equal(proxyFromEnv(s, env), undefined, s);
    }
  });
  const cases: [string, string, boolean][] = [
    ["*", "https://kube.example", false],
    ["kube.example", "https://kube.example", false],
    ["xample", "https://kube.example", true],
    ["example", "https://kube.example", false],
    ["example.com", "https://api.example.com", false],
    [".example.com", "https://example.com", true],
    [".example.com", "https://api.example.com", false],
    ["10.0.0.0/8", "https://10.1.2.3:6443", false],
    ["10.0.0.0/8", "https://11.1.2.3:6443", true],
    ["10.1.2.3", "https://10.1.2.3:6443", false],
    ["kube.example:443", "https://kube.example", false],
    ["kube.example:8443", "https://kube.example", true],
    ["other, kube.example", "https://kube.example", false],
    // IPv6, as Go's httpproxy: a CIDR, an address, an address with a port.
    ["2001:db8::/32", "https://[2001:db8::1]:6443", false],
    ["2001:db8::/32", "https://[2001:db9::1]:6443", true],
    ["2001:db8::1", "https://[2001:db8::1]:6443", false],
    ["[2001:db8::1]:6443", "https://[2001:db8::1]:6443", false],
    ["[2001:db8::1]:443", "https://[2001:db8::1]:6443", true],
    ["*.example.com", "https://api.example.com", false],
    ["*.example.com", "https://example.com", true],
    ["KUBE.example", "https://kube.example", false],
  ];
  for (const [noProxy, server, proxied] of cases) {
    it(`NO_PROXY=${noProxy}: ${server} is ${proxied ? "" : "not "}proxied`, () => {
      assert.equal(proxyFromEnv(server, { ...env, NO_PROXY: noProxy }) !== undefined, proxied);
    });
  }
});

describe("empty variables, as Go's getEnvAny: the first non-empty one counts", () => {
  it('HTTPS_PROXY="" does not hide https_proxy', () => {
    assert.equal(
      proxyFromEnv("https://kube.example", { HTTPS_PROXY: "", https_proxy: "http://lc:1" }),
      "http://lc:1",
    );
  });
  it('NO_PROXY="" does not hide no_proxy', () => {
    const env = { HTTPS_PROXY: "http://p:1", NO_PROXY: "", no_proxy: "kube.example" };
    assert.equal(proxyFromEnv("https://kube.example", env), undefined);
  });
});

describe("loadConfig's env option governs the proxy variables too", () => {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "kubefetch-proxyenv-")), "kc");
  writeFileSync(
    kubeconfig,
    "clusters: [{name: c, cluster: {server: https://kube.example:6443, insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
  );
  it("HTTPS_PROXY from the given env, never from process.env", async () => {
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = "http://from-process-env:1";
    try {
      assert.equal((await loadConfig({ kubeconfig, env: {} })).proxy, undefined);
      const cfg = await loadConfig({ kubeconfig, env: { HTTPS_PROXY: "http://from-option:3128" } });
      assert.equal(cfg.proxy, "http://from-option:3128");
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    }
  });
  it("NO_PROXY from the given env", async () => {
    const cfg = await loadConfig({
      kubeconfig,
      env: { HTTPS_PROXY: "http://p:3128", NO_PROXY: ".example" },
    });
    assert.equal(cfg.proxy, undefined);
  });
  it("a proxy's password is not shown on the config", async () => {
    const cfg = await loadConfig({ kubeconfig, env: { HTTPS_PROXY: "http://u:SECRET@p:3128" } });
    assert.equal(cfg.proxy, "http://u:***@p:3128/");
  });
});
