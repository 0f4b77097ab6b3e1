import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type KubeConfig, loadConfig } from "../../src/index.js";
import { createTransport, type Transport } from "../../src/transport/index.js";
import { generateFromClusterUntil, runCli } from "../helpers/cli.js";
import { serverMinor, testCluster } from "../helpers/cluster.js";
import { startConnectProxy } from "../helpers/connect-proxy.js";
import { crdFor } from "../helpers/crd.js";
import { definitionText } from "../helpers/generated.js";
import { startKubectlProxy } from "../helpers/kubectl-proxy.js";
import { repoRoot } from "../helpers/paths.js";

const cluster = testCluster();
const dir = mkdtempSync(join(tmpdir(), "kubefetch-config-int-"));
const plugin = join(repoRoot, "test/fixtures/exec-plugin.mjs");
const env = {}; // nothing from the developer's own environment

/** A kubeconfig for the test cluster with the given user body (YAML, indented 4). */
function kubeconfig(name: string, userBody: string, clusterExtra = ""): string {
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${cluster.server}
    certificate-authority: ${cluster.ca}${clusterExtra}
users:
- name: ${name}
  user:
${userBody.replace(/^/gm, "    ")}
contexts:
- name: test
  context: {cluster: test, user: ${name}, namespace: default}
current-context: test
`,
  );
  return file;
}

// One transport per config, as one client has: rotation and keep-alive are per transport.
const transports = new Map<KubeConfig, Transport>();
after(async () => {
  for (const t of transports.values()) await t.close();
});
function transportFor(cfg: KubeConfig): Transport {
  let t = transports.get(cfg);
  if (!t) {
    t = createTransport(cfg);
    transports.set(cfg, t);
  }
  return t;
}

async function listNamespaces(cfg: KubeConfig) {
  const t = transportFor(cfg);
  const res = await t.fetch("/api/v1/namespaces");
  const body = (await res.json()) as { items?: { metadata: { name: string } }[]; message?: string };
  return {
    status: res.status,
    names: body.items?.map((i) => i.metadata.name) ?? [],
    message: body.message ?? "",
  };
}

const runs = (log: string) => readFileSync(log, "utf8").split("\n").filter(Boolean).length;

describe("every credential kind lists namespaces on the real cluster", () => {
  it("client certificate (admin kubeconfig)", async () => {
    const cfg = await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env });
    assert.equal(cfg.auth, "client-certificate");
    const r = await listNamespaces(cfg);
    assert.equal(r.status, 200);
    assert.ok(r.names.includes("default"));
  });

  it("bearer token (token kubeconfig)", async () => {
    const cfg = await loadConfig({ kubeconfig: cluster.kubeconfigs.token, env });
    assert.equal(cfg.auth, "token");
    assert.equal((await listNamespaces(cfg)).status, 200);
  });

  it("tokenFile", async () => {
    const tok = join(dir, "admin.token");
    writeFileSync(tok, `${cluster.tokens.admin}\n`);
    const cfg = await loadConfig({ kubeconfig: kubeconfig("tf", `tokenFile: ${tok}`), env });
    assert.equal(cfg.auth, "token-file");
    assert.equal((await listNamespaces(cfg)).status, 200);
  });

  it("exec plugin giving a token", async () => {
    const log = join(dir, "exec-token.log");
    const cfg = await loadConfig({
      kubeconfig: kubeconfig(
        "exectoken",
        `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ${plugin}\n  interactiveMode: Never\n  env: [{name: PLUGIN_TOKEN, value: "${cluster.tokens.admin}"}, {name: PLUGIN_LOG, value: ${log}}]`,
      ),
      env,
    });
    assert.equal((await listNamespaces(cfg)).status, 200);
  });

  it("exec plugin giving a client certificate", async () => {
    const cfg = await loadConfig({
      kubeconfig: kubeconfig(
        "execcert",
        `exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: ${plugin}\n  env: [{name: PLUGIN_MODE, value: cert}, {name: PLUGIN_CERT, value: ${cluster.certs.admin.cert}}, {name: PLUGIN_KEY, value: ${cluster.certs.admin.key}}]`,
      ),
      env,
    });
    assert.equal((await listNamespaces(cfg)).status, 200);
  });

  it("an unprivileged client certificate is authenticated and refused by RBAC", async () => {
    const r = await listNamespaces(await loadConfig({ kubeconfig: cluster.kubeconfigs.unprivileged, env }));
    assert.equal(r.status, 403);
    assert.match(r.message, /User "alice" cannot list resource "namespaces"/);
  });

  it("the service-account folder works in-cluster, with KUBERNETES_SERVICE_HOST/PORT set", async () => {
    const cfg = await loadConfig({
      serviceAccountDir: cluster.serviceAccount.dir,
      env: { KUBERNETES_SERVICE_HOST: cluster.host, KUBERNETES_SERVICE_PORT: String(cluster.apiPort) },
    });
    assert.equal(cfg.source, "in-cluster");
    assert.equal(cfg.server, cluster.server);
    assert.equal(cfg.namespace, cluster.serviceAccount.namespace);
    const t = createTransport(cfg);
    const own = await t.request(`/api/v1/namespaces/${cfg.namespace}/pods`);
    assert.equal(own.statusCode, 200);
    await own.body.dump();
    const other = await t.request("/api/v1/namespaces/default/pods");
    assert.equal(other.statusCode, 403);
    await other.body.dump();
  });

  it("impersonation sends each group as its own header (the server does not split commas)", async () => {
    // As alice with only "devs", the list is refused; with system:masters as a second group,
    // it works: both prove the groups arrived as two values.
    const asDevs = await loadConfig({
      kubeconfig: kubeconfig("imp1", `token: ${cluster.tokens.admin}\nas: alice\nas-groups: [devs]`),
      env,
    });
    const refused = await listNamespaces(asDevs);
    assert.equal(refused.status, 403);
    assert.match(refused.message, /User "alice"/);
    const asMaster = await loadConfig({
      kubeconfig: kubeconfig(
        "imp2",
        `token: ${cluster.tokens.admin}\nas: alice\nas-groups: [devs, "system:masters"]`,
      ),
      env,
    });
    assert.equal((await listNamespaces(asMaster)).status, 200);
  });

  it("proxy-url: requests go through an HTTP CONNECT proxy on kept-alive tunnels", async () => {
    const proxy = await startConnectProxy();
    try {
      const cfg = await loadConfig({
        kubeconfig: kubeconfig("proxied", `token: ${cluster.tokens.admin}`, `\n    proxy-url: ${proxy.url}`),
        env,
      });
      for (let i = 0; i < 10; i++) assert.equal((await listNamespaces(cfg)).status, 200);
      // Raw undici against this apiserver opens a second connection at the second request,
      // then reuses both; kubefetch matches it. Without keep-alive this would be 10.
      assert.ok(proxy.tunnels() >= 1 && proxy.tunnels() <= 2, `${proxy.tunnels()} tunnels`);
    } finally {
      await proxy.close();
    }
  });
});

describe("basic auth and oidc id-token reach the server as kubectl sends them", () => {
  // The test apiserver (1.20) no longer has basic auth and has no OIDC issuer: a loopback
  // server of ours records the headers instead.
  let seen: IncomingHttpHeaders[] = [];
  let rawSeen: string[][] = [];
  let url = "";
  const server = createServer((req, res) => {
    seen.push(req.headers);
    rawSeen.push(req.rawHeaders);
    res.writeHead(200, { "content-type": "application/json" }).end('{"kind":"NamespaceList","items":[]}');
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  const plain = (name: string, userBody: string) => {
    const file = join(dir, `${name}.plain.kubeconfig`);
    writeFileSync(
      file,
      `clusters: [{name: c, cluster: {server: "${url}"}}]\nusers:\n- name: u\n  user:\n${userBody.replace(/^/gm, "    ")}\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    return file;
  };

  it("username/password as Basic", async () => {
    seen = [];
    await listNamespaces(
      await loadConfig({ kubeconfig: plain("basic", "username: admin\npassword: s3cret"), env }),
    );
    assert.equal(seen[0]?.authorization, `Basic ${Buffer.from("admin:s3cret").toString("base64")}`);
  });

  it("oidc id-token as Bearer", async () => {
    seen = [];
    await listNamespaces(
      await loadConfig({
        kubeconfig: plain("oidc", "auth-provider:\n  name: oidc\n  config: {id-token: eyJ.oidc.token}"),
        env,
      }),
    );
    assert.equal(seen[0]?.authorization, "Bearer eyJ.oidc.token");
  });

  it("impersonation headers: uid, each group and each extra value on its own line", async () => {
    rawSeen = [];
    await listNamespaces(
      await loadConfig({
        kubeconfig: plain(
          "imp",
          "token: t\nas: bob\nas-uid: u-1\nas-groups: [a, b]\nas-user-extra:\n  scopes.example/x: [one, two]",
        ),
        env,
      }),
    );
    const raw = rawSeen[0] ?? [];
    const pairs: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2)
      pairs.push([(raw[i] as string).toLowerCase(), raw[i + 1] as string]);
    assert.deepEqual(
      pairs.filter(([k]) => k.startsWith("impersonate-")),
      [
        ["impersonate-user", "bob"],
        ["impersonate-uid", "u-1"],
        ["impersonate-group", "a"],
        ["impersonate-group", "b"],
        ["impersonate-extra-scopes.example%2fx", "one"],
        ["impersonate-extra-scopes.example%2fx", "two"],
      ],
    );
  });
});

