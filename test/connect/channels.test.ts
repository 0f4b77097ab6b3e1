import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { BOUND, openChannels } from "../../src/connect/channels.js";
import type { ConnectContext } from "../../src/connect/context.js";
import { PODS } from "../../src/connect/cp.js";
import { MAX_MESSAGE } from "../../src/connect/websocket.js";
import { ConnectionError, KubeError, loadConfig } from "../../src/index.js";
import { createTransport } from "../../src/transport/transport.js";
import { serverFrame } from "./server-frames.js";

// Handshakes a real server cannot be made to show (a server that refuses the v5+v4 pair, a
// wrong Sec-WebSocket-Accept, a non-Status refusal), from a loopback server of ours.

type Answer = (req: IncomingMessage, socket: Socket, n: number) => void;

async function server(answer: Answer) {
  const seen: IncomingMessage[] = [];
  const sockets: Socket[] = [];
  const s = createServer();
  s.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    seen.push(req);
    sockets.push(socket);
    answer(req, socket, seen.length);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  const config = await loadConfig({ server: url, namespace: "d", env: {} });
  const ctx: ConnectContext = {
    transport: createTransport(config),
    onWarning: () => {},
  };
  return {
    ctx,
    seen,
    close: async () => {
      await ctx.transport.close();
      // Upgraded sockets are the server's no more: end them here.
      for (const socket of sockets) socket.destroy();
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    },
  };
}

const accept = (req: IncomingMessage) =>
  createHash("sha1")
    .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest("base64");

const refuse = (socket: Socket, code: number, body: string, type = "application/json") =>
  socket.end(
    `HTTP/1.1 ${code} X\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );

const upgrade = (req: IncomingMessage, socket: Socket, protocol: string, acceptValue = accept(req)) =>
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptValue}\r\nsec-websocket-protocol: ${protocol}\r\n\r\n`,
  );

const spec = {
  verb: "exec",
  resource: PODS,
  target: "item" as const,
  subresource: "exec",
  name: "p",
  method: "GET" as const,
  query: { command: ["sh", "-c", "echo a b"], stdout: true },
};

