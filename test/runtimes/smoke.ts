// The integration smoke one runtime runs in one process (Node, Bun or Deno; see
// runtimes.int.test.ts, which starts it and prepares the pod and the kubectl proxy it uses).
// It imports the package as a user does (its built files, through "kubefetch" and its
// subpaths) and only node: built-ins, so each runtime runs it as it is. Each check prints one
// JSON line {check, ok, error?}; a check that does not finish in CHECK_MS fails as a hang.
// Checks run in order and share state: watch creates the ConfigMap the informer then updates.

// Buffer from node:buffer, not the global: Deno 2.0 gives the Node globals to npm code only.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectionError, KubeError, loadConfig } from "kubefetch";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { createInformer } from "kubefetch/informer";

/** What the harness passes in KUBEFETCH_SMOKE. */
export interface SmokeInput {
  runtime: string;
  namespace: string;
  /** A running pod: printed logLine first, serves /big (its md5 at /big.md5) on 127.0.0.1:port. */
  pod: { name: string; port: number; logLine: string };
  proxyUrl: string;
  /** An HTTP CONNECT proxy of the harness's, which counts its tunnels. */
  connectProxyUrl: string;
  /** A CA that did not sign the server's certificate. */
  wrongCaFile: string;
  server: string;
  ca: string;
  kubeconfigs: { admin: string; token: string };
  adminToken: string;
  serviceAccount: { dir: string; namespace: string };
  host: string;
  apiPort: number;
}

const CHECK_MS = 30_000;

const input = JSON.parse(process.env.KUBEFETCH_SMOKE ?? "null") as SmokeInput | null;
if (!input) throw new Error("KUBEFETCH_SMOKE is not set: runtimes.int.test.ts runs this file");
const { namespace: ns, pod } = input;
const cmName = `smoke-${input.runtime}`;

function fail(what: string): never {
  throw new Error(what);
}

async function withClient<T>(config: Parameters<typeof createClient>[0], fn: (kube: Client) => Promise<T>) {
  const kube = createClient(config);
  try {
    return await fn(kube);
  } finally {
    await kube.close();
  }
}

async function httpGet(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
}