describe("kubectl proxy: plain HTTP, no credentials in the program", () => {
  let proxy: Awaited<ReturnType<typeof startKubectlProxy>>;
  let server = "";
  before(async () => {
    proxy = await startKubectlProxy(cluster.kubeconfigs.admin);
    server = proxy.url;
  });
  after(() => proxy.stop());

  it("an explicit http:// server reaches the cluster through kubectl proxy", async () => {
    const cfg = await loadConfig({ server, env });
    assert.equal(cfg.source, "explicit");
    assert.equal(cfg.auth, "none");
    const r = await listNamespaces(cfg);
    assert.equal(r.status, 200);
    assert.ok(r.names.includes("default"));
  });
});

describe("credentials that change", () => {
  it("an exec plugin runs once for many requests and again when its credential expires", async () => {
    const log = join(dir, "expiring.log");
    writeFileSync(log, "");
    const cfg = await loadConfig({
      kubeconfig: kubeconfig(
        "expiring",
        `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ${plugin}\n  interactiveMode: Never\n  env: [{name: PLUGIN_TOKEN, value: "${cluster.tokens.admin}"}, {name: PLUGIN_EXPIRES_MS, value: "1500"}, {name: PLUGIN_LOG, value: ${log}}]`,
      ),
      env,
    });
    for (let i = 0; i < 20; i++) assert.equal((await listNamespaces(cfg)).status, 200);
    assert.equal(runs(log), 1);
    await new Promise((r) => setTimeout(r, 1700));
    assert.equal((await listNamespaces(cfg)).status, 200);
    assert.equal(runs(log), 2);
  });

  it("a rotated token file is picked up without a failed request", async () => {
    const tok = join(dir, "rotating.token");
    writeFileSync(tok, cluster.tokens.admin);
    const cfg = await loadConfig({
      kubeconfig: kubeconfig("rotating", `tokenFile: ${tok}`),
      env,
      tokenRefreshMs: 300,
    });
    assert.equal((await listNamespaces(cfg)).status, 200);
    // The kubelet writes the new token while the old one is still valid.
    writeFileSync(tok, cluster.tokens.unprivileged);
    await new Promise((r) => setTimeout(r, 350));
    const after = await listNamespaces(cfg);
    assert.equal(after.status, 403, "the new token (bob) is in use");
    assert.match(after.message, /User "bob"/);
  });

  it("a token file is re-read at once after a 401, within the refresh period", async () => {
    const tok = join(dir, "fixed.token");
    writeFileSync(tok, "not-a-valid-token");
    const cfg = await loadConfig({ kubeconfig: kubeconfig("fixed", `tokenFile: ${tok}`), env });
    assert.equal((await listNamespaces(cfg)).status, 401);
    writeFileSync(tok, cluster.tokens.admin);
    // Within the minute, only the 401 makes the file be read again; the retry succeeds.
    assert.equal((await listNamespaces(cfg)).status, 200);
  });
});