describe("openChannels handshakes", () => {
  it("offers v5 and v4 together, with command= repeated per argument, on the path requestPath builds", async () => {
    const s = await server((req, socket) => {
      upgrade(req, socket, "v4.channel.k8s.io");
      // A status frame (channel 3, Success), unmasked as servers send, then the close.
      const payload = Buffer.concat([Buffer.from([3]), Buffer.from('{"status":"Success"}')]);
      // The close frame (1000) before the FIN, as the kubelet ends a stream.
      socket.end(
        Buffer.concat([Buffer.from([0x82, payload.length]), payload, Buffer.from([0x88, 2, 3, 232])]),
      );
    });
    try {
      const conn = await openChannels(s.ctx, spec);
      assert.equal(conn.protocol, "v4.channel.k8s.io");
      const frames = [];
      for await (const f of conn) frames.push([f.channel, f.data.toString()]);
      assert.deepEqual(frames, [[3, '{"status":"Success"}']]);
      const req = s.seen[0] as IncomingMessage;
      assert.equal(
        req.url,
        "/api/v1/namespaces/d/pods/p/exec?command=sh&command=-c&command=echo+a+b&stdout=true",
      );
      assert.equal(req.headers["sec-websocket-protocol"], "v5.channel.k8s.io, v4.channel.k8s.io");
    } finally {
      await s.close();
    }
  });

  it("a server that refuses the pair (403 naming the protocol) is asked again with v4 alone", async () => {
    const s = await server((req, socket, n) => {
      if (n === 1) refuse(socket, 403, "unable to upgrade: unsupported protocol", "text/plain");
      else upgrade(req, socket, "v4.channel.k8s.io");
    });
    try {
      const conn = await openChannels(s.ctx, spec);
      assert.equal(conn.protocol, "v4.channel.k8s.io");
      assert.equal(conn.canCloseChannels, false);
      await assert.rejects(conn.closeChannel(0), /no close signal/);
      assert.equal(s.seen[1]?.headers["sec-websocket-protocol"], "v4.channel.k8s.io");
      conn.close();
    } finally {
      await s.close();
    }
  });

  it("a refusal with a Status body is a KubeError with it; an RBAC 403 is not retried", async () => {
    const body = JSON.stringify({
      kind: "Status",
      status: "Failure",
      reason: "Forbidden",
      code: 403,
      message: "no exec for you",
    });
    const s = await server((_req, socket) => refuse(socket, 403, body));
    try {
      await assert.rejects(
        openChannels(s.ctx, spec),
        (e: unknown) =>
          e instanceof KubeError &&
          e.status === 403 &&
          e.reason === "Forbidden" &&
          /no exec for you/.test(e.message),
      );
      assert.equal(s.seen.length, 1);
    } finally {
      await s.close();
    }
  });

  it("a refusal that is not a Status: a KubeError with the body's first bytes", async () => {
    const s = await server((_req, socket) => refuse(socket, 400, "Upgrade request required", "text/plain"));
    try {
      await assert.rejects(
        openChannels(s.ctx, spec),
        (e: unknown) =>
          e instanceof KubeError && e.status === 400 && e.bodyPrefix === "Upgrade request required",
      );
    } finally {
      await s.close();
    }
  });

  it("a wrong Sec-WebSocket-Accept: a ConnectionError, the socket dropped", async () => {
    const s = await server((req, socket) =>
      upgrade(req, socket, "v4.channel.k8s.io", "bm90IHRoZSBhbnN3ZXI="),
    );
    try {
      await assert.rejects(
        openChannels(s.ctx, spec),
        (e: unknown) => e instanceof ConnectionError && /Sec-WebSocket-Accept/.test(e.message),
      );
    } finally {
      await s.close();
    }
  });

  it("a connection reset after the handshake: the iterator throws, closed rejects", async () => {
    const s = await server((req, socket) => {
      upgrade(req, socket, "v4.channel.k8s.io");
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    try {
      const conn = await openChannels(s.ctx, spec);
      await assert.rejects(async () => {
        for await (const _ of conn) {
        }
      });
      await assert.rejects(conn.closed);
    } finally {
      await s.close();
    }
  });

  it("an abort during the handshake rejects at once with the signal's reason", async () => {
    const s = await server(() => {}); // never answers
    try {
      const ac = new AbortController();
      const opening = openChannels(s.ctx, { ...spec, signal: ac.signal });
      setTimeout(() => ac.abort(), 100);
      await assert.rejects(opening, (e: unknown) => (e as Error).name === "AbortError");
    } finally {
      await s.close();
    }
  });
});

describe("a reader that stops reading", () => {
  // Memory is measured after a full collection, so only what is still held counts.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const held = () => {
    gc();
    return process.memoryUsage();
  };

  it(`40 frames of the largest size (${MAX_MESSAGE} bytes) grow the client by less than its bound; all arrive once read`, async (t) => {
    const frames = 40;
    // One frame, written 40 times: the server side allocates nothing while it sends.
    const payload = Buffer.alloc(MAX_MESSAGE, 0x61);
    payload[0] = 1; // stdout
    const frame = serverFrame(2, payload);
    let go!: () => void;
    const started = new Promise<void>((r) => {
      go = r;
    });
    let sent = 0;
    let stalled = false;
    const s = await server((req, socket) => {
      upgrade(req, socket, "v4.channel.k8s.io");
      void (async () => {
        await started;
        for (; sent < frames; sent++) {
          if (socket.write(frame)) continue;
          // The client stopped reading once no 'drain' comes for a while.
          const drained = await Promise.race([
            once(socket, "drain").then(() => true),
            new Promise((r) => setTimeout(r, 500, false)),
          ]);
          if (!drained) stalled = true;
          if (!drained) await once(socket, "drain");
          stalled = false;
        }
        socket.end(Buffer.from([0x88, 2, 3, 232]));
      })().catch(() => {});
    });
    try {
      const conn = await openChannels(s.ctx, spec);
      const before = held();
      go();
      while (!stalled && sent < frames) await new Promise((r) => setTimeout(r, 50));
      const after = held();
      const grew = after.arrayBuffers - before.arrayBuffers;
      t.diagnostic(
        `sent ${sent} of ${frames} before the stall; arrayBuffers +${(grew / 1048576).toFixed(2)} MiB, rss +${((after.rss - before.rss) / 1048576).toFixed(1)} MiB; bound ${(BOUND / 1048576).toFixed(2)} MiB`,
      );
      assert.ok(sent < frames, "the server was held back");
      assert.ok(grew < BOUND, `arrayBuffers grew by ${grew} bytes, over the bound of ${BOUND}`);
      let bytes = 0;
      for await (const f of conn) {
        assert.equal(f.channel, 1);
        bytes += f.data.length;
      }
      assert.equal(bytes, frames * (MAX_MESSAGE - 1));
    } finally {
      await s.close();
    }
  });
});
