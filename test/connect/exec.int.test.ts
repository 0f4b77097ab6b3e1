import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readlinkSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { KubeError, loadConfig } from "../../src/index.js";
import { kubectl } from "../helpers/kubectl-run.js";
import { busyboxPod, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";

// exec and attach against the real node, with the real kubectl as the judge on the same pods.
// The server speaks v5.channel.k8s.io (1.30+), which carries the close of stdin; what a v4-only
// server (1.20) leaves a client is in test/old-server/exec-v4.int.test.ts.
const cluster = nodeCluster();
const withStdin = (c: Record<string, unknown>) => {
  c.stdin = true;
  c.stdinOnce = true;
};
let kube: Client;
let ns: string;

async function runningPod(name: string, script = "sleep 3600", patch?: (c: Record<string, unknown>) => void) {
  const pod = busyboxPod(cluster, ns, name, script);
  patch?.(pod.spec.containers[0] as unknown as Record<string, unknown>);
  await kube.core.v1.pods.create(pod);
  await waitForPod(kube, ns, name, (p) => p.status?.phase === "Running", "Running");
}

/** What `kubectl exec` prints and returns; its own "command terminated" line set apart. */
async function kubectlExec(pod: string, command: string[], input?: string | Uint8Array) {
  const r = await kubectl(
    cluster,
    ["exec", ...(input !== undefined ? ["-i"] : []), "-n", ns, pod, "--", ...command],
    { input },
  );
  const own = /command terminated with exit code \d+\n$/;
  return { stdout: r.stdout, stderr: r.stderr.replace(own, ""), code: r.code, raw: r.stderr };
}

function openSockets(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++;
    } catch {}
  }
  return n;
}

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "connect-exec");
  await runningPod("box");
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("exec: the same stdout, stderr and exit code as kubectl exec", () => {
  for (const [what, command] of [
    ["exit 3 with output on both streams", ["sh", "-c", "echo hi; echo err >&2; exit 3"]],
    ["exit 0", ["sh", "-c", "printf 'a\\nb'"]],
    ["a signal: 128 + 9", ["sh", "-c", "echo before; kill -9 $$"]],
    ["arguments with spaces and quotes kept apart", ["printf", "[%s]\\n", "a b", "'c'", '"d"', ""]],
  ] as const) {
    it(what, async () => {
      const ours = await kube.core.v1.pods.exec({ namespace: ns, name: "box", command: [...command] });
      const theirs = await kubectlExec("box", [...command]);
      assert.equal(ours.stdout, theirs.stdout.toString("utf8"));
      assert.equal(ours.stderr, theirs.stderr);
      assert.equal(ours.exitCode, theirs.code);
    });
  }

  it("stdout, stderr and exit code 3 from the status channel", async () => {
    const r = await kube.core.v1.pods.exec({
      namespace: ns,
      name: "box",
      container: "c",
      command: ["sh", "-c", "echo hi; exit 3"],
    });
    assert.deepEqual(r, { stdout: "hi\n", stderr: "", exitCode: 3 });
  });

  it("a command that does not exist: the Status kubectl prints, as a KubeError (kubectl exits 1)", async () => {
    const theirs = await kubectlExec("box", ["no-such-command"]);
    assert.equal(theirs.code, 1);
    const err = await kube.core.v1.pods
      .exec({ namespace: ns, name: "box", command: ["no-such-command"] })
      .then(
        () => assert.fail("resolved"),
        (e: unknown) => e,
      );
    assert.ok(err instanceof KubeError, String(err));
    assert.equal(err.reason, "InternalError");
    assert.match(err.message, /executable file not found in \$PATH/);
    // kubectl prints "error: <the Status message>"; the exec id in it differs per run.
    const strip = (s: string) => s.replace(/"[0-9a-f]{64}"/g, "ID").trim();
    assert.equal(strip(`error: ${err.body?.message}`), strip(theirs.raw));
  });

  it("a pod that does not exist: 404 as kubectl reports it", async () => {
    const theirs = await kubectlExec("no-such-pod", ["true"]);
    assert.match(theirs.raw, /NotFound.*pods "no-such-pod" not found/);
    await assert.rejects(
      kube.core.v1.pods.exec({ namespace: ns, name: "no-such-pod", command: ["true"] }),
      (e: unknown) =>
        e instanceof KubeError && e.status === 404 && /pods "no-such-pod" not found/.test(e.message),
    );
  });

  it("a container that does not exist: 400 as kubectl reports it", async () => {
    await assert.rejects(
      kube.core.v1.pods.exec({ namespace: ns, name: "box", container: "nope", command: ["true"] }),
      (e: unknown) =>
        e instanceof KubeError && e.status === 400 && /container nope is not valid/.test(e.message),
    );
  });

  it("an empty command or a bad name is refused before anything is sent", async () => {
    await assert.rejects(
      kube.core.v1.pods.exec({ namespace: ns, name: "box", command: [] }),
      /nothing was sent/,
    );
    await assert.rejects(
      kube.core.v1.pods.exec({ namespace: ns, name: "../x", command: ["true"] }),
      /nothing was sent/,
    );
  });
});