describe("kubefetch generate --from-cluster", () => {
  it("types the cluster's CRDs", async () => {
    const crd = crdFor({
      group: "configtest.example.com",
      kind: "CronTab",
      plural: "crontabs",
      spec: {
        required: ["cronSpec"],
        properties: { cronSpec: { type: "string" }, replicas: { type: "integer" } },
      },
    });
    const t = createTransport(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env }));
    const res = await t.request("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(crd),
    });
    assert.ok([201, 409].includes(res.statusCode), `${res.statusCode}`);
    await res.body.dump();
    const out = join(dir, "gen");
    const registry = await generateFromClusterUntil(
      cluster.kubeconfigs.admin,
      out,
      '"configtestExampleCom"',
      (r) => {
        // The current release serves /openapi/v3 (GA in 1.27), preferred; the v2 fallback is
        // test/old-server's.
        assert.match(
          r.stdout,
          /source: +cluster https:\/\/127\.0\.0\.1:\d+ \(context kubefetch-test\), \/openapi\/v3\n/,
        );
        assert.match(r.stdout, new RegExp(`\\(Kubernetes 1\\.${serverMinor(cluster)}\\)`));
      },
    );
    assert.match(registry, /"configtestExampleCom": \{\n\s+"v1": \{\n\s+"crontabs": \{/);
    const types = readFileSync(join(out, "components.d.ts"), "utf8");
    assert.match(
      definitionText(types, "com.example.configtest.v1.CronTab"),
      /kind: "CronTab";[\s\S]*?cronSpec: string;/,
    );
  });

  it("a bad kubeconfig is one line, exit 1", async () => {
    const r = await runCli(
      "generate",
      "--from-cluster",
      "--kubeconfig",
      join(dir, "none.yaml"),
      "--out",
      join(dir, "x"),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kubefetch generate: kubeconfig: .*none\.yaml: kubeconfig file not found\n$/);
  });
});
