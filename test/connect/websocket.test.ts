import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { encodeFrame, FrameReader, WebSocketConnection } from "../../src/connect/websocket.js";

// The framing, byte by byte: pure logic, no server.

/** A server frame (unmasked), as the apiserver sends it. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0, n]) : n < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65_536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65_536) {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([head, payload]);
}

describe("frames", () => {
  for (const size of [0, 125, 126, 65_535, 65_536, 300_000]) {
    it(`a ${size}-byte client frame is masked and reads back`, () => {
      const payload = Buffer.alloc(size, 7);
      const frame = encodeFrame(2, payload);
      assert.equal((frame[1] as number) & 0x80, 0x80, "masked");
      const r = new FrameReader();
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

describe("a connection", () => {
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

  it("a fragmented message arrives whole; a ping is answered with its payload", () => {
    const c = open();
    c.socket.emit("data", serverFrame(2, Buffer.from("hel"), false));
    c.socket.emit("data", serverFrame(9, Buffer.from("p!")));
    c.socket.emit("data", serverFrame(0, Buffer.from("lo"), true));
    assert.deepEqual(
      c.messages.map((m) => m.toString()),
      ["hello"],
    );
    const r = new FrameReader();
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
    const r = new FrameReader();
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
