// A config is a plain value: built from credentials in memory, copied with another namespace,
// used for any number of clients, each owning its connections. On the real cluster (and a
// second one, started here, for two clusters in one process).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { inspect } from "node:util";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import {
  ClientClosedError,
  ConfigError,
  createConfig,
  type KubeConfig,
  loadConfig,
  withNamespace,
} from "../../src/index.js";
import { type TestCluster, testCluster, uniqueName } from "../helpers/cluster.js";
import { repoRoot } from "../helpers/paths.js";

const cluster = testCluster();
const ca = readFileSync(cluster.ca, "utf8");
const ns = uniqueName("cfgval");
let admin: ReturnType<typeof createClient>;

before(async () => {
  admin = createClient(createConfig({ server: cluster.server, ca, token: cluster.tokens.admin, env: {} }));
  await admin.core.v1.namespaces.create({ metadata: { name: ns } });
});
after(async () => {
  await admin.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await admin.close();
});

describe("createConfig: credentials a program already has", () => {
  it("a server, its CA and a token", async () => {
    const cfg = createConfig({
      server: cluster.server,
      ca,
      token: cluster.tokens.admin,
      namespace: ns,
      env: {},
    });
    assert.equal(cfg.source, "explicit");
    assert.equal(cfg.auth, "token");
    const kube = createClient(cfg);
    await kube.core.v1.configmaps.create({ metadata: { name: "from-token" } });
    assert.equal((await kube.core.v1.configmaps.get({ name: "from-token" })).metadata?.namespace, ns);
    await kube.close();
  });

  it("a client certificate and key, as PEM text", async () => {
    const cfg = createConfig({
      server: cluster.server,
      ca,
      clientCert: readFileSync(cluster.certs.admin.cert, "utf8"),
      clientKey: readFileSync(cluster.certs.admin.key, "utf8"),
      env: {},
    });
    assert.equal(cfg.auth, "client-certificate");
    const kube = createClient(cfg);
    assert.ok((await kube.core.v1.namespaces.list()).items.some((n) => n.metadata?.name === ns));
    await kube.close();
  });

  it("a token file that rotates", async () => {
    const kube = createClient(
      createConfig({
        server: cluster.server,
        ca,
        tokenFile: join(cluster.serviceAccount.dir, "token"),
        env: {},
      }),
    );
    const own = await kube.core.v1.pods.list({ namespace: cluster.serviceAccount.namespace });
    assert.equal(own.kind, "PodList");
    await kube.close();
  });

  it("bad input is a ConfigError that names the option and shows no secret", () => {
    const cases: [Parameters<typeof createConfig>[0], RegExp][] = [
      [{ server: cluster.server, ca: "not a pem" }, /createConfig: ca: is not a PEM certificate/],
      [{ server: cluster.server, token: "t", tokenFile: "/x" }, /token and tokenFile cannot both be set/],
      [
        { server: "http://kube.example:8080", token: "SECRET-T" },
        /refusing to send credentials over plain http/,
      ],
      [{ server: "https://u:SECRET-P@[bad" }, /server "https:\/\/\*\*\*@\[bad" is not a URL/],
      [
        { server: cluster.server, clientCert: readFileSync(cluster.certs.admin.cert, "utf8") },
        /client-certificate is set without client-key/,
      ],
      [{ server: cluster.server, proxyUrl: "ftp://p" }, /proxy-url scheme ftp: is not supported/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => createConfig({ env: {}, ...options }),
        (err: unknown) =>
          err instanceof ConfigError && message.test(err.message) && !/SECRET/.test(err.message),
      );
    }
  });
});

