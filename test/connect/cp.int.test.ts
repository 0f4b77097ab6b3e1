import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { CopyError, loadConfig } from "../../src/index.js";
import { kubectl } from "../helpers/kubectl-run.js";
import { busyboxPod, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";

// kube.cp against the real node, with `kubectl cp` on the same pod as the judge.
const cluster = nodeCluster();
let kube: Client;
let ns: string;
let local: string;
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

async function inPod(script: string): Promise<string> {
  const r = await kube.core.v1.pods.exec({ namespace: ns, name: "box", command: ["sh", "-c", script] });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}

/** Every file under dir, as relative path -> md5 (folders as "dir"). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(path).isDirectory()) {
        out[r] = "dir";
        visit(path, r);
      } else out[r] = md5(readFileSync(path));
    }
  };
  visit(dir, "");
  return out;
}

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "connect-cp");
  await kube.core.v1.pods.create(busyboxPod(cluster, ns, "box", "sleep 3600"));
  await waitForPod(kube, ns, "box", (p) => p.status?.phase === "Running", "Running");
  local = mkdtempSync(join(tmpdir(), "kubefetch-cp-"));
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
  rmSync(local, { recursive: true, force: true });
});

describe("cp.toPod: as kubectl cp LOCAL POD:PATH", () => {
  it("on a v5 server no shell is needed: tar alone unpacks, stdin's close ends the archive", async () => {
    // v4 can only end tar's input with `sh -c 'head -c N | tar'` (test/old-server): a container
    // without sh and head shows the copy runs on tar alone.
    await kube.core.v1.pods.create(
      busyboxPod(cluster, ns, "no-shell", "rm /bin/sh /bin/head; exec sleep 3600"),
    );
    await waitForPod(kube, ns, "no-shell", (p) => p.status?.phase === "Running", "Running");
    await assert.rejects(
      kube.core.v1.pods.exec({ namespace: ns, name: "no-shell", command: ["sh", "-c", "true"] }),
      /executable file not found/,
    );
    const data = randomBytes(100_000);
    const file = join(local, "no-shell.bin");
    writeFileSync(file, data);
    const r = await kube.cp.toPod({ namespace: ns, name: "no-shell", from: file, to: "/tmp/copied.bin" });
    assert.deepEqual(r, { entries: 1, bytes: data.length });
    const back = await kube.core.v1.pods.exec({
      namespace: ns,
      name: "no-shell",
      command: ["md5sum", "/tmp/copied.bin"],
    });
    assert.equal(back.stdout, `${md5(data)}  /tmp/copied.bin\n`);
  });

  it("a 10 MB binary file: the pod's md5sum equals ours, and kubectl's copy is the same bytes", async () => {
    const data = randomBytes(10 << 20);
    const file = join(local, "big.bin");
    writeFileSync(file, data);
    const r = await kube.cp.toPod({ namespace: ns, name: "box", from: file, to: "/tmp/ours.bin" });
    assert.equal(r.bytes, data.length);
    const k = await kubectl(cluster, ["cp", file, `${ns}/box:/tmp/theirs.bin`], { timeoutMs: 120_000 });
    assert.equal(k.code, 0, k.stderr);
    const sums = await inPod("md5sum /tmp/ours.bin /tmp/theirs.bin");
    assert.equal(sums, `${md5(data)}  /tmp/ours.bin\n${md5(data)}  /tmp/theirs.bin\n`);
  });

  it("a folder into an existing folder lands inside it, as kubectl's does", async () => {
    const dir = join(local, "tree");
    mkdirSync(join(dir, "sub", "deeper"), { recursive: true });
    writeFileSync(join(dir, "a.txt"), "a\n");
    writeFileSync(join(dir, "sub", "b.txt"), "b\n");
    writeFileSync(join(dir, "sub", "deeper", `${"long-name-".repeat(12)}.txt`), "c\n");
    await inPod("mkdir -p /tmp/into-ours /tmp/into-theirs");
    await kube.cp.toPod({ namespace: ns, name: "box", from: dir, to: "/tmp/into-ours" });
    const k = await kubectl(cluster, ["cp", dir, `${ns}/box:/tmp/into-theirs`]);
    assert.equal(k.code, 0, k.stderr);
    const list = (d: string) => inPod(`cd ${d} && find . | sort && cat tree/a.txt tree/sub/b.txt`);
    const ours = await list("/tmp/into-ours");
    assert.equal(ours, await list("/tmp/into-theirs"));
    assert.match(ours, /long-name-long-name/);
  });

  it("a destination folder that does not exist: the tar's error, as a CopyError", async () => {
    const file = join(local, "small.txt");
    writeFileSync(file, "x");
    await assert.rejects(
      kube.cp.toPod({ namespace: ns, name: "box", from: file, to: "/no/such/dir/f.txt" }),
      (e: unknown) => e instanceof CopyError && e.exitCode !== 0 && /no\/such\/dir/i.test(e.stderr),
    );
  });
});

describe("cp.fromPod: as kubectl cp POD:PATH LOCAL", () => {
  it("a 10 MB binary file: our bytes' md5 equals the pod's md5sum and kubectl's copy", async () => {
    const sum = (await inPod("head -c 10485760 /dev/urandom > /tmp/made.bin && md5sum /tmp/made.bin")).split(
      " ",
    )[0];
    const ours = join(local, "from-ours.bin");
    const r = await kube.cp.fromPod({ namespace: ns, name: "box", from: "/tmp/made.bin", to: ours });
    assert.deepEqual(r.skipped, []);
    assert.equal(r.bytes, 10 << 20);
    const theirs = join(local, "from-theirs.bin");
    const k = await kubectl(cluster, ["cp", `${ns}/box:/tmp/made.bin`, theirs], { timeoutMs: 120_000 });
    assert.equal(k.code, 0, k.stderr);
    assert.equal(md5(readFileSync(ours)), sum);
    assert.equal(md5(readFileSync(theirs)), sum);
  });

  it("a folder: the same tree as kubectl's copy", async () => {
    await inPod(
      "mkdir -p /tmp/src/x/y && echo one > /tmp/src/one && head -c 70000 /dev/urandom > /tmp/src/x/y/blob && echo two > /tmp/src/x/two",
    );
    const ours = join(local, "dir-ours");
    const theirs = join(local, "dir-theirs");
    await kube.cp.fromPod({ namespace: ns, name: "box", from: "/tmp/src", to: ours });
    const k = await kubectl(cluster, ["cp", `${ns}/box:/tmp/src`, theirs]);
    assert.equal(k.code, 0, k.stderr);
    assert.deepEqual(tree(ours), tree(theirs));
    assert.deepEqual(Object.keys(tree(ours)), ["one", "x", "x/two", "x/y", "x/y/blob"]);
  });

  it("a link in the pod pointing outside is refused, one inside kept", async () => {
    await inPod(
      "mkdir -p /tmp/links && echo in > /tmp/links/f && ln -sf /etc/passwd /tmp/links/out && ln -sf f /tmp/links/in",
    );
    const dest = join(local, "links");
    const r = await kube.cp.fromPod({ namespace: ns, name: "box", from: "/tmp/links", to: dest });
    assert.deepEqual(
      r.skipped.map((s) => s.name),
      ["links/out"],
    );
    assert.equal(readFileSync(join(dest, "in"), "utf8"), "in\n");
  });

  it("a path that does not exist: tar's message as a CopyError", async () => {
    await assert.rejects(
      kube.cp.fromPod({ namespace: ns, name: "box", from: "/tmp/nope", to: join(local, "nope") }),
      (e: unknown) => e instanceof CopyError && /nope/.test(e.stderr),
    );
  });
});