/**
 * Stream mode, fed `input` and never ended: on v4 (the 1.20 server) stdin cannot close, so
 * these programs read a known length, as cp.toPod's `head -c` does, on both servers.
 */
async function streamed(command: string[], input: Uint8Array | string, timeoutMs?: number) {
  const p = await kube.core.v1.pods.exec({
    namespace: ns,
    name: "box",
    command,
    stream: true,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  const out: Buffer[] = [];
  let err = "";
  p.stdout.on("data", (c: Buffer) => out.push(c));
  p.stderr.on("data", (c: Buffer) => (err += c));
  p.stdin.write(input);
  const { exitCode } = await p.done;
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: err, exitCode };
}

describe("exec with stdin in collect mode on a v5 server: stdin's end reaches the program", () => {
  for (const command of [["wc", "-l"], ["cat"]]) {
    it(`collect mode, ${command.join(" ")} (reads to end-of-file): the same output and exit code as kubectl exec -i`, async () => {
      const theirs = await kubectlExec("box", command, "abc\ndef\n");
      const ours = await kube.core.v1.pods.exec({
        namespace: ns,
        name: "box",
        command,
        stdin: "abc\ndef\n",
      });
      assert.equal(ours.stdout.trim(), command[0] === "wc" ? "2" : "abc\ndef");
      assert.deepEqual(ours, {
        stdout: theirs.stdout.toString(),
        stderr: theirs.stderr,
        exitCode: theirs.code,
      });
    });
  }
  it("attach in collect mode with stdin: the container reads it to end-of-file and exits", async () => {
    await runningPod("att-collect", 'cat; echo "read all"; exit 6', withStdin);
    const r = await kube.core.v1.pods.attach({
      namespace: ns,
      name: "att-collect",
      container: "c",
      stdin: "x\ny\n",
    });
    // attach reports no exit code of the container: the status is Success.
    assert.deepEqual(r, { stdout: "x\ny\nread all\n", stderr: "", exitCode: 0 });
  });
});

describe("exec with stdin in stream mode: the same bytes as kubectl exec -i", () => {
  it("lines a program reads", async () => {
    const command = ["sh", "-c", 'read a; read b; echo "$b $a"; echo done >&2; exit 5'];
    const ours = await streamed(command, "one\ntwo\n");
    const theirs = await kubectlExec("box", command, "one\ntwo\n");
    assert.deepEqual(ours, { stdout: "two one\n", stderr: "done\n", exitCode: 5 });
    assert.equal(ours.stdout, theirs.stdout.toString());
    assert.equal(ours.stderr, theirs.stderr);
    assert.equal(ours.exitCode, theirs.code);
  });

  it("1 MiB of binary input, counted by the program: the same checksum", async () => {
    const data = randomBytes(1 << 20);
    const command = ["sh", "-c", `head -c ${data.length} | md5sum`];
    const ours = await streamed(command, data);
    const theirs = await kubectlExec("box", command, data);
    const md5 = createHash("md5").update(data).digest("hex");
    assert.equal(ours.stdout, `${md5}  -\n`);
    assert.equal(theirs.stdout.toString(), ours.stdout);
  });

  it("stdin left early: the program exits before reading 32 KiB of input; the exit code as kubectl's", async () => {
    const data = randomBytes(32 << 10);
    const command = ["sh", "-c", "head -c 10 >/dev/null; echo read ten; exit 2"];
    const ours = await streamed(command, data);
    const theirs = await kubectlExec("box", command, data);
    assert.deepEqual(ours, { stdout: "read ten\n", stderr: "", exitCode: 2 });
    assert.equal(theirs.code, 2);
  });

  it("...and 4 MiB: timeoutMs bounds the call whether or not the server sends the status", async () => {
    // Measured: `kubectl exec -i` with 200 KB or more into this program prints "read ten" and
    // usually never exits (the runtime waits for stdin's copy); sometimes the status comes.
    const started = Date.now();
    const outcome = await streamed(
      ["sh", "-c", "head -c 10 >/dev/null; echo read ten; exit 2"],
      randomBytes(4 << 20),
      3000,
    ).then(
      (r) => r.exitCode,
      (e: unknown) => (e as Error).name,
    );
    assert.ok(outcome === 2 || outcome === "TimeoutError", String(outcome));
    assert.ok(Date.now() - started < 10_000);
  });
});

describe("exec in stream mode", () => {
  it("a shell fed through stdin: Node streams, done gives the exit code", async () => {
    const p = await kube.core.v1.pods.exec({
      namespace: ns,
      name: "box",
      command: ["sh"],
      stream: true,
      tty: false,
    });
    p.stdin.write("echo hi\n");
    p.stdin.write("echo oops >&2\n");
    p.stdin.end("exit 4\n");
    let out = "";
    let err = "";
    p.stderr.on("data", (c: Buffer) => (err += c));
    for await (const chunk of p.stdout) out += chunk;
    assert.deepEqual(await p.done, { exitCode: 4 });
    assert.equal(out, "hi\n");
    assert.equal(err, "oops\n");
  });

  it("the server speaks v5: stdin.end() reaches the program as end-of-file", async () => {
    const p = await kube.core.v1.pods.exec({ namespace: ns, name: "box", command: ["cat"], stream: true });
    assert.equal(p.protocol, "v5.channel.k8s.io");
    assert.equal(p.stdinCloseable, true);
    p.stdin.end("echoed\n");
    let out = "";
    for await (const chunk of p.stdout) out += chunk;
    assert.equal(out, "echoed\n");
    assert.deepEqual(await p.done, { exitCode: 0 });
  });

  it("tty: resize() sets the terminal size the program sees", async () => {
    const p = await kube.core.v1.pods.exec({
      namespace: ns,
      name: "box",
      command: ["sh", "-c", "sleep 1; stty size"],
      stream: true,
      tty: true,
    });
    await p.resize({ cols: 123, rows: 45 });
    let out = "";
    for await (const chunk of p.stdout) out += chunk;
    assert.equal(out.trim(), "45 123");
    assert.deepEqual(await p.done, { exitCode: 0 });
  });

  it("the pod is deleted during exec: done settles (no hang) with the kill kubectl reports, 137", async () => {
    await runningPod("victim");
    const p = await kube.core.v1.pods.exec({
      namespace: ns,
      name: "victim",
      command: ["sleep", "600"],
      stream: true,
    });
    const theirs = kubectl(cluster, ["exec", "-n", ns, "victim", "--", "sleep", "600"]);
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    await kube.core.v1.pods.delete({ namespace: ns, name: "victim" });
    assert.deepEqual(await p.done, { exitCode: 137 });
    assert.ok(Date.now() - started < 30_000);
    const k = await theirs;
    assert.equal(k.code, 137, k.stderr);
  });

  it("signal: an abort ends the exec at once and frees its socket", async () => {
    const before = openSockets();
    const ac = new AbortController();
    const running = kube.core.v1.pods.exec({
      namespace: ns,
      name: "box",
      command: ["sleep", "600"],
      signal: ac.signal,
    });
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    await assert.rejects(running, (e: unknown) => (e as Error).name === "AbortError");
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(openSockets() <= before, `${openSockets()} sockets open, ${before} before`);
  });
});

describe("exec leaves nothing open", () => {
  it("100 execs in a row: no socket left open", async () => {
    await kube.core.v1.pods.exec({ namespace: ns, name: "box", command: ["true"] });
    const before = openSockets();
    for (let i = 0; i < 100; i++) {
      const r = await kube.core.v1.pods.exec({ namespace: ns, name: "box", command: ["echo", String(i)] });
      assert.equal(r.stdout, `${i}\n`);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(openSockets() <= before, `${openSockets()} sockets open, ${before} before`);
  });
});

describe("attach: as kubectl attach", () => {
  const script = 'read l; echo "got $l"; echo to-err >&2; exit 6';

  it("stdin in, stdout and stderr out, on two identical pods", async () => {
    await runningPod("att-ours", script, withStdin);
    await runningPod("att-kubectl", script, withStdin);
    // Stream mode, stdin never closed (v4 cannot close it): the script reads one line.
    const a = await kube.core.v1.pods.attach({
      namespace: ns,
      name: "att-ours",
      container: "c",
      stdin: true,
      stream: true,
    });
    let out = "";
    let err = "";
    a.stdout.on("data", (c: Buffer) => (out += c));
    a.stderr.on("data", (c: Buffer) => (err += c));
    a.stdin.write("hello\n");
    const { exitCode } = await a.done;
    const ours = { stdout: out, stderr: err, exitCode };
    const theirs = await kubectl(cluster, ["attach", "-i", "-n", ns, "att-kubectl"], { input: "hello\n" });
    assert.equal(ours.stdout, "got hello\n");
    assert.equal(ours.stdout, theirs.stdout.toString());
    // kubectl adds its own lines to stderr: a hint, and from 1.3x a warning that the session is
    // recorded in the container's logs.
    assert.equal(
      theirs.stderr
        .replace(/If you don't see a command prompt, try pressing enter.\n/, "")
        .replace(/All commands and output from this session will be recorded in container logs.*\n/, ""),
      ours.stderr,
    );
    // attach reports no exit code of the container: kubectl exits 0, the status is Success.
    assert.equal(theirs.code, 0);
    assert.equal(ours.exitCode, 0);
  });

  it("stream mode with stdin: true", async () => {
    await runningPod("att-stream", script, withStdin);
    const a = await kube.core.v1.pods.attach({
      namespace: ns,
      name: "att-stream",
      container: "c",
      stdin: true,
      stream: true,
    });
    a.stdin.write("there\n");
    let out = "";
    for await (const chunk of a.stdout) out += chunk;
    assert.equal(out, "got there\n");
    assert.deepEqual(await a.done, { exitCode: 0 });
  });
});

describe("identities: the client's own credentials on the WebSocket", () => {
  for (const [what, file] of [
    ["a bearer token", () => cluster.kubeconfigs.token],
    ["a client certificate", () => cluster.kubeconfigs.admin],
  ] as const) {
    it(`exec with ${what}`, async () => {
      const other = createClient(await loadConfig({ kubeconfig: file(), env: {} }));
      try {
        const r = await other.core.v1.pods.exec({ namespace: ns, name: "box", command: ["echo", "who"] });
        assert.deepEqual(r, { stdout: "who\n", stderr: "", exitCode: 0 });
      } finally {
        await other.close();
      }
    });
  }

  for (const key of ["unprivileged", "unprivilegedToken"] as const) {
    it(`an identity without RBAC for pods/exec (${key}): 403 with the server's Status`, async () => {
      const other = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs[key], env: {} }));
      try {
        await assert.rejects(
          other.core.v1.pods.exec({ namespace: ns, name: "box", command: ["true"] }),
          (e: unknown) => e instanceof KubeError && e.status === 403 && e.reason === "Forbidden",
        );
      } finally {
        await other.close();
      }
    });
  }
});

describe("the dynamic client", () => {
  it("exec on Pod (discovery lists pods/exec)", async () => {
    const r = await kube.resource({ apiVersion: "v1", kind: "Pod" }).exec({
      namespace: ns,
      name: "box",
      command: ["sh", "-c", "echo dyn; exit 9"],
    });
    assert.deepEqual(r, { stdout: "dyn\n", stderr: "", exitCode: 9 });
  });

  it("exec on a kind without the subresource: a TypeError, nothing sent", async () => {
    await assert.rejects(
      kube
        .resource({ apiVersion: "v1", kind: "ConfigMap" })
        .exec({ namespace: ns, name: "x", command: ["true"] }),
      (e: unknown) => e instanceof TypeError && /ConfigMap \(v1\) has no exec subresource/.test(e.message),
    );
  });
});
