// Broken kubeconfigs: each gives a ConfigError naming the file and the field or step; never
// a crash, a hang or a secret in the message.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/index.js";
import { createTransport } from "../../src/transport/index.js";
import { repoRoot } from "../helpers/paths.js";
import { b64, makePki, type Pki } from "../helpers/pki.js";

const SECRETS = ["tok-SECRET-1", "pw-SECRET-2", "tok-SECRET-OIDC", "tok-SECRET-PLUGIN"];
const plugin = join(repoRoot, "test/fixtures/exec-plugin.mjs");

interface BadCase {
  name: string;
  yaml: string;
  /** The field or step the message must name. */
  field: RegExp;
  /** The failure shows on the first request (exec plugins run lazily). */
  atRequest?: boolean;
  /** The exec plugin's time limit (a plugin that hangs is ended this soon). */
  execTimeoutMs?: number;
}

const ok = {
  cluster: "- name: c\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true",
  user: "- name: u\n  user:\n    token: tok-SECRET-1",
  context: "- name: x\n  context:\n    cluster: c\n    user: u",
};
const kc = (p: { clusters?: string; users?: string; contexts?: string; current?: string | null } = {}) =>
  [
    `clusters:\n${p.clusters ?? ok.cluster}`,
    `users:\n${p.users ?? ok.user}`,
    `contexts:\n${p.contexts ?? ok.context}`,
    p.current === null ? "" : `current-context: ${p.current ?? "x"}`,
  ].join("\n");
const userWith = (body: string) => `- name: u\n  user:\n${body.replace(/^/gm, "    ")}`;
const clusterWith = (body: string) => `- name: c\n  cluster:\n${body.replace(/^/gm, "    ")}`;
const execUser = (env: Record<string, string>, extra = "") =>
  userWith(
    `exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ${plugin}\n  interactiveMode: Never\n  env:\n${Object.entries(
      env,
    )
      .map(([k, v]) => `  - name: ${k}\n    value: "${v}"`)
      .join("\n")}${extra}`,
  );

