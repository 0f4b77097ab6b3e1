// Differential truth: the real kubectl decides what a kubeconfig means. Each case runs
// `kubectl config view --minify --raw --flatten -o json` and loadConfig() on the same files.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { ConfigError, type KubeConfig, loadConfig } from "../../src/index.js";
import { runKubectl } from "../helpers/kubectl-run.js";
import { b64, makePki, type Pki } from "../helpers/pki.js";

interface Case {
  name: string;
  /** file name (may include a folder) -> YAML; `$X` placeholders filled from the PKI. */
  files: Record<string, string>;
  /** KUBECONFIG entries (may name missing files, or be empty) ... */
  list?: string[];
  /** ... or one explicit --kubeconfig file. */
  explicit?: string;
  context?: string;
  expect: "same" | "refused" | RegExp;
}

const cluster = (name: string, body: string) => `- name: ${name}\n  cluster:\n${indent(body, 4)}`;
const user = (name: string, body: string) => `- name: ${name}\n  user:\n${indent(body, 4)}`;
const context = (name: string, body: string) => `- name: ${name}\n  context:\n${indent(body, 4)}`;
const indent = (s: string, n: number) =>
  s
    .split("\n")
    .map((l) => " ".repeat(n) + l)
    .join("\n");
const doc = (parts: { clusters?: string[]; users?: string[]; contexts?: string[]; current?: string }) =>
  [
    "apiVersion: v1",
    "kind: Config",
    parts.clusters ? `clusters:\n${parts.clusters.join("\n")}` : "",
    parts.users ? `users:\n${parts.users.join("\n")}` : "",
    parts.contexts ? `contexts:\n${parts.contexts.join("\n")}` : "",
    parts.current ? `current-context: ${parts.current}` : "",
  ]
    .filter(Boolean)
    .join("\n");

const basic = (over: { server?: string; ns?: string; userBody?: string } = {}) =>
  doc({
    clusters: [
      cluster("c1", `server: ${over.server ?? "https://one.example:6443"}\ninsecure-skip-tls-verify: true`),
    ],
    users: [user("u1", over.userBody ?? "token: tok-SECRET-1")],
    contexts: [context("ctx1", `cluster: c1\nuser: u1${over.ns ? `\nnamespace: ${over.ns}` : ""}`)],
    current: "ctx1",
  });

