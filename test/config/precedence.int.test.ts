// Which config wins, judged by the real kubectl (client-go's deferred loading) on the real
// cluster: each row runs kubectl with and without a pod's environment and loadConfig() with
// the same one, and compares the server and namespace each acted on.
//
// A pod's environment is KUBERNETES_SERVICE_HOST/PORT plus the service-account folder at its
// fixed path, which kubectl (unlike loadConfig) cannot be told to look elsewhere for: kubectl
// runs in a private mount namespace of ours where a tmpfs on /run holds the test cluster's
// service-account folder at /run/secrets/kubernetes.io/serviceaccount. The host's /run is
// untouched.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { ConfigError, type LoadConfigOptions, loadConfig } from "../../src/index.js";
import { testCluster } from "../helpers/cluster.js";
import { runKubectl } from "../helpers/kubectl-run.js";

const cluster = testCluster();
const dir = mkdtempSync(join(tmpdir(), "kubefetch-precedence-"));
const SA_PATH = "/run/secrets/kubernetes.io/serviceaccount";
const saNamespace = cluster.serviceAccount.namespace;
const inCluster = { server: `https://127.0.0.1:${cluster.apiPort}`, namespace: saNamespace };
// The kubeconfig names the same apiserver as "localhost" so the two sources are told apart.
const fromFile = { server: `https://localhost:${cluster.apiPort}`, namespace: "kf-from-file" };
const other = { server: `https://localhost:${cluster.apiPort}`, namespace: "kf-other-context" };

let F = "";
let EMPTY = "";
let home = "";
let homeWithConfig = "";

before(() => {
  const admin = readFileSync(cluster.kubeconfigs.admin, "utf8");
  const user = /users:\n- name: ([^\n]+)/.exec(admin)?.[1];
  assert.ok(user, "admin kubeconfig names its user");
  const body = (current: string) =>
    admin
      .replace(/server: \S+/, `server: ${fromFile.server}`)
      .replace(/current-context: \S+/, "")
      .replace(/contexts:[\s\S]*?(?=\n[a-z-]+:|$)/, "")
      .concat(
        `\ncontexts:\n- name: file-ctx\n  context: {cluster: ${clusterName(admin)}, user: ${user}, namespace: ${fromFile.namespace}}\n` +
          `- name: other-ctx\n  context: {cluster: ${clusterName(admin)}, user: ${user}, namespace: ${other.namespace}}\n` +
          (current ? `current-context: ${current}\n` : ""),
      );
  F = join(dir, "f.kubeconfig");
  writeFileSync(F, body("file-ctx"));
  // Clusters, users and contexts, but no current-context: client-go calls this empty.
  EMPTY = join(dir, "empty.kubeconfig");
  writeFileSync(EMPTY, body(""));
  home = join(dir, "home");
  mkdirSync(home);
  homeWithConfig = join(dir, "home-with-config");
  mkdirSync(join(homeWithConfig, ".kube"), { recursive: true });
  writeFileSync(join(homeWithConfig, ".kube", "config"), body("file-ctx"));
});

function clusterName(kubeconfig: string): string {
  return /clusters:\n- name: ([^\n]+)/.exec(kubeconfig)?.[1] ?? "";
}

interface Row {
  name: string;
  pod: boolean;
  env?: Record<string, string>;
  home?: () => string;
  kubeconfig?: () => string;
  context?: string;
  expect: { server: string; namespace: string } | "error";
}

