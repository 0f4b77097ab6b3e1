// Port-forward on the real node, with `kubectl port-forward` on the same pod as the judge.
// The pod (hostNetwork) writes 10 MiB of random bytes and their md5 into an emptyDir and
// serves them with busybox httpd on 127.0.0.1 only; the kubelet's forward dials localhost.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { KubeError, loadConfig, PortForwardError } from "../../src/index.js";
import { fetchLocal, httpdPod } from "../helpers/httpd-pod.js";
import { freePort, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";
import { until } from "../helpers/wait.js";

const cluster = nodeCluster();
const SIZE = 10 * 1024 * 1024;
let kube: Client;
let ns: string;
let httpPort: number;
let idlePort: number;
let sinkPort: number;
let stallPort: number;

/** GET http://127.0.0.1:port/path: status and body bytes. */
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "pf");
  httpPort = await freePort();
  idlePort = await freePort();
  sinkPort = await freePort();
  stallPort = await freePort();
  await kube.core.v1.pods.create(
    httpdPod({
      namespace: ns,
      image: cluster.images.busybox,
      port: httpPort,
      size: SIZE,
      extra: [
        {
          // Uploads: what arrives on sinkPort, its md5 written where httpd serves it.
          name: "sink",
          image: cluster.images.busybox,
          command: [
            "sh",
            "-c",
            `while true; do nc -l -p ${sinkPort} < /dev/null | md5sum | cut -d' ' -f1 > /www/up.tmp; mv /www/up.tmp /www/up.md5; done`,
          ],
        },
        {
          // A peer that accepts on stallPort and never reads.
          name: "stall",
          image: cluster.images.busybox,
          command: ["sh", "-c", `while true; do nc -l -p ${stallPort} -e sleep 3600; done`],
        },
      ],
    }),
  );
  await waitForPod(
    kube,
    ns,
    "web",
    (p) => (p.status?.containerStatuses ?? []).filter((c) => c.ready).length === 3,
    "ready",
  );
  // httpd is up once it answers through a forward.
  await until(
    async () => {
      const pf = await kube.core.v1.pods.portForward({
        namespace: ns,
        name: "web",
        ports: [{ remote: httpPort }],
        onError: () => {},
      });
      try {
        return (
          (await fetchLocal(pf.ports[0]?.local as number, "/big.md5").catch(() => ({ status: 0 }))).status ===
          200
        );
      } finally {
        await pf.close();
      }
    },
    { what: "httpd in the pod" },
  );
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("pods.portForward: a local listener, each connection its own stream", () => {
  it("10 MiB through kubefetch and through kubectl port-forward: the same bytes, the pod's md5", async () => {
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "web",
      ports: [{ remote: httpPort, local: 0 }],
    });
    let ours: Buffer;
    let expected: string;
    try {
      const port = pf.ports[0]?.local as number;
      assert.ok(port > 0 && port !== httpPort);
      assert.equal(pf.ports[0]?.remote, httpPort);
      expected = (await fetchLocal(port, "/big.md5")).body.toString().trim();
      const r = await fetchLocal(port, "/big");
      assert.equal(r.status, 200);
      ours = r.body;
    } finally {
      await pf.close();
    }
    assert.equal(ours.length, SIZE);
    assert.equal(md5(ours), expected);

    const local = await freePort();
    const kubectl: ChildProcess = spawn(
      cluster.kubectl,
      [
        "--kubeconfig",
        cluster.kubeconfigs.admin,
        "--cache-dir",
        join(cluster.dir, "kubectl-cache"),
        "-n",
        ns,
        "port-forward",
        "pod/web",
        `${local}:${httpPort}`,
        "--address",
        "127.0.0.1",
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, KUBECONFIG: "" } },
    );
    try {
      let out = "";
      kubectl.stdout?.on("data", (d) => (out += d));
      await until(async () => out.includes("Forwarding from"), {
        what: "kubectl port-forward listening",
        timeoutMs: 30_000,
      });
      const theirs = await fetchLocal(local, "/big");
      assert.equal(theirs.body.length, SIZE);
      assert.equal(md5(theirs.body), md5(ours));
    } finally {
      kubectl.kill("SIGTERM");
    }
  });

  it("several connections at once through one listener, each its own stream", async () => {
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "web",
      ports: [{ remote: httpPort }],
    });
    try {
      const port = pf.ports[0]?.local as number;
      const all = await Promise.all([1, 2, 3, 4].map(() => fetchLocal(port, "/big.md5")));
      assert.equal(new Set(all.map((r) => r.body.toString())).size, 1);
      assert.deepEqual(
        all.map((r) => r.status),
        [200, 200, 200, 200],
      );
    } finally {
      await pf.close();
    }
  });

  it("a pod port with nothing listening: onError hears a PortForwardError from the kubelet, the connection closes, no hang", async () => {
    const errors: Error[] = [];
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "web",
      ports: [{ remote: idlePort }],
      onError: (e) => errors.push(e),
    });
    try {
      const sock = tcpConnect(pf.ports[0]?.local as number, "127.0.0.1");
      sock.on("error", () => {});
      sock.write("GET / HTTP/1.0\r\n\r\n");
      await new Promise((r) => sock.once("close", r));
      await until(async () => errors.length > 0, { what: "the forward's error", timeoutMs: 20_000 });
      const e = errors[0];
      assert.ok(e instanceof PortForwardError, String(e));
      assert.equal(e.reason, "remote");
      assert.equal(e.port, idlePort);
      assert.match(e.message, /refused/);
    } finally {
      await pf.close();
    }
  });

  it("a pod that does not exist: onError hears the apiserver's KubeError (404)", async () => {
    const errors: Error[] = [];
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "ghost",
      ports: [{ remote: 80 }],
      onError: (e) => errors.push(e),
    });
    try {
      const sock = tcpConnect(pf.ports[0]?.local as number, "127.0.0.1");
      sock.on("error", () => {});
      await new Promise((r) => sock.once("close", r));
      await until(async () => errors.length > 0, { what: "the open's error", timeoutMs: 20_000 });
      assert.ok(errors[0] instanceof KubeError);
      assert.equal(errors[0].status, 404);
    } finally {
      await pf.close();
    }
  });

  it("pf.close() stops the listener and ends every stream: no socket left open", async () => {
    const base = tcpSockets();
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "web",
      ports: [{ remote: httpPort }, { remote: httpPort }],
    });
    const ports = pf.ports.map((p) => p.local);
    // A connection left open mid-transfer (nothing read from it).
    const sock = tcpConnect(ports[0] as number, "127.0.0.1");
    sock.on("error", () => {});
    sock.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    sock.pause();
    await until(async () => tcpSockets() >= base + 3, { what: "the local connection and its stream open" });
    await pf.close();
    // The client sees its connection end (it reads again to notice).
    sock.resume();
    await new Promise((r) => (sock.destroyed ? r(null) : sock.once("close", r)));
    await until(async () => tcpSockets() <= base, {
      what: () => `sockets back to ${base} (now ${tcpSockets()})`,
      timeoutMs: 10_000,
    });
    for (const p of ports) {
      await assert.rejects(
        new Promise((res, rej) =>
          tcpConnect(p as number, "127.0.0.1")
            .once("connect", res)
            .once("error", rej),
        ),
        { code: "ECONNREFUSED" },
      );
    }
  });

  it("signal aborts the forward: listener and streams go", async () => {
    const base = tcpSockets();
    const ac = new AbortController();
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "web",
      ports: [{ remote: httpPort }],
      signal: ac.signal,
    });
    assert.equal((await fetchLocal(pf.ports[0]?.local as number, "/big.md5")).status, 200);
    ac.abort();
    await until(async () => tcpSockets() <= base, { what: "sockets freed", timeoutMs: 10_000 });
    await assert.rejects(
      new Promise((res, rej) =>
        tcpConnect(pf.ports[0]?.local as number, "127.0.0.1")
          .once("connect", res)
          .once("error", rej),
      ),
      { code: "ECONNREFUSED" },
    );
  });
});

