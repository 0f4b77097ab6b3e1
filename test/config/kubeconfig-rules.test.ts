// One test per kubectl loading rule, named after the rule (src/config/kubeconfig.ts states them).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { loadKubeconfig } from "../../src/config/kubeconfig.js";
import { ConfigError } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "kubefetch-rules-"));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
};
const kc = (o: {
  server?: string;
  current?: string;
  ns?: string;
  ctx?: string;
  cluster?: string;
  user?: string;
  userBody?: string;
}) =>
  [
    `clusters:\n- name: ${o.cluster ?? "c"}\n  cluster:\n    server: ${o.server ?? "https://a:1"}`,
    `users:\n- name: ${o.user ?? "u"}\n  user:\n    ${o.userBody ?? "token: t"}`,
    `contexts:\n- name: ${o.ctx ?? "x"}\n  context:\n    cluster: ${o.cluster ?? "c"}\n    user: ${o.user ?? "u"}${o.ns ? `\n    namespace: ${o.ns}` : ""}`,
    o.current === "" ? "" : `current-context: ${o.current ?? o.ctx ?? "x"}`,
  ].join("\n");

describe("kubectl's kubeconfig rules", () => {
  it("an explicit kubeconfig file must exist", async () => {
    await assert.rejects(
      loadKubeconfig({ kubeconfig: join(dir, "nope"), env: {} }),
      (e: unknown) => e instanceof ConfigError && /nope: kubeconfig file not found/.test(e.message),
    );
  });

  it("missing files in the KUBECONFIG list are skipped", async () => {
    const b = write("skip/b", kc({ server: "https://b:1" }));
    const s = await loadKubeconfig({ env: { KUBECONFIG: [join(dir, "skip/missing"), b].join(delimiter) } });
    assert.equal(s.cluster.value.server, "https://b:1");
    assert.deepEqual(s.files, [b]);
  });

  it("empty KUBECONFIG entries are ignored", async () => {
    const a = write("empty/a", kc({}));
    const s = await loadKubeconfig({ env: { KUBECONFIG: `${delimiter}${a}${delimiter}${delimiter}` } });
    assert.deepEqual(s.files, [a]);
  });

  it("a file named twice in KUBECONFIG is read once", async () => {
    const a = write("twice/a", kc({}));
    const s = await loadKubeconfig({ env: { KUBECONFIG: [a, a].join(delimiter) } });
    assert.deepEqual(s.files, [a]);
  });

  it("the first file to set a map key wins, and its entry is taken whole", async () => {
    const a = write("first/a", kc({ server: "https://first:1", userBody: "token: from-a" }));
    const b = write("first/b", kc({ server: "https://second:2", userBody: "username: from-b" }));
    const s = await loadKubeconfig({ env: { KUBECONFIG: [a, b].join(delimiter) } });
    assert.equal(s.cluster.value.server, "https://first:1");
    assert.deepEqual(s.user?.value, { token: "from-a" });
    assert.equal(s.cluster.file, a);
  });

  it("current-context comes from the first file that sets it", async () => {
    const a = write("cur/a", kc({ current: "", ctx: "ca", cluster: "ca" }));
    const b = write("cur/b", kc({ current: "cb", ctx: "cb", cluster: "cb", server: "https://b:1" }));
    const c = write("cur/c", kc({ current: "ca", ctx: "cc", cluster: "cc" }));
    const s = await loadKubeconfig({ env: { KUBECONFIG: [a, b, c].join(delimiter) } });
    assert.equal(s.contextName, "cb");
  });

  it("relative paths resolve against the file that holds them", async () => {
    const a = write(
      "rel/sub/a",
      [
        "clusters:\n- name: c\n  cluster:\n    server: https://a:1\n    certificate-authority: ../ca.crt",
        "users:\n- name: u\n  user:\n    tokenFile: tok\n    client-certificate: certs/c.crt\n    client-key: /abs/c.key\n    exec:\n      command: bin/plugin\n      apiVersion: client.authentication.k8s.io/v1beta1",
        "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u",
        "current-context: x",
      ].join("\n"),
    );
    const s = await loadKubeconfig({ kubeconfig: a, env: {} });
    assert.equal(s.cluster.value.certificateAuthority, join(dir, "rel/ca.crt"));
    assert.equal(s.user?.value.tokenFile, join(dir, "rel/sub/tok"));
    assert.equal(s.user?.value.clientCertificate, join(dir, "rel/sub/certs/c.crt"));
    assert.equal(s.user?.value.clientKey, "/abs/c.key");
    assert.equal(s.user?.value.exec?.command, join(dir, "rel/sub/bin/plugin"));
  });

  it("an exec command without a path separator is looked up on PATH, not resolved", async () => {
    const a = write(
      "path/a",
      "users:\n- name: u\n  user:\n    exec:\n      command: gke-auth-plugin\n      apiVersion: client.authentication.k8s.io/v1beta1\nclusters:\n- name: c\n  cluster:\n    server: https://a:1\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x",
    );
    const s = await loadKubeconfig({ kubeconfig: a, env: {} });
    assert.equal(s.user?.value.exec?.command, "gke-auth-plugin");
  });

  it("the context option overrides current-context", async () => {
    const a = write(
      "ctx/a",
      `${kc({ ctx: "one" })}\n`.replace(
        "contexts:\n",
        "contexts:\n- name: two\n  context:\n    cluster: c\n    namespace: second\n",
      ),
    );
    const s = await loadKubeconfig({ kubeconfig: a, context: "two", env: {} });
    assert.equal(s.contextName, "two");
    assert.equal(s.namespace, "second");
  });

  it("the namespace is the context's, else default", async () => {
    assert.equal(
      (await loadKubeconfig({ kubeconfig: write("ns/a", kc({ ns: "team" })), env: {} })).namespace,
      "team",
    );
    assert.equal((await loadKubeconfig({ kubeconfig: write("ns/b", kc({})), env: {} })).namespace, "default");
  });

  it("without KUBECONFIG, ~/.kube/config is read", async () => {
    const home = join(dir, "home");
    write("home/.kube/config", kc({ server: "https://home:1" }));
    const s = await loadKubeconfig({ env: { HOME: home } });
    assert.equal(s.cluster.value.server, "https://home:1");
  });

  it("with no kubeconfig anywhere, the error says where it looked", async () => {
    await assert.rejects(
      loadKubeconfig({ env: { HOME: join(dir, "empty-home") } }),
      /no kubeconfig found \(looked in .*empty-home\/\.kube\/config\)/,
    );
  });
});
