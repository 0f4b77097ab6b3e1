// Long-lived streams on a loopback server of ours, for what the real apiserver cannot be made
// to do: go silent, answer a watch with empty 200s, send ERROR 500/504, expire a continue token.
import assert from "node:assert/strict";
import { setMaxListeners } from "node:events";
import { readdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createInformer } from "kubefetch/informer";
import { createConfig, ListExpiredError } from "../../src/index.js";

/** A loopback server whose handler may keep responses open; counts requests and open sockets. */
async function server(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const urls: string[] = [];
  const sockets = new Set<Socket>();
  const s = createServer((req, res) => {
    urls.push(req.url ?? "");
    handler(req, res, urls.length);
  });
  s.on("connection", (c: Socket) => {
    sockets.add(c);
    c.on("close", () => sockets.delete(c));
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    url,
    urls,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

const client = (url: string, options = {}) =>
  createClient(createConfig({ server: url, namespace: "d", env: {} }), {
    retry: { maxRetries: 0 },
    ...options,
  });
const cm = (rv: string) => ({
  type: "ADDED",
  object: { metadata: { name: `cm${rv}`, resourceVersion: rv } },
});
const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const rvOf = (url: string) => new URL(url, "http://x").searchParams.get("resourceVersion");

/** The server sends rv 5, then something that must resume the watch, then rv 6. */
async function expectResumed(s: Awaited<ReturnType<typeof server>>, options: { idleTimeoutMs?: number }) {
  const kube = client(s.url);
  const seen: string[] = [];
  for await (const ev of kube.core.v1.configmaps.watch({
    ...options,
    reconnectBackoff: { minMs: 10, maxMs: 20 },
  })) {
    seen.push(ev.object.metadata?.resourceVersion ?? "");
    if (seen.length === 2) break;
  }
  assert.deepEqual(seen, ["5", "6"]);
  assert.equal(rvOf(s.urls[1] as string), "5", "resumed from the last resourceVersion");
  await kube.close();
  await s.close();
}

describe("streams have no body timeout; liveness instead", () => {
  it("a followed log quiet for longer than the body timeout keeps streaming (a unary call would not)", async () => {
    const s = await server((req, res) => {
      if (req.url?.includes("/log")) {
        res.writeHead(200, { "content-type": "text/plain" }).write("first\n");
        setTimeout(() => res.end("second\n"), 1500);
        return;
      }
      // A unary answer that stalls as long.
      res.writeHead(200, { "content-type": "application/json" }).write('{"kind":');
      setTimeout(() => res.end('"ConfigMap"}'), 1500);
    });
    // Unary calls give up after 500 ms of silence; the log stream must not.
    const kube = client(s.url, { bodyTimeoutMs: 500 });
    const lines: string[] = [];
    for await (const l of kube.core.v1.pods.log({ name: "p", follow: true })) lines.push(l);
    assert.deepEqual(lines, ["first", "second"]);
    await assert.rejects(kube.core.v1.configmaps.get({ name: "a" }), /timeout/i);
    await kube.close();
    await s.close();
  });

  it("a watch that goes silent (half-open) is resumed from its last resourceVersion", async () => {
    const s = await server((_req, res, n) => {
      res.writeHead(200, { "content-type": "application/json" });
      // First connection: one event, then silence with the socket open.
      if (n === 1) res.write(line(cm("5")));
      else res.end(line(cm("6")));
    });
    await expectResumed(s, { idleTimeoutMs: 300 });
  });

  it("a watch answered by empty 200s backs off: a handful of requests in 10 s, not thousands", async () => {
    const s = await server((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end());
    const kube = client(s.url);
    const stop = AbortSignal.timeout(10_000);
    const reconnects: unknown[] = [];
    for await (const _ of kube.core.v1.configmaps.watch({
      signal: stop,
      onReconnect: (c) => reconnects.push(c),
    })) {
      assert.fail("no event was sent");
    }
    // Default backoff 0.5 s doubling with jitter: at most 6 requests fit in 10 s.
    assert.ok(s.urls.length >= 3 && s.urls.length <= 6, `${s.urls.length} requests`);
    assert.match(String(reconnects[0]), /very short watch/);
    await kube.close();
    await s.close();
  });

  for (const error of [
    { code: 500, reason: "InternalError" },
    { code: 504, reason: "Timeout" },
    { code: 500, reason: "Timeout", message: "too old resource version? no: etcd timed out" },
  ]) {
    it(`an ERROR event ${error.code} ${error.reason} resumes the watch like a dropped connection`, async () => {
      const s = await server((_req, res, n) => {
        res.writeHead(200, { "content-type": "application/json" });
        if (n === 1) res.end(line(cm("5")) + line({ type: "ERROR", object: { kind: "Status", ...error } }));
        else res.end(line(cm("6")));
      });
      await expectResumed(s, {});
    });
  }

  it("an ERROR event 410 still ends watch() with WatchExpiredError", async () => {
    const s = await server((_req, res) =>
      res
        .writeHead(200)
        .end(line({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } })),
    );
    const kube = client(s.url);
    await assert.rejects(async () => {
      for await (const _ of kube.core.v1.configmaps.watch()) {
      }
    }, /WatchExpiredError|410|Expired/);
    await kube.close();
    await s.close();
  });
});

describe("listAll as client-go's pager: an expired continue token", () => {
  const page = (items: unknown[], cont?: string) => ({
    kind: "ConfigMapList",
    apiVersion: "v1",
    metadata: cont ? { continue: cont } : {},
    items,
  });
  const expired = { kind: "Status", code: 410, reason: "Expired", message: "continue token expired" };
  const item = (n: number) => ({ metadata: { name: `c${n}` } });

  it("with nothing handed out yet, falls back to one full list", async () => {
    const s = await server((req, res) => {
      const q = new URL(req.url ?? "", "http://x").searchParams;
      res.writeHead(q.get("continue") ? 410 : 200, { "content-type": "application/json" });
      if (q.get("continue")) return res.end(JSON.stringify(expired));
      // A first page may be empty and still continue (filtered server-side).
      res.end(JSON.stringify(q.get("limit") ? page([], "tok") : page([item(1), item(2), item(3)])));
    });
    const kube = client(s.url);
    const names: string[] = [];
    for await (const c of kube.core.v1.configmaps.listAll({ limit: 2 })) names.push(c.metadata?.name ?? "");
    assert.deepEqual(names, ["c1", "c2", "c3"]);
    assert.equal(new URL(s.urls[2] as string, "http://x").searchParams.get("limit"), null);
    await kube.close();
    await s.close();
  });

  it("after items were handed out, throws ListExpiredError saying how many", async () => {
    const s = await server((req, res) => {
      const q = new URL(req.url ?? "", "http://x").searchParams;
      res.writeHead(q.get("continue") ? 410 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(q.get("continue") ? expired : page([item(1), item(2)], "tok")));
    });
    const kube = client(s.url);
    const names: string[] = [];
    await assert.rejects(
      async () => {
        for await (const c of kube.core.v1.configmaps.listAll({ limit: 2 }))
          names.push(c.metadata?.name ?? "");
      },
      (err: unknown) =>
        err instanceof ListExpiredError && err.items === 2 && /after 2 items/.test(err.message),
    );
    assert.deepEqual(names, ["c1", "c2"]);
    await kube.close();
    await s.close();
  });
});

describe("socket hygiene", () => {
  const fds = () => readdirSync("/proc/self/fd").length;

  it("1,000 watches opened and aborted and 1,000 log follows ended leave no socket open", async () => {
    const s = await server((req, res) => {
      const log = req.url?.includes("/log");
      if (!log && !req.url?.includes("watch=1")) return res.writeHead(200).end('{"kind":"ConfigMap"}');
      res.writeHead(200, { "content-type": log ? "text/plain" : "application/json" });
      // One line, and the stream stays open: the client must end it.
      res.write(log ? "a line\n" : line(cm("1")));
    });
    const kube = client(s.url);
    await kube.core.v1.configmaps.get({ name: "warm" }).catch(() => {});
    const before = fds();
    for (let i = 0; i < 1000; i++) {
      const ac = new AbortController();
      for await (const _ of kube.core.v1.configmaps.watch({ signal: ac.signal })) {
        ac.abort();
      }
    }
    for (let i = 0; i < 1000; i++) {
      for await (const _ of kube.core.v1.pods.log({ name: "p", follow: true })) break;
    }
    // Closed sockets are reaped as their close events run.
    for (let i = 0; i < 50 && s.open() > 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(s.open() <= 1, `${s.open()} sockets still open at the server`);
    assert.ok(fds() <= before + 2, `open files: ${before} before, ${fds()} after`);
    assert.equal(s.urls.length, 2001);
    await kube.close();
    await s.close();
  });

  it("many open watches do not starve unary calls: streams have their own connections", async () => {
    const s = await server((req, res) => {
      if (req.url?.includes("watch=1")) return res.writeHead(200).write(line(cm("1")));
      res
        .writeHead(200, { "content-type": "application/json" })
        .end('{"kind":"ConfigMap","metadata":{"name":"a"}}');
    });
    const kube = client(s.url);
    const ac = new AbortController();
    setMaxListeners(200, ac.signal); // one listener per watch on the shared signal
    const watches = Array.from({ length: 100 }, async () => {
      for await (const _ of kube.core.v1.configmaps.watch({ signal: ac.signal })) {
      }
    });
    while (s.urls.length < 100) await new Promise((r) => setTimeout(r, 10));
    // 100 streams exceed the unary pool's 64 connections; a get still answers.
    const got = await kube.core.v1.configmaps.get({ name: "a" }, { signal: AbortSignal.timeout(5_000) });
    assert.equal(got.metadata?.name, "a");
    ac.abort();
    await Promise.all(watches);
    await kube.close();
    await s.close();
  });
});

describe("the informer says when it cannot work", () => {
  it("an error with no listener is reported once through onWarning", async () => {
    const s = await server((_req, res) =>
      res.writeHead(500, { "content-type": "application/json" }).end("{}"),
    );
    const warnings: string[] = [];
    const kube = client(s.url, { onWarning: (m: string) => warnings.push(m) });
    const inf = createInformer(kube.core.v1.configmaps, { minBackoffMs: 10, maxBackoffMs: 20 });
    await inf.start();
    while (s.urls.length < 5) await new Promise((r) => setTimeout(r, 10));
    await inf.stop();
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0] as string, /informer: .*500/);
    assert.equal(inf.hasSynced(), false);
    await kube.close();
    await s.close();
  });

  it("off() removes a handler", async () => {
    const s = await server((_req, res) =>
      res.writeHead(500, { "content-type": "application/json" }).end("{}"),
    );
    const kube = client(s.url, { onWarning: () => {} });
    const inf = createInformer(kube.core.v1.configmaps, { minBackoffMs: 10, maxBackoffMs: 20 });
    let a = 0;
    let b = 0;
    const fa = () => a++;
    inf.on("error", fa).on("error", () => b++);
    inf.off("error", fa);
    await inf.start();
    while (s.urls.length < 3) await new Promise((r) => setTimeout(r, 10));
    await inf.stop();
    assert.equal(a, 0);
    assert.ok(b >= 2);
    await kube.close();
    await s.close();
  });
});