describe("pods.portForward.connect: one Duplex to a pod port", () => {
  it("raw HTTP over the Duplex", async () => {
    const s = await kube.core.v1.pods.portForward.connect({ namespace: ns, name: "web", port: httpPort });
    s.write("GET /big.md5 HTTP/1.0\r\n\r\n");
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    assert.match(text, /^HTTP\/1\.[01] 200/);
    assert.match(text, /\r\n\r\n[0-9a-f]{32}\n$/);
  });

  it("backpressure: a reader that stops holds at most a bounded amount in memory, then gets all 10 MiB", async () => {
    const s = await kube.core.v1.pods.portForward.connect({ namespace: ns, name: "web", port: httpPort });
    s.write("GET /big HTTP/1.0\r\n\r\n");
    const first = await new Promise<Buffer>((r) => s.once("data", r));
    s.pause();
    await new Promise((r) => setTimeout(r, 1500));
    // Unbounded buffering would have most of the 10 MiB here by now.
    assert.ok(s.readableLength <= 1024 * 1024, `buffered ${s.readableLength}`);
    const chunks: Buffer[] = [first];
    s.resume();
    for await (const c of s) chunks.push(c as Buffer);
    const all = Buffer.concat(chunks);
    const body = all.subarray(all.indexOf("\r\n\r\n") + 4);
    assert.equal(body.length, SIZE);
  });

  it("10 MiB written through the Duplex arrive whole: the pod's md5 of what it got", async () => {
    const data = randomBytes(SIZE);
    const s = await kube.core.v1.pods.portForward.connect({ namespace: ns, name: "web", port: sinkPort });
    s.on("error", () => {});
    s.resume();
    await pipeline(Readable.from([data.subarray(0, SIZE / 2), data.subarray(SIZE / 2)]), s);
    // v4 has no half-close: closing the stream is what the pod reads as end of input.
    s.destroy();
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "web",
      ports: [{ remote: httpPort }],
    });
    try {
      const local = pf.ports[0]?.local as number;
      await until(async () => (await fetchLocal(local, "/up.md5")).body.toString().trim() === md5(data), {
        what: "the pod's md5 of the upload",
        timeoutMs: 30_000,
      });
    } finally {
      await pf.close();
    }
  });

  it("backpressure on writes: to a pod that never reads, writes stall; memory holds no more than the socket buffers", async (t) => {
    const s = await kube.core.v1.pods.portForward.connect({ namespace: ns, name: "web", port: stallPort });
    s.on("error", () => {});
    const chunk = Buffer.alloc(64 * 1024);
    const total = 256 * 1024 * 1024;
    let accepted = 0;
    let maxQueued = 0;
    const writer = (async () => {
      while (accepted < total) {
        accepted += chunk.length;
        maxQueued = Math.max(maxQueued, s.writableLength);
        if (!s.write(chunk))
          await new Promise((r) => {
            s.once("drain", r);
            s.once("close", r);
          });
        if (s.destroyed) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 4000));
    const stalledAt = accepted;
    await new Promise((r) => setTimeout(r, 1000));
    // Unbounded buffering would have taken all 256 MiB at once; here the kernel buffers along
    // the way fill and then nothing more is taken.
    t.diagnostic(`writes stalled after ${(stalledAt / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(stalledAt < total, `accepted ${stalledAt} of ${total}`);
    assert.equal(accepted, stalledAt, "writes resumed while the pod was not reading");
    assert.ok(maxQueued <= 128 * 1024, `queued ${maxQueued} in the stream`);
    s.destroy();
    await writer;
  });

  it("nothing listening: the Duplex fails with the kubelet's PortForwardError", async () => {
    const s = await kube.core.v1.pods.portForward.connect({ namespace: ns, name: "web", port: idlePort });
    s.write("x");
    const err = await new Promise<Error>((resolve) => {
      s.on("error", resolve);
      s.resume();
    });
    assert.ok(err instanceof PortForwardError);
    assert.equal(err.reason, "remote");
  });

  it("the dynamic client finds the portforward subresource through discovery", async () => {
    const pods = kube.resource({ apiVersion: "v1", kind: "Pod" });
    const s = await pods.portForward.connect({ namespace: ns, name: "web", port: httpPort });
    s.write("GET /big.md5 HTTP/1.0\r\n\r\n");
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.[01] 200/);
    await assert.rejects(
      kube
        .resource({ apiVersion: "v1", kind: "ConfigMap" })
        .portForward.connect({ namespace: ns, name: "x", port: 80 }),
      /not a path of ConfigMap/,
    );
  });

  it("a bad port or name is refused before anything is sent", async () => {
    await assert.rejects(
      kube.core.v1.pods.portForward.connect({ namespace: ns, name: "web", port: 0 }),
      /1-65535/,
    );
    await assert.rejects(
      kube.core.v1.pods.portForward({ namespace: ns, name: "../x", ports: [{ remote: 80 }] }),
      {
        name: "InvalidRequestError",
      },
    );
  });
});