const cases: Case[] = [
  {
    name: "one file: current-context, token user, namespace",
    files: { a: basic({ ns: "team" }) },
    explicit: "a",
    expect: "same",
  },
  {
    name: "one file: a context without namespace means default",
    files: { a: basic() },
    explicit: "a",
    expect: "same",
  },
  {
    name: "the context option overrides current-context",
    files: {
      a: doc({
        clusters: [
          cluster("c1", "server: https://one:1\ninsecure-skip-tls-verify: true"),
          cluster("c2", "server: https://two:2\ninsecure-skip-tls-verify: true"),
        ],
        users: [user("u1", "token: tok-SECRET-1")],
        contexts: [
          context("ctx1", "cluster: c1\nuser: u1"),
          context("ctx2", "cluster: c2\nuser: u1\nnamespace: other"),
        ],
        current: "ctx1",
      }),
    },
    explicit: "a",
    context: "ctx2",
    expect: "same",
  },
  {
    name: "a context option naming no context is refused",
    files: { a: basic() },
    explicit: "a",
    context: "nope",
    expect: "refused",
  },
  {
    name: "no current-context is refused",
    files: { a: basic().replace("current-context: ctx1", "") },
    explicit: "a",
    expect: "refused",
  },
  {
    name: "current-context naming no context is refused",
    files: { a: basic().replace("current-context: ctx1", "current-context: gone") },
    explicit: "a",
    expect: "refused",
  },
  {
    name: "a context naming a missing cluster is refused",
    files: { a: basic().replace("cluster: c1\n", "cluster: c9\n") },
    explicit: "a",
    expect: "refused",
  },
  {
    name: "a context naming a missing user is refused",
    files: { a: basic().replace("user: u1", "user: u9") },
    explicit: "a",
    expect: "refused",
  },
  {
    name: "a context with no user is anonymous",
    files: {
      a: doc({
        clusters: [cluster("c1", "server: https://one:1\ninsecure-skip-tls-verify: true")],
        contexts: [context("ctx1", "cluster: c1")],
        current: "ctx1",
      }),
    },
    explicit: "a",
    expect: "same",
  },
  {
    name: "KUBECONFIG: the first file to set a cluster name wins",
    files: { a: basic({ server: "https://first:1" }), b: basic({ server: "https://second:2" }) },
    list: ["a", "b"],
    expect: "same",
  },
  {
    name: "KUBECONFIG: current-context from the only file that sets it",
    files: {
      a: doc({
        clusters: [cluster("c1", "server: https://a:1\ninsecure-skip-tls-verify: true")],
        contexts: [context("ca", "cluster: c1")],
      }),
      b: doc({
        clusters: [cluster("c2", "server: https://b:2\ninsecure-skip-tls-verify: true")],
        contexts: [context("cb", "cluster: c2")],
        current: "ca",
      }),
    },
    list: ["a", "b"],
    expect: "same",
  },
  {
    name: "KUBECONFIG: current-context from the first file that sets it",
    files: {
      a: doc({
        clusters: [cluster("c1", "server: https://a:1\ninsecure-skip-tls-verify: true")],
        contexts: [context("ca", "cluster: c1")],
        current: "ca",
      }),
      b: doc({
        clusters: [cluster("c2", "server: https://b:2\ninsecure-skip-tls-verify: true")],
        contexts: [context("cb", "cluster: c2")],
        current: "cb",
      }),
    },
    list: ["b", "a"],
    expect: "same",
  },
  {
    name: "KUBECONFIG: a missing file is skipped",
    files: { b: basic() },
    list: ["missing-a", "b"],
    expect: "same",
  },
  {
    name: "KUBECONFIG: all files missing is refused",
    files: {},
    list: ["missing-a", "missing-b"],
    expect: "refused",
  },
  {
    name: "KUBECONFIG: empty entries are ignored",
    files: { a: basic({ ns: "x" }) },
    list: ["", "a", ""],
    expect: "same",
  },
  {
    name: "KUBECONFIG: a file named twice is read once",
    files: { a: basic({ ns: "x" }) },
    list: ["a", "a"],
    expect: "same",
  },
  {
    name: "KUBECONFIG: a user is taken whole from the first file (no field merge)",
    files: {
      a: basic({ userBody: "token: tok-SECRET-A" }),
      b: basic({ userBody: "client-certificate: $CERT_FILE\nclient-key: $KEY_FILE" }),
    },
    list: ["a", "b"],
    expect: "same",
  },
  {
    name: "KUBECONFIG: the first file's context (and namespace) wins",
    files: { a: basic({ ns: "from-a" }), b: basic({ ns: "from-b" }) },
    list: ["b", "a"],
    expect: "same",
  },
  {
    name: "KUBECONFIG: an empty file in the list is harmless",
    files: { empty: "", a: basic({ ns: "x" }) },
    list: ["empty", "a"],
    expect: "same",
  },
  {
    name: "relative certificate-authority resolves against its own file",
    files: {
      "sub/a": doc({
        clusters: [cluster("c1", "server: https://one:1\ncertificate-authority: ../pki/ca.crt")],
        users: [user("u1", "token: tok-SECRET-1")],
        contexts: [context("ctx1", "cluster: c1\nuser: u1")],
        current: "ctx1",
      }),
    },
    list: ["sub/a"],
    expect: "same",
  },
  {
    name: "relative client certificate and key resolve against their own file",
    files: {
      "deep/dir/a": doc({
        clusters: [cluster("c1", "server: https://one:1\ncertificate-authority-data: $CA_B64")],
        users: [user("u1", "client-certificate: ../../pki/client.crt\nclient-key: ../../pki/client.key")],
        contexts: [context("ctx1", "cluster: c1\nuser: u1")],
        current: "ctx1",
      }),
    },
    list: ["deep/dir/a"],
    expect: "same",
  },
  {
    name: "certificate-authority-data and client data inline",
    files: {
      a: doc({
        clusters: [cluster("c1", "server: https://one:1\ncertificate-authority-data: $CA_B64")],
        users: [user("u1", "client-certificate-data: $CERT_B64\nclient-key-data: $KEY_B64")],
        contexts: [context("ctx1", "cluster: c1\nuser: u1\nnamespace: data")],
        current: "ctx1",
      }),
    },
    explicit: "a",
    expect: "same",
  },
  {
    name: "tls-server-name is kept",
    files: {
      a: doc({
        clusters: [
          cluster(
            "c1",
            "server: https://10.0.0.1:6443\ncertificate-authority-data: $CA_B64\ntls-server-name: api.internal",
          ),
        ],
        contexts: [context("ctx1", "cluster: c1")],
        current: "ctx1",
      }),
    },
    explicit: "a",
    expect: "same",
  },
  {
    name: "proxy-url is kept",
    files: {
      a: doc({
        clusters: [
          cluster(
            "c1",
            "server: https://one:1\ninsecure-skip-tls-verify: true\nproxy-url: http://proxy.example:3128",
          ),
        ],
        contexts: [context("ctx1", "cluster: c1")],
        current: "ctx1",
      }),
    },
    explicit: "a",
    expect: "same",
  },
  {
    name: "exec plugin user (v1)",
    files: {
      a: basic({
        userBody:
          "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: kubefetch-test-plugin\n  interactiveMode: Never",
      }),
    },
    explicit: "a",
    expect: "same",
  },
  {
    name: "exec plugin user (v1beta1, args and env)",
    files: {
      a: basic({
        userBody:
          "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: ./plugin\n  args: [get-token]\n  env:\n  - name: A\n    value: b",
      }),
    },
    explicit: "a",
    expect: "same",
  },
  {
    name: "oidc auth-provider with an id-token",
    files: {
      a: basic({
        userBody:
          "auth-provider:\n  name: oidc\n  config:\n    id-token: tok-SECRET-OIDC\n    idp-issuer-url: https://issuer",
      }),
    },
    explicit: "a",
    expect: "same",
  },
  {
    name: "username and password",
    files: { a: basic({ userBody: "username: admin\npassword: pw-SECRET-1" }) },
    explicit: "a",
    expect: "same",
  },
  {
    name: "relative tokenFile",
    files: { "t/a": basic({ userBody: "tokenFile: token.txt" }), "t/token.txt": "tok-SECRET-FILE\n" },
    explicit: "t/a",
    expect: "same",
  },
  {
    name: "impersonation: as and as-groups",
    files: { a: basic({ userBody: "token: tok-SECRET-1\nas: alice\nas-groups: [devs, ops]" }) },
    explicit: "a",
    expect: "same",
  },
  {
    name: "bad base64 in certificate-authority-data is refused",
    files: {
      a: basic().replace("insecure-skip-tls-verify: true", "certificate-authority-data: '!!notbase64'"),
    },
    explicit: "a",
    expect: "refused",
  },
  { name: "invalid YAML is refused", files: { a: "clusters: [a\n" }, explicit: "a", expect: "refused" },
  {
    name: "a duplicate cluster name in one file is refused",
    files: { a: basic().replace("clusters:\n", `clusters:\n${cluster("c1", "server: https://dup:1")}\n`) },
    explicit: "a",
    expect: "refused",
  },
  {
    name: "a token that is not a string is refused",
    files: { a: basic({ userBody: "token: 12345" }) },
    explicit: "a",
    expect: "refused",
  },
  {
    name: "an explicit kubeconfig that does not exist is refused",
    files: {},
    explicit: "nope",
    expect: "refused",
  },
  {
    name: "a context with no cluster: kubectl shows it, but it cannot be used",
    files: { a: doc({ contexts: [context("ctx1", "namespace: x")], current: "ctx1" }) },
    explicit: "a",
    expect: /names no cluster/,
  },
  {
    name: "a cluster with no server: kubectl shows it, but it cannot be used",
    files: { a: basic().replace("server: https://one.example:6443\n", "") },
    explicit: "a",
    expect: /has no server/,
  },
  {
    name: "a CA together with insecure-skip-tls-verify: kubectl shows it, but client-go refuses it",
    files: {
      a: basic().replace(
        "insecure-skip-tls-verify: true",
        "insecure-skip-tls-verify: true\n    certificate-authority-data: $CA_B64",
      ),
    },
    explicit: "a",
    expect: /cannot both be set/,
  },
];