const admin = await loadConfig({ kubeconfig: input.kubeconfigs.admin, env: {} });
const exec = (command: string) =>
  `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${input.server}", certificate-authority: "${input.ca}"}}]
users:
- name: u
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: ["-c", ${JSON.stringify(command)}], interactiveMode: Never}
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;
const credential = JSON.stringify({
  apiVersion: "client.authentication.k8s.io/v1",
  kind: "ExecCredential",
  status: { token: input.adminToken },
});

// The harness holds the list every runtime must report: a check missing here fails it there.
const checks: Record<string, () => Promise<void>> = {
  async "kubeconfig: client certificate and CA"() {
    await withClient(admin, async (kube) => {
      const got = await kube.core.v1.namespaces.get({ name: ns });
      if (got.metadata?.name !== ns) fail(`got namespace ${got.metadata?.name}`);
    });
  },
  async "kubeconfig: bearer token"() {
    const config = await loadConfig({ kubeconfig: input.kubeconfigs.token, env: {} });
    await withClient(config, async (kube) => {
      const pods = await kube.core.v1.pods.list({ namespace: ns });
      if (!pods.items.some((p) => p.metadata?.name === pod.name)) fail(`${pod.name} not listed`);
    });
  },
  async "kubeconfig: exec plugin"() {
    const config = await loadConfig({ kubeconfigText: exec(`printf '%s' '${credential}'`), env: {} });
    await withClient(config, async (kube) => {
      await kube.core.v1.namespaces.get({ name: ns });
    });
  },
  async "in-cluster service account"() {
    const config = await loadConfig({
      serviceAccountDir: input.serviceAccount.dir,
      env: { KUBERNETES_SERVICE_HOST: input.host, KUBERNETES_SERVICE_PORT: String(input.apiPort) },
    });
    if (config.source !== "in-cluster") fail(`source ${config.source}`);
    await withClient(config, async (kube) => {
      await kube.core.v1.pods.list({ namespace: input.serviceAccount.namespace });
    });
  },
  async "kubectl proxy (plain HTTP)"() {
    await withClient(await loadConfig({ server: input.proxyUrl }), async (kube) => {
      await kube.core.v1.namespaces.get({ name: ns });
    });
  },
  async "through an HTTP CONNECT proxy"() {
    const text = exec(`printf '%s' '${credential}'`).replace(
      `certificate-authority: "${input.ca}"`,
      `certificate-authority: "${input.ca}", proxy-url: "${input.connectProxyUrl}"`,
    );
    await withClient(await loadConfig({ kubeconfigText: text, env: {} }), async (kube) => {
      await kube.core.v1.namespaces.get({ name: ns });
    });
  },
  async "a wrong CA fails the call"() {
    const text = exec(`printf '%s' '${credential}'`).replace(input.ca, input.wrongCaFile);
    const config = await loadConfig({ kubeconfigText: text, env: {} });
    await withClient(config, async (kube) => {
      const err = await kube.core.v1.namespaces.get({ name: ns }).then(
        () => fail("the call succeeded with a CA that did not sign the server's certificate"),
        (e: unknown) => e,
      );
      if (!(err instanceof ConnectionError)) fail(`not a ConnectionError: ${String(err)}`);
      if (!/certificate/i.test(err.message)) fail(`not a certificate error: ${err.message}`);
    });
  },
  async "typed 404"() {
    await withClient(admin, async (kube) => {
      const err = await kube.core.v1.configmaps.get({ namespace: ns, name: "absent" }).then(
        () => fail("found a ConfigMap that does not exist"),
        (e: unknown) => e,
      );
      if (!(err instanceof KubeError) || err.status !== 404 || err.reason !== "NotFound")
        fail(`not a 404 KubeError: ${String(err)}`);
    });
  },
  async watch() {
    await withClient(admin, async (kube) => {
      const cms = kube.core.v1.configmaps;
      const from = (await cms.list({ namespace: ns })).metadata?.resourceVersion;
      await cms.create({ metadata: { name: cmName, namespace: ns }, data: { n: "0" } });
      const stop = new AbortController();
      for await (const ev of cms.watch({ namespace: ns, resourceVersion: from, signal: stop.signal })) {
        if (ev.type === "ADDED" && ev.object.metadata?.name === cmName) break;
      }
    });
  },
  async informer() {
    await withClient(admin, async (kube) => {
      const inf = createInformer(kube.core.v1.configmaps, { namespace: ns });
      const updated = new Promise<string | undefined>((resolve) =>
        inf.on("update", (cm) => {
          if (cm.metadata?.name === cmName) resolve(cm.data?.n);
        }),
      );
      await inf.start();
      try {
        await inf.synced;
        if (!inf.get({ namespace: ns, name: cmName })) fail(`${cmName} not in the cache after sync`);
        await kube.core.v1.configmaps.patch(
          { namespace: ns, name: cmName },
          { data: { n: "1" } },
          { type: "merge" },
        );
        const n = await updated;
        if (n !== "1") fail(`update event carried n=${n}`);
      } finally {
        await inf.stop();
      }
    });
  },
  async logs() {
    await withClient(admin, async (kube) => {
      const text = await kube.core.v1.pods.log({ namespace: ns, name: pod.name }).text();
      if (!text.includes(pod.logLine)) fail(`log: ${JSON.stringify(text.slice(0, 200))}`);
      for await (const line of kube.core.v1.pods.log({ namespace: ns, name: pod.name, follow: true })) {
        if (line !== pod.logLine) fail(`followed log's first line: ${JSON.stringify(line)}`);
        break;
      }
    });
  },
  async exec() {
    await withClient(admin, async (kube) => {
      const r = await kube.core.v1.pods.exec({
        namespace: ns,
        name: pod.name,
        command: ["sh", "-c", "cat; echo out; echo err >&2; exit 3"],
        stdin: "in\n",
      });
      const got = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
      const want = { stdout: "in\nout\n", stderr: "err\n", exitCode: 3 };
      if (JSON.stringify(got) !== JSON.stringify(want)) fail(`exec gave ${JSON.stringify(got)}`);
    });
  },
  async "exec with a terminal"() {
    await withClient(admin, async (kube) => {
      const p = await kube.core.v1.pods.exec({
        namespace: ns,
        name: pod.name,
        command: ["sh", "-c", "sleep 1; stty size"],
        stream: true,
        tty: true,
      });
      await p.resize({ cols: 123, rows: 45 });
      let out = "";
      for await (const chunk of p.stdout) out += chunk;
      if (out.trim() !== "45 123") fail(`stty size printed ${JSON.stringify(out)}`);
      const { exitCode } = await p.done;
      if (exitCode !== 0) fail(`exit code ${exitCode}`);
    });
  },
  async cp() {
    const dir = await mkdtemp(join(tmpdir(), "kubefetch-smoke-"));
    try {
      await writeFile(join(dir, "a.txt"), `copied by ${input.runtime}\n`);
      await withClient(admin, async (kube) => {
        const target = { namespace: ns, name: pod.name };
        await kube.cp.toPod({ ...target, from: join(dir, "a.txt"), to: `/tmp/${cmName}.txt` });
        await kube.cp.fromPod({ ...target, from: `/tmp/${cmName}.txt`, to: join(dir, "back.txt") });
      });
      const back = await readFile(join(dir, "back.txt"), "utf8");
      if (back !== `copied by ${input.runtime}\n`) fail(`copied back ${JSON.stringify(back)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  async "port-forward"() {
    await withClient(admin, async (kube) => {
      const pf = await kube.core.v1.pods.portForward({
        namespace: ns,
        name: pod.name,
        ports: [{ remote: pod.port, local: 0 }],
      });
      try {
        const local = pf.ports[0]?.local ?? fail("no local port");
        const [big, md5] = await Promise.all([httpGet(local, "/big"), httpGet(local, "/big.md5")]);
        const sum = createHash("md5").update(big).digest("hex");
        if (sum !== md5.toString().trim()) fail(`md5 ${sum} of ${big.length} bytes, the pod's is ${md5}`);
      } finally {
        await pf.close();
      }
    });
  },
};

for (const [name, check] of Object.entries(checks)) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_MS} ms`)), CHECK_MS);
  });
  try {
    await Promise.race([check(), hang]);
    console.log(JSON.stringify({ check: name, ok: true }));
  } catch (e) {
    console.log(
      JSON.stringify({ check: name, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  } finally {
    clearTimeout(timer);
  }
}