const cases: BadCase[] = [
  { name: "invalid YAML", yaml: "clusters: [oops\n  token: tok-SECRET-1", field: /invalid YAML at line \d/ },
  {
    name: "the document is a list",
    yaml: "- a\n- b",
    field: /\(document\): expected a mapping, found a list/,
  },
  {
    name: "clusters is not a list",
    yaml: kc({ clusters: "  server: x" }).replace("clusters:\n  server: x", "clusters: 5"),
    field: /clusters: expected a list, found a number/,
  },
  {
    name: "a cluster entry is not a mapping",
    yaml: kc({ clusters: "- just-a-string" }),
    field: /clusters\[0\]: expected a mapping/,
  },
  {
    name: "server is a number",
    yaml: kc({ clusters: clusterWith("server: 6443") }),
    field: /clusters\[0\]\.cluster\.server: expected a string/,
  },
  {
    name: "insecure-skip-tls-verify is a string",
    yaml: kc({ clusters: clusterWith("server: https://h:1\ninsecure-skip-tls-verify: 'yes'") }),
    field: /insecure-skip-tls-verify: expected true or false/,
  },
  {
    name: "token is a number",
    yaml: kc({ users: userWith("token: 12345") }),
    field: /users\[0\]\.user\.token: expected a string/,
  },
  { name: "no current-context", yaml: kc({ current: null }), field: /current-context is not set/ },
  {
    name: "current-context names a missing context",
    yaml: kc({ current: "gone" }),
    field: /current-context: context "gone" not found/,
  },
  {
    name: "a context names a missing cluster",
    yaml: kc({ contexts: "- name: x\n  context:\n    cluster: nope\n    user: u" }),
    field: /contexts\[0\]\.context\.cluster: cluster "nope" not found/,
  },
  {
    name: "a context names a missing user",
    yaml: kc({ contexts: "- name: x\n  context:\n    cluster: c\n    user: nope" }),
    field: /contexts\[0\]\.context\.user: user "nope" not found/,
  },
  {
    name: "a duplicate user name",
    yaml: kc({ users: `${ok.user}\n${userWith("token: pw-SECRET-2").replace("name: u", "name: u")}` }),
    field: /users\[1\]\.name: duplicate name "u"/,
  },
  {
    name: "bad base64 in certificate-authority-data",
    yaml: kc({ clusters: clusterWith("server: https://h:1\ncertificate-authority-data: '%%%tok-SECRET-1'") }),
    field: /certificate-authority-data: is not valid base64/,
  },
  {
    name: "bad base64 in client-key-data",
    yaml: kc({ users: userWith("client-certificate-data: $CERT_B64\nclient-key-data: 'pw-SECRET-2!'") }),
    field: /client-key-data: is not valid base64/,
  },
  {
    name: "a certificate-authority file that does not exist",
    yaml: kc({ clusters: clusterWith("server: https://h:1\ncertificate-authority: /nonexistent/ca.crt") }),
    field: /certificate-authority: cannot read \/nonexistent\/ca\.crt \(ENOENT\)/,
  },
  {
    name: "a client-certificate path that is a folder",
    yaml: kc({ users: userWith("client-certificate: /tmp\nclient-key: $KEY_FILE") }),
    field: /client-certificate: cannot read \/tmp \(EISDIR\)/,
  },
  {
    name: "a client certificate and key that do not match",
    yaml: kc({ users: userWith("client-certificate: $CERT_FILE\nclient-key: $OTHER_KEY_FILE") }),
    field: /users\[0\]\.user: client certificate and client key do not match/,
  },
  {
    name: "a client certificate without its key",
    yaml: kc({ users: userWith("client-certificate: $CERT_FILE") }),
    field: /client-key: client-certificate is set without client-key/,
  },
  {
    name: "a CA that is not PEM",
    yaml: kc({
      clusters: clusterWith(`server: https://h:1\ncertificate-authority-data: ${b64("hello tok-SECRET-1")}`),
    }),
    field: /certificate-authority-data: is not a PEM certificate/,
  },
  {
    name: "client-key-data that is not a key",
    yaml: kc({
      users: userWith(`client-certificate-data: $CERT_B64\nclient-key-data: ${b64("pw-SECRET-2")}`),
    }),
    field: /client-key-data: is not a PEM private key/,
  },
  {
    name: "a CA together with insecure-skip-tls-verify",
    yaml: kc({
      clusters: clusterWith(
        "server: https://h:1\ninsecure-skip-tls-verify: true\ncertificate-authority-data: $CA_B64",
      ),
    }),
    field: /insecure-skip-tls-verify: certificate-authority and insecure-skip-tls-verify cannot both be set/,
  },
  {
    name: "a socks4 proxy-url (kubectl supports http, https and socks5)",
    yaml: kc({
      clusters: clusterWith(
        "server: https://h:1\ninsecure-skip-tls-verify: true\nproxy-url: socks4://p:1080",
      ),
    }),
    field: /proxy-url: proxy-url scheme socks4: is not supported/,
  },
  {
    name: "a server URL that does not parse, with a password in it",
    yaml: kc({ clusters: clusterWith('server: "https://admin:pw-SECRET-2@[::1"') }),
    field: /server: server "https:\/\/\*\*\*@\[::1" is not a URL/,
  },
  {
    name: "a server with an ftp scheme",
    yaml: kc({ clusters: clusterWith("server: ftp://h:1") }),
    field: /server: server scheme ftp: is not http or https/,
  },
  {
    name: "a token over plain http to a non-loopback server",
    yaml: kc({ clusters: clusterWith("server: http://kube.example:8080") }),
    field: /server: refusing to send credentials over plain http:\/\/ to a non-loopback server/,
  },
  {
    name: "a token and a password together",
    yaml: kc({ users: userWith("token: tok-SECRET-1\nusername: a\npassword: pw-SECRET-2") }),
    field: /users\[0\]\.user: username\/password and a token cannot both be set/,
  },
  {
    name: "an unsupported auth-provider",
    yaml: kc({ users: userWith("auth-provider:\n  name: gcp\n  config:\n    access-token: tok-SECRET-1") }),
    field: /auth-provider\.name: auth-provider "gcp" is not supported/,
  },
  {
    name: "an oidc auth-provider without id-token",
    yaml: kc({
      users: userWith("auth-provider:\n  name: oidc\n  config:\n    refresh-token: tok-SECRET-OIDC"),
    }),
    field: /auth-provider\.config: oidc auth-provider has no id-token/,
  },
  {
    name: "as-groups without as",
    yaml: kc({ users: userWith("token: tok-SECRET-1\nas-groups: [a]") }),
    field: /users\[0\]\.user: as-groups, as-uid and as-user-extra need `as`/,
  },
  {
    name: "an exec plugin without command",
    yaml: kc({
      users: userWith("exec:\n  apiVersion: client.authentication.k8s.io/v1\n  interactiveMode: Never"),
    }),
    field: /users\[0\]\.user\.exec\.command: missing/,
  },
  {
    name: "an exec plugin with an unsupported apiVersion",
    yaml: kc({
      users: userWith(`exec:\n  apiVersion: client.authentication.k8s.io/v1alpha1\n  command: ${plugin}`),
    }),
    field: /exec\.apiVersion: apiVersion "client\.authentication\.k8s\.io\/v1alpha1" is not supported/,
  },
  {
    name: "a v1 exec plugin without interactiveMode",
    yaml: kc({
      users: userWith(`exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: ${plugin}`),
    }),
    field: /exec\.interactiveMode: interactiveMode must be set/,
  },
  {
    name: "a missing exec command, with its installHint",
    yaml: kc({
      users: userWith(
        "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: kubefetch-no-such-plugin\n  interactiveMode: Never\n  installHint: install it with apt-get install kubefetch-plugin",
      ),
    }),
    field:
      /exec: exec plugin command "kubefetch-no-such-plugin" not found\ninstall it with apt-get install kubefetch-plugin/,
    atRequest: true,
  },
  {
    name: "an exec plugin that prints garbage",
    yaml: kc({ users: execUser({ PLUGIN_MODE: "garbage", PLUGIN_TOKEN: "tok-SECRET-PLUGIN" }) }),
    field: /exec: exec plugin ".*" printed something that is not JSON/,
    atRequest: true,
  },
  {
    name: "an exec plugin that exits non-zero",
    yaml: kc({ users: execUser({ PLUGIN_MODE: "fail" }) }),
    field: /exec: exec plugin ".*" failed \(exit code 3\)/,
    atRequest: true,
  },
  {
    name: "an exec plugin that hangs",
    yaml: kc({ users: execUser({ PLUGIN_MODE: "hang" }) }),
    field: /exec: exec plugin ".*" timed out after 700 ms/,
    atRequest: true,
    execTimeoutMs: 700,
  },
  {
    name: "an exec plugin that answers with another apiVersion",
    yaml: kc({ users: execUser({ PLUGIN_MODE: "wrong-version", PLUGIN_TOKEN: "tok-SECRET-PLUGIN" }) }),
    field:
      /returned apiVersion "client\.authentication\.k8s\.io\/v1alpha1", expected "client\.authentication\.k8s\.io\/v1"/,
    atRequest: true,
  },
  {
    name: "an exec plugin that returns no status",
    yaml: kc({ users: execUser({ PLUGIN_MODE: "no-status" }) }),
    field: /returned no status/,
    atRequest: true,
  },
];