interface KubectlView {
  "current-context"?: string;
  clusters?:
    | {
        name: string;
        cluster: {
          server?: string;
          "certificate-authority-data"?: string;
          "tls-server-name"?: string;
          "proxy-url"?: string;
        };
      }[]
    | null;
  contexts?: { name: string; context: { cluster?: string; user?: string; namespace?: string } }[] | null;
  users?: { name: string; user: Record<string, unknown> }[] | null;
}

let pki: Pki;
let root: string;

function fill(text: string): string {
  return text
    .replaceAll("$CA_B64", b64(pki.ca))
    .replaceAll("$CERT_B64", b64(pki.cert))
    .replaceAll("$KEY_B64", b64(pki.key))
    .replaceAll("$CERT_FILE", pki.certFile)
    .replaceAll("$KEY_FILE", pki.keyFile);
}

async function kubectl(c: Case, dir: string, env: NodeJS.ProcessEnv) {
  const args = ["config", "view", "--minify", "--raw", "--flatten", "-o", "json"];
  if (c.explicit) args.push("--kubeconfig", join(dir, c.explicit));
  if (c.context) args.push("--context", c.context);
  const r = await runKubectl(args, { env, timeoutMs: 20_000 });
  if (r.code !== 0) return { ok: false as const, stderr: r.stderr };
  return { ok: true as const, view: JSON.parse(r.stdout.toString("utf8")) as KubectlView };
}

