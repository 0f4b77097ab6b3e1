import assert from "node:assert/strict";
import { Duplex, PassThrough } from "node:stream";
import { describe, it } from "node:test";
import {
  encodeFrame,
  FrameReader,
  MAX_MESSAGE,
  WebSocketConnection,
  WebSocketProtocolError,
} from "../../src/connect/websocket.js";
import { closeBody, serverFrame } from "./server-frames.js";

// The framing, byte by byte: pure logic, no server.

/** A server frame that is masked, as only a client may send. */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const plain = serverFrame(opcode, payload);
  const at = plain.length - payload.length;
  const mask = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i & 3] as number)));
  const out = Buffer.concat([plain.subarray(0, at), mask, body]);
  out[1] = (out[1] as number) | 0x80;
  return out;
}

/** What the client wrote, as frames. */
function clientFrames(written: Buffer[]): { opcode: number; payload: Buffer }[] {
  const r = new FrameReader({ from: "client" });
  for (const w of written) r.push(w);
  const out = [];
  for (let f = r.next(); f; f = r.next()) out.push(f);
  return out;
}

describe("frames", () => {
  for (const size of [0, 125, 126, 65_535, 65_536, 300_000]) {
    it(`a ${size}-byte client frame is masked and reads back`, () => {
      const payload = Buffer.alloc(size, 7);
      const frame = encodeFrame(2, payload);
      assert.equal((frame[1] as number) & 0x80, 0x80, "masked");
      const r = new FrameReader({ from: "client" });
      // Byte by byte for small ones, in odd chunks for large ones.
      const step = size < 200 ? 1 : 997;
      let got: ReturnType<FrameReader["next"]>;
      for (let i = 0; i < frame.length; i += step) {
        r.push(frame.subarray(i, i + step));
        got = got ?? r.next();
      }
      got = got ?? r.next();
      assert.ok(got);
      assert.equal(got.opcode, 2);
      assert.ok(got.payload.equals(payload));
    });
  }

  it("RSV bits without an extension are a protocol error", () => {
    const r = new FrameReader();
    r.push(Buffer.from([0xc2, 0]));
    assert.throws(() => r.next(), /RSV/);
  });
});

const open = () => {
  const socket = new PassThrough();
  const written: Buffer[] = [];
  // What the connection writes goes to `written`; what the "server" sends is emitted.
  const duplex = Object.assign(socket, {
    write: (chunk: Buffer) => {
      written.push(chunk);
      return true;
    },
  });
  const messages: Buffer[] = [];
  const ends: unknown[] = [];
  const ws = new WebSocketConnection(duplex, {
    message: (d) => messages.push(d),
    end: (r) => ends.push(r),
  });
  return { socket, written, messages, ends, ws };
};
describe("a connection", () => {
  it("a fragmented message arrives whole; a ping is answered with its payload", () => {
    const c = open();
    c.socket.emit("data", serverFrame(2, Buffer.from("hel"), false));
    c.socket.emit("data", serverFrame(9, Buffer.from("p!")));
    c.socket.emit("data", serverFrame(0, Buffer.from("lo"), true));
    assert.deepEqual(
      c.messages.map((m) => m.toString()),
      ["hello"],
    );
    const r = new FrameReader({ from: "client" });
    r.push(c.written[0] as Buffer);
    const pong = r.next();
    assert.equal(pong?.opcode, 10);
    assert.equal(pong?.payload.toString(), "p!");
  });

  it("the server's close frame is answered and ends the connection with its code", () => {
    const c = open();
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(1000);
    c.socket.emit("data", serverFrame(8, payload));
    assert.deepEqual(c.ends, [{ code: 1000 }]);
    const r = new FrameReader({ from: "client" });
    r.push(c.written[0] as Buffer);
    assert.equal(r.next()?.opcode, 8);
  });

  it("a continuation with no message is a protocol error that ends the connection", () => {
    const c = open();
    c.socket.emit("data", serverFrame(0, Buffer.from("x")));
    assert.equal(c.ends.length, 1);
    assert.match(String((c.ends[0] as { error: Error }).error), /continuation/);
  });
});