let pki: Pki;

describe("broken kubeconfigs give a ConfigError naming the file and field", () => {
  const messages: string[] = [];
  let dir: string;
  before(() => {
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), "kubefetch-bad-"));
    mkdirSync(dir, { recursive: true });
  });

  it("has a corpus of at least 25 cases", () => assert.ok(cases.length >= 25));

  cases.forEach((c, i) => {
    it(c.name, async () => {
      const file = join(dir, `bad-${i}.yaml`);
      const yaml = c.yaml
        .replaceAll("$CERT_B64", b64(pki.cert))
        .replaceAll("$CA_B64", b64(pki.ca))
        .replaceAll("$CERT_FILE", pki.certFile)
        .replaceAll("$KEY_FILE", pki.keyFile)
        .replaceAll("$OTHER_KEY_FILE", pki.otherKeyFile);
      writeFileSync(file, yaml);
      let error: unknown;
      try {
        const cfg = await loadConfig({
          mode: "kubeconfig",
          kubeconfig: file,
          env: {},
          execTimeoutMs: c.execTimeoutMs ?? 20_000,
        });
        assert.ok(c.atRequest, `${c.name}: loadConfig accepted it`);
        const t2 = createTransport(cfg);
        try {
          await t2.request("/version");
        } finally {
          await t2.close();
        }
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof ConfigError, `${c.name}: expected a ConfigError, got ${error}`);
      const m = (error as ConfigError).message;
      messages.push(m);
      assert.ok(m.startsWith(`${file}: `), `${c.name}: message does not name the file: ${m}`);
      assert.match(m, c.field, c.name);
      for (const s of [
        ...SECRETS,
        pki.key.split("\n")[1] as string,
        pki.cert.split("\n")[1] as string,
        "PRIVATE KEY",
        "BEGIN CERTIFICATE",
      ]) {
        assert.ok(!m.includes(s), `${c.name}: the message carries a secret: ${m}`);
      }
    });
  });

  it("no message of the corpus carries a fixture secret", () => {
    assert.ok(messages.length >= 25, `${messages.length} messages`);
    const joined = messages.join("\n");
    for (const s of SECRETS) assert.ok(!joined.includes(s), s);
  });
});