function assertSame(cfg: KubeConfig, view: KubectlView) {
  const ctx = view.contexts?.[0];
  const cl = view.clusters?.[0];
  const us = view.users?.[0];
  assert.equal(cfg.context, view["current-context"], "context");
  assert.equal(cfg.context, ctx?.name, "context entry");
  assert.equal(cfg.cluster, ctx?.context.cluster, "cluster");
  assert.equal(cfg.user, ctx?.context.user || undefined, "user");
  assert.equal(cfg.namespace, ctx?.context.namespace || "default", "namespace");
  assert.equal(cfg.server, cl?.cluster.server, "server");
  const caData = cl?.cluster["certificate-authority-data"];
  assert.equal(
    cfg.tls.ca === undefined ? undefined : b64(cfg.tls.ca),
    caData,
    "CA kubectl resolved (flattened)",
  );
  assert.equal(cfg.tls.serverName, cl?.cluster["tls-server-name"], "tls-server-name");
  assert.equal(cfg.proxy, cl?.cluster["proxy-url"], "proxy-url");
  const u = us?.user ?? {};
  assert.equal(cfg.tls.clientCertificate, "client-certificate-data" in u, "client certificate");
  const kind =
    "exec" in u
      ? "exec"
      : "auth-provider" in u
        ? "token"
        : "tokenFile" in u
          ? "token-file"
          : "token" in u
            ? "token"
            : "username" in u
              ? "basic"
              : "client-certificate-data" in u
                ? "client-certificate"
                : "none";
  assert.equal(cfg.auth, kind, "credential kind");
  assert.equal(cfg.impersonate?.user, u.as, "as");
  assert.deepEqual(cfg.impersonate?.groups, u["as-groups"], "as-groups");
}

describe("kubeconfig resolution equals kubectl's (kubectl config view --minify)", () => {
  before(() => {
    pki = makePki();
    root = mkdtempSync(join(tmpdir(), "kubefetch-diff-"));
  });

  it("has a corpus of at least 30 cases", () => assert.ok(cases.length >= 30, `${cases.length}`));

  cases.forEach((c, i) => {
    it(c.name, async () => {
      const dir = join(root, `case-${i}`);
      mkdirSync(join(dir, "pki"), { recursive: true });
      writeFileSync(join(dir, "pki/ca.crt"), pki.ca);
      writeFileSync(join(dir, "pki/client.crt"), pki.cert);
      writeFileSync(join(dir, "pki/client.key"), pki.key);
      for (const [name, text] of Object.entries(c.files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), fill(text));
      }
      const list = c.list?.map((f) => (f ? join(dir, f) : "")).join(delimiter);
      // HOME is a fresh folder so no ~/.kube/config leaks in; KUBECONFIG only when the case has a list.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: dir,
        ...(list !== undefined ? { KUBECONFIG: list } : {}),
      };
      const k = await kubectl(c, dir, env);
      let cfg: KubeConfig | undefined;
      let error: unknown;
      try {
        cfg = await loadConfig({
          mode: "kubeconfig",
          env,
          ...(c.explicit ? { kubeconfig: join(dir, c.explicit) } : {}),
          ...(c.context ? { context: c.context } : {}),
        });
      } catch (err) {
        error = err;
      }
      if (c.expect === "refused") {
        assert.equal(k.ok, false, "kubectl was expected to refuse this kubeconfig");
        assert.ok(
          error instanceof ConfigError,
          `loadConfig should throw a ConfigError, got ${error ?? "a config"}`,
        );
      } else if (c.expect === "same") {
        assert.ok(k.ok, `kubectl refused: ${k.ok ? "" : k.stderr}`);
        assert.ok(cfg, `loadConfig threw: ${error}`);
        assertSame(cfg, k.view);
      } else {
        assert.ok(k.ok, `kubectl refused: ${k.ok ? "" : k.stderr}`);
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error ?? "a config"}`);
        assert.match((error as Error).message, c.expect);
      }
    });
  });
});