const rows: Row[] = [
  { name: "a pod with neither KUBECONFIG nor ~/.kube/config: in-cluster", pod: true, expect: inCluster },
  {
    name: "a pod with KUBECONFIG=F: F",
    pod: true,
    env: { KUBECONFIG: "$F" },
    expect: fromFile,
  },
  { name: "a pod with an explicit kubeconfig F: F", pod: true, kubeconfig: () => F, expect: fromFile },
  {
    name: "a pod with an explicit kubeconfig and context: that context",
    pod: true,
    kubeconfig: () => F,
    context: "other-ctx",
    expect: other,
  },
  { name: "a pod with ~/.kube/config: that file", pod: true, home: () => homeWithConfig, expect: fromFile },
  {
    name: "a pod whose KUBECONFIG names a missing file: in-cluster",
    pod: true,
    env: { KUBECONFIG: "/nonexistent/kubeconfig" },
    expect: inCluster,
  },
  {
    name: "a pod whose KUBECONFIG has no current-context: in-cluster",
    pod: true,
    env: { KUBECONFIG: "$EMPTY" },
    expect: inCluster,
  },
  {
    name: "a pod with a context that no kubeconfig has: an error, not in-cluster",
    pod: true,
    context: "nowhere",
    expect: "error",
  },
  { name: "outside a pod with no kubeconfig: an error", pod: false, expect: "error" },
  { name: "outside a pod with KUBECONFIG=F: F", pod: false, env: { KUBECONFIG: "$F" }, expect: fromFile },
];

const fill = (v: string) => v.replace("$F", F).replace("$EMPTY", EMPTY);

function envOf(row: Row): Record<string, string> {
  const env: Record<string, string> = { HOME: row.home?.() ?? home };
  for (const [k, v] of Object.entries(row.env ?? {})) env[k] = fill(v);
  if (row.pod) {
    env.KUBERNETES_SERVICE_HOST = "127.0.0.1";
    env.KUBERNETES_SERVICE_PORT = String(cluster.apiPort);
  }
  return env;
}

/** kubectl get pods -v=6: its request line says which server and namespace it used. */
async function kubectl(row: Row): Promise<{ server: string; namespace: string } | "error"> {
  // No --request-timeout: a flag that changes the REST config makes client-go's deferred loading
  // see a non-default config and skip in-cluster (measured with kubectl 1.32).
  const args = ["get", "pods", "-o", "name", "-v=6", `--cache-dir=${join(dir, "cache")}`];
  if (row.kubeconfig) args.push(`--kubeconfig=${row.kubeconfig()}`);
  if (row.context) args.push(`--context=${row.context}`);
  const inPod = [
    "unshare",
    "-m",
    "--propagation",
    "private",
    "sh",
    "-ec",
    `mount -t tmpfs tmpfs /run && mkdir -p ${SA_PATH} && mount --bind "$SA" ${SA_PATH} && exec "$@"`,
    "sh",
  ];
  const env = { ...envOf(row), PATH: process.env.PATH ?? "/usr/bin:/bin", SA: cluster.serviceAccount.dir };
  const r = await runKubectl(args, { env, timeoutMs: 30_000, under: row.pod ? inPod : undefined });
  const m = /GET (https?:\/\/[^/\s]+)\/api\/v1\/namespaces\/([^/\s]+)\/pods\S* 200 OK/.exec(r.stderr);
  if (r.code !== 0 || !m) return "error";
  return { server: m[1] as string, namespace: m[2] as string };
}

async function ours(row: Row): Promise<{ server: string; namespace: string } | "error"> {
  const options: LoadConfigOptions = { env: envOf(row), serviceAccountDir: cluster.serviceAccount.dir };
  if (row.kubeconfig) options.kubeconfig = row.kubeconfig();
  if (row.context) options.context = row.context;
  try {
    const cfg = await loadConfig(options);
    return { server: cfg.server, namespace: cfg.namespace };
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return "error";
  }
}

describe("config precedence, as kubectl: explicit > the kubeconfig found > in-cluster > error", () => {
  for (const row of rows) {
    it(row.name, async () => {
      const [k, o] = [await kubectl(row), await ours(row)];
      assert.deepEqual(k, row.expect, "kubectl");
      assert.deepEqual(o, row.expect, "loadConfig");
    });
  }

  it("the error lists what was looked at", async () => {
    await assert.rejects(
      loadConfig({ env: { HOME: home }, serviceAccountDir: cluster.serviceAccount.dir }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes(join(home, ".kube", "config")) &&
        err.message.includes("KUBERNETES_SERVICE_HOST"),
    );
  });
});
