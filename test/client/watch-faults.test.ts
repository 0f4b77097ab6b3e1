// A watch's failures on loopback servers of ours: which it retries, which reach the caller,
// and what a closed client does to its streams (the security and liveness review, #25).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttps } from "node:https";
import { type AddressInfo, createServer as createTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { ClientClosedError, ConnectionError, createConfig } from "../../src/index.js";
import { fakeApiserver } from "../helpers/fake-apiserver.js";
import { makePki } from "../helpers/pki.js";

const quiet = { retry: { maxRetries: 0 }, onWarning: () => {} };
const cm = (rv: string) => ({
  type: "ADDED",
  object: { metadata: { name: `cm${rv}`, resourceVersion: rv } },
});
const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const rvOf = (url: string) => new URL(url, "http://x").searchParams.get("resourceVersion");

/** A port where nothing listens: bound, then closed. */
async function deadPort(): Promise<number> {
  const s = createTcp();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Collects a watch until it ends or throws; `limit` bounds how long the test waits. */
async function drain(it: AsyncIterable<unknown>, limit = 10_000) {
  const seen: unknown[] = [];
  const started = Date.now();
  const outcome = await Promise.race([
    (async () => {
      try {
        for await (const ev of it) seen.push(ev);
        return { ended: true as const };
      } catch (error) {
        return { error };
      }
    })(),
    new Promise<{ hung: true }>((r) => setTimeout(() => r({ hung: true }), limit).unref()),
  ]);
  return { ...outcome, seen, ms: Date.now() - started };
}

describe("a watch that cannot connect says so", () => {
  it("nothing listens: the first connection's failure is thrown, as a get's is", async () => {
    const port = await deadPort();
    const kube = createClient(createConfig({ server: `http://127.0.0.1:${port}`, env: {} }), quiet);
    const r = await drain(kube.core.v1.configmaps.watch({ namespace: "d", reconnectBackoff: { minMs: 10 } }));
    assert.ok("error" in r, `the watch ${"hung" in r ? "hung" : "ended"} instead of failing`);
    assert.ok(r.error instanceof ConnectionError && r.error.code === "ECONNREFUSED", String(r.error));
    assert.ok(r.ms < 5000);
    await kube.close();
  });

  it("a server whose certificate the configured CA did not sign: thrown, never retried", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubefetch-wrongca-"));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"],
        ...["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "k.pem", "-out", "c.pem"],
      ],
      { cwd: dir, stdio: "ignore" },
    );
    let requests = 0;
    const s = createHttps(
      { key: readFileSync(join(dir, "k.pem")), cert: readFileSync(join(dir, "c.pem")) },
      (_req, res) => {
        requests++;
        res.end();
      },
    );
    let handshakes = 0;
    s.on("connection", () => handshakes++);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const url = `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const pki = makePki();
    const kube = createClient(createConfig({ server: url, ca: pki.ca, token: "t", env: {} }), quiet);
    const r = await drain(kube.core.v1.configmaps.watch({ namespace: "d", reconnectBackoff: { minMs: 10 } }));
    assert.ok("error" in r, "the watch did not fail");
    assert.ok(r.error instanceof ConnectionError, String(r.error));
    assert.match(r.error.message, /not signed by the configured CA/);
    assert.equal(requests, 0);
    assert.equal(handshakes, 1, "one handshake, no retry");
    await kube.close();
    await new Promise((r2) => s.close(r2));
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  });

  it("after it was connected, a lost server is retried and heard: onReconnect, else the warning handler once per outage", async () => {
    let n = 0;
    const s = await fakeApiserver((_req, res) => {
      n++;
      if (n === 1) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(line(cm("5")));
        return;
      }
      // Every reconnect: the connection is cut before an answer.
      res.socket?.destroy();
    });
    const warnings: string[] = [];
    const kube = createClient(createConfig({ server: s.url, env: {} }), {
      retry: { maxRetries: 0 },
      onWarning: (m) => warnings.push(m),
    });
    const stop = new AbortController();
    const r = drain(
      kube.core.v1.configmaps.watch({
        namespace: "d",
        signal: stop.signal,
        reconnectBackoff: { minMs: 5, maxMs: 20 },
      }),
    );
    while (n < 6) await new Promise((r2) => setTimeout(r2, 10));
    stop.abort();
    await r;
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0] as string, /watch \/api\/v1\/namespaces\/d\/configmaps: reconnecting after/);

    const causes: unknown[] = [];
    const stop2 = new AbortController();
    n = 0;
    const r2 = drain(
      kube.core.v1.configmaps.watch({
        namespace: "d",
        signal: stop2.signal,
        reconnectBackoff: { minMs: 5, maxMs: 20 },
        onReconnect: (cause) => causes.push(cause),
      }),
    );
    while (n < 6) await new Promise((r3) => setTimeout(r3, 10));
    stop2.abort();
    await r2;
    assert.ok(causes.length >= 4, `onReconnect heard ${causes.length} of ${n - 1} reconnects`);
    assert.ok(causes.every((c) => c instanceof Error));
    assert.equal(warnings.length, 1, "with onReconnect, the warning handler is not used");
    await kube.close();
    await s.close();
  });
});

describe("watch options that were ignored", () => {
  it("timeoutMs ends the watch, reconnects included, and bounds the server's timeoutSeconds", async () => {
    const s = await fakeApiserver((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(line(cm("5")));
      // Kept open: only the client's timeout ends it.
    });
    const kube = createClient(createConfig({ server: s.url, env: {} }), quiet);
    const r = await drain(kube.core.v1.configmaps.watch({ namespace: "d", timeoutMs: 600 }), 5000);
    assert.ok(
      "ended" in r,
      `the watch ${"hung" in r ? "ran past its timeout" : `threw ${String((r as { error: unknown }).error)}`}`,
    );
    assert.equal(r.seen.length, 1);
    assert.ok(r.ms >= 550 && r.ms < 3000, `${r.ms} ms`);
    assert.equal(new URL(s.seen[0]?.url ?? "", "http://x").searchParams.get("timeoutSeconds"), "1");
    await kube.close();
    await s.close();
  });

  it("a last line without a newline counts: the next watch resumes after it, not before", async () => {
    const s = await fakeApiserver((req, res, n) => {
      res.writeHead(200, { "content-type": "application/json" });
      if (n === 1) {
        res.write(line(cm("5")));
        res.end(JSON.stringify(cm("6")));
        return;
      }
      res.end(line(cm(String(Number(rvOf(req.url)) + 1))));
    });
    const kube = createClient(createConfig({ server: s.url, env: {} }), quiet);
    const seen: string[] = [];
    for await (const ev of kube.core.v1.configmaps.watch({
      namespace: "d",
      reconnectBackoff: { minMs: 1 },
    })) {
      seen.push(ev.object.metadata?.resourceVersion ?? "");
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, ["5", "6", "7"]);
    assert.equal(rvOf(s.seen[1]?.url ?? ""), "6");
    await kube.close();
    await s.close();
  });
});

describe("close() ends the client's streams", () => {
  it("with a watch and a log follow open, close() resolves at once and each stream ends with ClientClosedError, never retrying", async () => {
    const s = await fakeApiserver((req, res) => {
      res.writeHead(200, { "content-type": req.url.includes("/log") ? "text/plain" : "application/json" });
      res.write(req.url.includes("/log") ? "first\n" : line(cm("5")));
    });
    const kube = createClient(createConfig({ server: s.url, env: {} }), quiet);
    const watch = kube.core.v1.configmaps.watch({ namespace: "d", reconnectBackoff: { minMs: 1, maxMs: 5 } });
    const log = kube.core.v1.pods.log({ namespace: "d", name: "p", follow: true });
    const watching = drain(watch);
    const following = drain(log);
    while (s.seen.length < 2) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    await kube.close();
    assert.ok(Date.now() - t0 < 1500, `close() took ${Date.now() - t0} ms`);
    const [w, l] = await Promise.all([watching, following]);
    assert.ok("error" in w && w.error instanceof ClientClosedError, `watch: ${JSON.stringify(w)}`);
    assert.ok("error" in l, `log: ${JSON.stringify(l)}`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.seen.length, 2, "no request after close()");
    await s.close();
  });

  it("a port-forward listener closes with its client", async () => {
    const kube = createClient(createConfig({ server: "http://127.0.0.1:1", env: {} }), quiet);
    const pf = await kube.core.v1.pods.portForward({ namespace: "d", name: "p", ports: [{ remote: 80 }] });
    const local = pf.ports[0]?.local as number;
    const { connect } = await import("node:net");
    const dial = () =>
      new Promise<string>((r) => {
        const c = connect(local, "127.0.0.1");
        c.once("connect", () => {
          c.destroy();
          r("accepted");
        });
        c.once("error", (e: NodeJS.ErrnoException) => r(e.code ?? "error"));
      });
    assert.equal(await dial(), "accepted");
    await kube.close();
    assert.equal(await dial(), "ECONNREFUSED");
  });

  it("an upgraded socket (exec, port-forward) is ended by close() too", async () => {
    const sockets = new Set<Socket>();
    const tcp = createTcp((c) => {
      sockets.add(c);
      c.on("error", () => {});
      c.once("data", (head) => {
        const key = /sec-websocket-key: (.+)\r\n/i.exec(head.toString())?.[1] ?? "";
        const accept = createHash("sha1")
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest("base64");
        c.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n`,
        );
      });
    });
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
    const kube = createClient(createConfig({ server: url, env: {} }), quiet);
    const p = await kube.core.v1.pods.exec({ namespace: "d", name: "p", command: ["cat"], stream: true });
    const t0 = Date.now();
    await kube.close();
    const outcome = await Promise.race([
      p.done.then(
        () => "resolved",
        (e: unknown) => e,
      ),
      new Promise((r) => setTimeout(() => r("hung"), 3000)),
    ]);
    assert.ok(outcome instanceof ConnectionError, String(outcome));
    assert.ok(outcome.cause instanceof ClientClosedError, String(outcome.cause));
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(
      kube.core.v1.pods.exec({ namespace: "d", name: "p", command: ["true"] }),
      (e: unknown) =>
        e instanceof ClientClosedError ||
        (e instanceof ConnectionError && e.cause instanceof ClientClosedError),
    );
    for (const c of sockets) c.destroy();
    await new Promise((r) => tcp.close(r));
  });
});