describe("loadConfig({ kubeconfigText }): a kubeconfig held in memory", () => {
  it("works as the same file would, relative paths against the cwd", async () => {
    const text = readFileSync(cluster.kubeconfigs.admin, "utf8").replaceAll(`${cluster.dir}/`, "");
    // The paths are relative now: from another folder they do not resolve ...
    await assert.rejects(
      loadConfig({ kubeconfigText: text, env: {} }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /kubeconfigText: .*cannot read \S*\/pki\/ca\.crt \(ENOENT\)/.test(err.message),
    );
    const cwd = process.cwd();
    process.chdir(cluster.dir);
    try {
      // ... from the cluster's folder they do.
      const inDir = await loadConfig({ kubeconfigText: text, env: {} });
      assert.equal(inDir.source, "kubeconfig");
      const kube = createClient(inDir);
      assert.ok((await kube.core.v1.namespaces.get({ name: ns })).metadata?.name);
      await kube.close();
    } finally {
      process.chdir(cwd);
    }
  });

  it("broken text is a ConfigError naming kubeconfigText", async () => {
    await assert.rejects(
      loadConfig({ kubeconfigText: "clusters: [", env: {} }),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith("kubeconfigText: invalid YAML"),
    );
  });
});

describe("copies and clients", () => {
  let cfg: KubeConfig;
  before(async () => {
    cfg = await loadConfig({ kubeconfig: cluster.kubeconfigs.token, env: {} });
  });

  it("withNamespace and a spread keep the credentials and change the namespace", async () => {
    for (const copy of [withNamespace(cfg, ns), { ...cfg, namespace: ns }]) {
      const kube = createClient(copy);
      await kube.core.v1.configmaps.apply(
        { metadata: { name: "copied" }, data: { n: copy.namespace } },
        { fieldManager: "kubefetch-test" },
      );
      assert.equal((await kube.core.v1.configmaps.get({ name: "copied" })).metadata?.namespace, ns);
      await kube.close();
    }
    assert.equal(cfg.namespace, "default", "the original is unchanged");
  });

  it("the config shows no secret in JSON or inspect", () => {
    const shown = `${JSON.stringify(cfg)}\n${inspect(cfg, { depth: 10, showHidden: true })}`;
    assert.ok(!shown.includes(cluster.tokens.admin), shown);
    assert.match(inspect(cfg), /\[credentials\]/);
  });

  it("close() ends that client's pool only; the config makes new clients after any number of closes", async () => {
    const a = createClient(cfg);
    const b = createClient(cfg);
    await a.core.v1.namespaces.get({ name: ns });
    await b.core.v1.namespaces.get({ name: ns });
    await a.close();
    assert.equal((await b.core.v1.namespaces.get({ name: ns })).metadata?.name, ns);
    await assert.rejects(
      a.core.v1.namespaces.get({ name: ns }),
      (err: unknown) => err instanceof ClientClosedError && /this client was closed/.test(err.message),
    );
    for (let i = 0; i < 3; i++) {
      const c = createClient(cfg);
      assert.equal((await c.core.v1.namespaces.get({ name: ns })).metadata?.name, ns);
      await c.close();
    }
    assert.equal((await b.core.v1.namespaces.get({ name: ns })).metadata?.name, ns);
    await b.close();
  });
});

describe("two clusters in one process", () => {
  let second: TestCluster;
  before(() => {
    const dir = execFileSync("bash", [join(repoRoot, "test/cluster/up.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    second = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8")) as TestCluster;
  });
  after(() => {
    if (second)
      execFileSync("bash", [join(repoRoot, "test/cluster/down.sh"), second.dir], { stdio: "ignore" });
  });

  it("two configs, two clients, calls interleaved: each acts on its own cluster", async () => {
    const one = createClient(
      createConfig({ server: cluster.server, ca, token: cluster.tokens.admin, env: {} }),
    );
    const two = createClient(
      createConfig({
        server: second.server,
        ca: readFileSync(second.ca, "utf8"),
        token: second.tokens.admin,
        env: {},
      }),
    );
    const name = uniqueName("two");
    await Promise.all([
      one.core.v1.namespaces.create({ metadata: { name, labels: { cluster: "one" } } }),
      two.core.v1.namespaces.create({ metadata: { name, labels: { cluster: "two" } } }),
    ]);
    for (let i = 0; i < 5; i++) {
      const [a, b] = await Promise.all([
        one.core.v1.namespaces.get({ name }),
        two.core.v1.namespaces.get({ name }),
      ]);
      assert.equal(a.metadata?.labels?.cluster, "one");
      assert.equal(b.metadata?.labels?.cluster, "two");
    }
    // Each token is valid on its own cluster only: a mix-up of credentials would show here.
    assert.notEqual(cluster.tokens.admin, second.tokens.admin);
    await one.core.v1.namespaces.delete({ name });
    await two.core.v1.namespaces.delete({ name });
    await one.close();
    await two.close();
  });
});
