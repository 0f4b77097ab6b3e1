import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { ConnectionError, ExecStdinError, loadConfig } from "../../src/index.js";
import { serverMinor } from "../helpers/cluster.js";
import { kubectl } from "../helpers/kubectl-run.js";
import { busyboxPod, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";

// A server that speaks only v4.channel.k8s.io (before 1.30; here 1.20): stdin cannot be closed,
// so what needs its end is refused at once or done another way, never left hanging.
const cluster = nodeCluster();
assert.ok(serverMinor(cluster) < 30, `the old-server suite runs on a v4-only server, not ${cluster.version}`);
let kube: Client;
let ns: string;
let local: string;

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "old-exec");
  await kube.core.v1.pods.create(busyboxPod(cluster, ns, "box", "sleep 3600"));
  await waitForPod(kube, ns, "box", (p) => p.status?.phase === "Running", "Running");
  local = mkdtempSync(join(tmpdir(), "kubefetch-old-exec-"));
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
  rmSync(local, { recursive: true, force: true });
});

describe("exec and attach with stdin on a v4-only server", () => {
  for (const command of [["wc", "-l"], ["cat"]]) {
    it(`collect mode, ${command.join(" ")} (reads to end-of-file): ExecStdinError at once, where kubectl (SPDY) ends`, async () => {
      const theirs = await kubectl(cluster, ["exec", "-i", "-n", ns, "box", "--", ...command], {
        input: "abc\ndef\n",
      });
      assert.equal(theirs.stdout.toString().trim(), command[0] === "wc" ? "2" : "abc\ndef");
      const started = Date.now();
      await assert.rejects(
        kube.core.v1.pods.exec({ namespace: ns, name: "box", command, stdin: "abc\ndef\n" }),
        (e: unknown) =>
          e instanceof ExecStdinError &&
          /v4\.channel\.k8s\.io.*cannot close stdin.*nothing was started.*stream: true/.test(e.message),
      );
      assert.ok(Date.now() - started < 5000, "refused at once, not after a hang");
    });
  }

  it("attach in collect mode with stdin: the same refusal", async () => {
    await assert.rejects(
      kube.core.v1.pods.attach({ namespace: ns, name: "box", container: "c", stdin: "x\n" }),
      ExecStdinError,
    );
  });

  it("stream mode: stdin.end() cannot reach the program, close() ends it without a hang", async () => {
    const p = await kube.core.v1.pods.exec({ namespace: ns, name: "box", command: ["cat"], stream: true });
    assert.equal(p.protocol, "v4.channel.k8s.io");
    assert.equal(p.stdinCloseable, false);
    p.stdin.end("echoed\n");
    let out = "";
    p.stdout.on("data", (c: Buffer) => (out += c));
    // cat got its line, and no end-of-file: it is still running a second later.
    const state = await Promise.race([
      p.done.then(
        () => "ended",
        () => "ended",
      ),
      new Promise((r) => setTimeout(() => r("running"), 1000)),
    ]);
    assert.equal(state, "running");
    assert.equal(out, "echoed\n");
    p.close();
    await assert.rejects(
      p.done,
      (e: unknown) => e instanceof ConnectionError && /exit status/.test(e.message),
    );
  });
});

describe("cp.toPod on a v4-only server", () => {
  it("ends tar's input by its length (head -c): the copy completes, the same bytes", async () => {
    const data = randomBytes(300_000);
    const file = join(local, "v4.bin");
    writeFileSync(file, data);
    const r = await kube.cp.toPod({
      namespace: ns,
      name: "box",
      from: file,
      to: "/tmp/v4.bin",
      timeoutMs: 30_000,
    });
    assert.deepEqual(r, { entries: 1, bytes: data.length });
    const back = await kube.core.v1.pods.exec({
      namespace: ns,
      name: "box",
      command: ["md5sum", "/tmp/v4.bin"],
    });
    assert.equal(back.stdout, `${createHash("md5").update(data).digest("hex")}  /tmp/v4.bin\n`);
  });
});