describe("RFC 6455's rules for a client", () => {
  const ping = (n: number, fin = true) => serverFrame(9, Buffer.alloc(n, 0x61), fin);
  const close = (code: number, reason: Buffer | string = "") => serverFrame(8, closeBody(code, reason));
  const broken: [string, Buffer[], RegExp][] = [
    ["a masked frame from the server (5.1)", [maskedFrame(2, Buffer.from("hi"))], /masked/],
    ["a masked ping from the server (5.1)", [maskedFrame(9, Buffer.from("hi"))], /masked/],
    ["a ping without FIN (5.5)", [ping(3, false)], /fragmented control/],
    ["a close without FIN (5.5)", [serverFrame(8, closeBody(1000), false)], /fragmented control/],
    [
      "a ping inside a fragmented message, itself not FIN (5.5)",
      [serverFrame(2, Buffer.from("a"), false), ping(1, false)],
      /fragmented control/,
    ],
    ["a ping of 126 bytes (5.5)", [ping(126)], /over 125/],
    ["a pong of 126 bytes (5.5)", [serverFrame(10, Buffer.alloc(126))], /over 125/],
    ["a close of 126 bytes (5.5)", [close(1000, "x".repeat(124))], /over 125/],
    ["a close with a 1-byte body (5.5.1)", [serverFrame(8, Buffer.from([3]))], /1-byte/],
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65_535].map((code): [string, Buffer[], RegExp] => [
      `a close with code ${code} (7.4)`,
      [close(code)],
      /code/,
    ]),
    ["a close reason that is not UTF-8 (5.5.1)", [close(1000, Buffer.from([0xff, 0x61]))], /UTF-8/],
    ["a text message that is not UTF-8 (8.1)", [serverFrame(1, Buffer.from([0xc3, 0x28]))], /UTF-8/],
    ["a text message that ends mid-character (8.1)", [serverFrame(1, Buffer.from([0xe2, 0x82]))], /UTF-8/],
    [
      "a fragmented text message that is not UTF-8 once whole (8.1)",
      [serverFrame(1, Buffer.from("a"), false), serverFrame(0, Buffer.from([0xff]))],
      /UTF-8/,
    ],
    ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((op): [string, Buffer[], RegExp] => [
      `the reserved opcode ${op} (5.2)`,
      [serverFrame(op, Buffer.alloc(0))],
      /opcode/,
    ]),
  ];
  for (const [name, frames, message] of broken) {
    it(`${name}: a WebSocketProtocolError, after a close with 1002`, () => {
      const c = open();
      for (const f of frames) c.socket.emit("data", f);
      assert.equal(c.ends.length, 1);
      const { error } = c.ends[0] as { error?: Error };
      assert.ok(error instanceof WebSocketProtocolError, String(error));
      assert.match(error.message, message);
      assert.deepEqual(c.messages, []);
      const sent = clientFrames(c.written);
      const last = sent.at(-1);
      assert.equal(last?.opcode, 8, "a close frame is the last thing sent");
      assert.equal(last.payload.readUInt16BE(0), 1002);
      assert.equal(sent.filter((f) => f.opcode === 10).length, 0, "no pong to a broken ping");
    });
  }

  for (const code of [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999]) {
    it(`a close with code ${code} and a UTF-8 reason ends the connection with both`, () => {
      const c = open();
      c.socket.emit("data", close(code, "bye ✓"));
      assert.deepEqual(c.ends, [{ code, reason: "bye ✓" }]);
      const sent = clientFrames(c.written);
      assert.equal(sent.at(-1)?.payload.readUInt16BE(0), code, "the code is echoed");
    });
  }

  it("a close with an empty body ends the connection cleanly and is answered with an empty close", () => {
    const c = open();
    c.socket.emit("data", serverFrame(8, Buffer.alloc(0)));
    assert.deepEqual(c.ends, [{}]);
    assert.deepEqual(
      clientFrames(c.written).map((f) => [f.opcode, f.payload.length]),
      [[8, 0]],
    );
  });

  it("a text message whose character is split between two fragments arrives whole", () => {
    const c = open();
    const euro = Buffer.from("€");
    c.socket.emit("data", serverFrame(1, euro.subarray(0, 1), false));
    c.socket.emit("data", serverFrame(9, Buffer.alloc(0)));
    c.socket.emit("data", serverFrame(0, euro.subarray(1)));
    assert.deepEqual(
      c.messages.map((m) => m.toString()),
      ["€"],
    );
    assert.deepEqual(c.ends, []);
  });

  it("a ping of 125 bytes is answered with its payload", () => {
    const c = open();
    c.socket.emit("data", ping(125));
    const sent = clientFrames(c.written);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.opcode, 10);
    assert.equal(sent[0]?.payload.length, 125);
  });
});

