import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { ConnectionError, loadConfig } from "../../src/index.js";
import { testCluster } from "../helpers/cluster.js";
import { blocksOf } from "../helpers/markdown.js";
import { repoRoot } from "../helpers/paths.js";
import { makePki } from "../helpers/pki.js";
import { clusterEnv, exampleCommands, sh } from "../helpers/shell.js";

const cluster = testCluster();
const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const troubleshooting = readFileSync(join(repoRoot, "docs/troubleshooting.md"), "utf8");

/** A block's commands: its lines without the trailing comments. */
const commandsOf = (block: string) =>
  block
    .split("\n")
    .map((l) => l.replace(/\s+#\s.*$/, "").trim())
    .filter(Boolean);

// `npm test` is the command this suite runs under: CI proves it (checked below), running it
// again from inside the suite would recurse.
const RUN_BY_CI = "npm test";

describe("README and docs/: every shell command runs as written", () => {
  const copy = mkdtempSync(join(tmpdir(), "kubefetch-readme-"));
  after(() => rmSync(copy, { recursive: true, force: true }));

  it("opens with the two commands a newcomer runs: generate on the embedded default, then the tests", () => {
    const first = readme.split("\n").slice(0, 6).join("\n");
    assert.match(
      first,
      /^# kubefetch\n\n```sh\nnpm ci && npx kubefetch generate +#[^\n]*\nnpm test +#[^\n]*\n```$/,
    );
    assert.match(readFileSync(join(repoRoot, ".ci/run"), "utf8"), /^npm test$/m);
  });

  it("each fenced sh block, README.md first, then docs/*.md, runs in a fresh copy of the repository against the test cluster", {
    timeout: 900_000,
  }, async () => {
    for (const f of execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: repoRoot,
      encoding: "utf8",
    }).split("\0")) {
      if (!f || !existsSync(join(repoRoot, f))) continue;
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(repoRoot, f), join(copy, f));
    }
    const env = {
      ...clusterEnv(cluster),
      // For the in-cluster example: the test cluster's service account stands in for a pod's.
      KUBERNETES_SERVICE_HOST: cluster.host,
      KUBERNETES_SERVICE_PORT: String(cluster.apiPort),
      SERVICE_ACCOUNT_DIR: cluster.serviceAccount.dir,
    };
    const ran: string[] = [];
    for (const block of blocksOf("sh")) {
      const commands = commandsOf(block.body).filter((c) => c !== RUN_BY_CI);
      const r = await sh(commands.join("\n"), { cwd: copy, env, timeoutMs: 600_000 }).done;
      assert.equal(
        r.code,
        0,
        `${block.file}:${block.line}: block failed:\n${block.body}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
      );
      ran.push(...commands);
    }
    // What the commands did, checked in the copy.
    assert.ok(ran.includes("npx tsx examples/in-cluster-pods.ts"), ran.join("\n"));
    const committed = join(repoRoot, "generated/kubernetes-1.36/registry.ts");
    assert.equal(
      readFileSync(join(copy, "generated/kubernetes-1.36/registry.ts"), "utf8"),
      readFileSync(committed, "utf8"),
    );
    assert.match(readFileSync(join(copy, "src/kube/index.ts"), "utf8"), /^\/\/ source: +swagger\.json$/m);
    assert.match(readFileSync(join(copy, "swagger.json"), "utf8"), /^\{"swagger":"2\.0"/);
  });

  it("the examples table gives each example's own command", () => {
    const rows = [...readme.matchAll(/^\| `(examples\/[\w-]+\.ts)` +\| `([^`]+)` +\|/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    const sorted = (r: (string | undefined)[][]) => r.map((x) => x.join(" ")).sort();
    assert.deepEqual(sorted(rows), sorted(exampleCommands().map((e) => [`examples/${e.file}`, e.command])));
  });
});

describe("docs/troubleshooting.md: the messages are what kubefetch prints", () => {
  const home = mkdtempSync(join(tmpdir(), "kubefetch-home-"));
  after(() => rmSync(home, { recursive: true, force: true }));
  /** Our message with this run's paths and ports replaced by the README's. */
  const printed = async (f: () => Promise<unknown>, ports: number[] = []) => {
    try {
      await f();
    } catch (e) {
      let text = `${(e as Error).name}: ${(e as Error).message}`.replaceAll(home, "/home/me");
      for (const p of [cluster.apiPort, ...ports]) text = text.replaceAll(`127.0.0.1:${p}`, "127.0.0.1:6443");
      return text;
    }
    assert.fail("no error");
  };
  const listPods = async (kubeconfig: string) => {
    const kube = createClient(await loadConfig({ kubeconfig, env: {} }));
    try {
      await kube.core.v1.pods.list({ namespace: "default" });
    } finally {
      await kube.close();
    }
  };
  const documented = (message: string) =>
    assert.ok(
      troubleshooting.includes(`\`\`\`text\n${message}\n\`\`\``),
      `docs/troubleshooting.md does not show:\n${message}`,
    );
  const admin = readFileSync(cluster.kubeconfigs.admin, "utf8");

  it("config errors", async () => {
    documented(await printed(() => loadConfig({ env: { HOME: home } })));
    mkdirSync(join(home, ".kube"), { recursive: true });
    writeFileSync(join(home, ".kube/config"), admin);
    documented(await printed(() => loadConfig({ env: { HOME: home }, context: "prod" })));
    documented(await printed(() => loadConfig({ mode: "in-cluster", env: {} })));
  });

  it("a CA that did not sign the server's certificate, and a server that is down, are typed ConnectionErrors", async () => {
    const other = makePki();
    const wrongCa = join(home, "wrong-ca.kubeconfig");
    writeFileSync(
      wrongCa,
      admin.replace(/certificate-authority(-data)?: .*/, `certificate-authority: ${other.caFile}`),
    );
    const tls = await printed(() => listPods(wrongCa));
    documented(tls);

    const free = createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    const port = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    const down = join(home, "down.kubeconfig");
    writeFileSync(down, admin.replace(cluster.server, `https://127.0.0.1:${port}`));
    documented(await printed(() => listPods(down), [port]));
    await assert.rejects(
      listPods(down),
      (e: unknown) => e instanceof ConnectionError && e.code === "ECONNREFUSED",
    );
  });

  it("401 and 403 from the API server", async () => {
    const badToken = join(home, "bad-token.kubeconfig");
    writeFileSync(
      badToken,
      readFileSync(cluster.kubeconfigs.token, "utf8").replace(cluster.tokens.admin, "not-a-valid-token"),
    );
    documented(await printed(() => listPods(badToken)));
    documented(await printed(() => listPods(cluster.kubeconfigs.unprivileged)));
  });
});