describe("pings from a server that does not read", () => {
  /** A socket whose peer takes nothing until release(): each write stays in its buffer. */
  const stalled = () => {
    const held: (() => void)[] = [];
    const written: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        held.push(() => callback());
      },
    });
    const ends: unknown[] = [];
    const ws = new WebSocketConnection(socket, { message: () => {}, end: (r) => ends.push(r) });
    const release = () => {
      while (held.length) held.shift()?.();
    };
    return { socket, written, ends, ws, release };
  };
  const ping = (i: number) => serverFrame(9, Buffer.from(String(i).padStart(125, "p")));

  it("20,000 pings leave at most the socket's high-water mark and one pong in its buffer", () => {
    const c = stalled();
    for (let i = 0; i < 20_000; i++) c.socket.emit("data", ping(i));
    // Unbounded, the pongs would hold 20,000 x 131 bytes (2.5 MiB).
    assert.ok(
      c.socket.writableLength <= c.socket.writableHighWaterMark + 131,
      `${c.socket.writableLength} bytes buffered`,
    );
    assert.deepEqual(c.ends, []);
  });

  it("when the buffer drains, the latest ping is answered and the ones held back are not", async () => {
    const c = stalled();
    for (let i = 0; i < 1000; i++) c.socket.emit("data", ping(i));
    c.release();
    await new Promise((r) => setImmediate(r));
    c.release();
    // Pings 0..k-1 were answered while the buffer had room, then only the latest.
    const answered = clientFrames(c.written).map((f) => f.payload.toString());
    const k = answered.length - 1;
    assert.ok(k * 131 >= c.socket.writableHighWaterMark && k < 200, `${k} answered before the buffer filled`);
    assert.deepEqual(
      answered,
      [...Array.from({ length: k }, (_, i) => i), 999].map((i) => String(i).padStart(125, "p")),
    );
  });
});

describe("bounded reading", () => {
  /** A header claiming n payload bytes (64-bit length), with no payload after it. */
  const header = (opcode: number, n: number, fin = true) => {
    const h = Buffer.alloc(10);
    h[0] = (fin ? 0x80 : 0) | opcode;
    h[1] = 127;
    h.writeBigUInt64BE(BigInt(n), 2);
    return h;
  };

  for (const [n, name] of [
    [MAX_MESSAGE + 1, `${MAX_MESSAGE + 1}`],
    [2 ** 53, "2^53"],
    [2 ** 63, "2^63"],
  ] as const) {
    it(`a frame claiming ${name} bytes fails as soon as its header is in`, () => {
      const r = new FrameReader();
      r.push(header(2, n));
      assert.throws(() => r.next(), WebSocketProtocolError);
    });
  }

  it(`a frame of exactly ${MAX_MESSAGE} bytes is read`, () => {
    const r = new FrameReader();
    r.push(header(2, MAX_MESSAGE));
    assert.equal(r.next(), undefined, "waits for the payload");
    r.push(Buffer.alloc(MAX_MESSAGE, 1));
    assert.equal(r.next()?.payload.length, MAX_MESSAGE);
    assert.equal(r.buffered, 0);
  });

  it("a fragmented message over the limit fails at the header of the frame that would cross it", () => {
    const c = open();
    const half = Math.ceil(MAX_MESSAGE / 2) + 1;
    c.socket.emit("data", serverFrame(2, Buffer.alloc(half), false));
    c.socket.emit("data", header(0, half));
    const { error } = c.ends[0] as { error?: Error };
    assert.ok(error instanceof WebSocketProtocolError, String(error));
    assert.equal(clientFrames(c.written).at(-1)?.payload.readUInt16BE(0), 1002);
  });

  it("a paused connection hands out no message; resume() hands out those already read, in order", () => {
    const c = open();
    c.ws.pause();
    c.socket.emit("data", Buffer.concat([1, 2, 3].map((i) => serverFrame(2, Buffer.from([i])))));
    assert.deepEqual(c.messages, []);
    c.ws.resume();
    assert.deepEqual(
      c.messages.map((m) => m[0]),
      [1, 2, 3],
    );
  });

  it("a socket that closes while paused: its close frame, already read, still ends the connection cleanly", () => {
    const c = open();
    c.ws.pause();
    c.socket.emit("data", Buffer.concat([serverFrame(2, Buffer.from("x")), serverFrame(8, closeBody(1000))]));
    c.socket.emit("end");
    c.socket.emit("close");
    assert.deepEqual(c.ends, []);
    c.socket.destroy();
    assert.throws(() => c.ws.send(Buffer.from("y")), /closed/, "nothing is sent to a socket that is gone");
    c.ws.resume();
    assert.deepEqual(
      c.messages.map((m) => m.toString()),
      ["x"],
    );
    assert.deepEqual(c.ends, [{ code: 1000 }]);
  });

  it("a socket that ends with half a frame read is an abnormal closure", () => {
    const c = open();
    c.socket.emit("data", serverFrame(2, Buffer.from("hello")).subarray(0, 4));
    c.socket.emit("end");
    const { error } = c.ends[0] as { error?: Error };
    assert.match(String(error), /without a WebSocket close frame/);
  });
});
