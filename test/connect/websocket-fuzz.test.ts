import assert from "node:assert/strict";
import { Duplex } from "node:stream";
import { describe, it } from "node:test";
import {
  FrameReader,
  MAX_MESSAGE,
  WebSocketConnection,
  WebSocketProtocolError,
} from "../../src/connect/websocket.js";
import { fc, fuzz, mutated, pieces } from "../helpers/fuzz.js";
import { closeBody, serverFrame } from "./server-frames.js";

// The server's bytes are untrusted: random ones and mutations of valid frame sequences, in
// random pieces, must end in frames or a WebSocketProtocolError, never a hang, another
// error or an allocation a length field asked for.

const control = fc.uint8Array({ maxLength: 125 });
const closeCode = fc.constantFrom(1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999);

/** One message, maybe fragmented, with pings between its fragments. */
const message = fc
  .tuple(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => ({ opcode: 2, bytes: b })),
      fc.string({ unit: "binary", maxLength: 100 }).map((s) => ({ opcode: 1, bytes: Buffer.from(s) })),
      // Past the 16-bit length, so the 64-bit form is mutated too.
      fc.integer({ min: 65_536, max: 70_000 }).map((n) => ({ opcode: 2, bytes: new Uint8Array(n) })),
    ),
    fc.array(fc.nat(), { maxLength: 4 }),
    fc.boolean(),
  )
  .map(([{ opcode, bytes }, cuts, ping]) => {
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const parts = [0, ...at, bytes.length]
      .slice(1)
      .map((end, i, ends) => bytes.subarray(i ? ends[i - 1] : 0, end));
    return Buffer.concat(
      parts.flatMap((part, i) => [
        serverFrame(i ? 0 : opcode, part, i === parts.length - 1),
        ...(ping && i < parts.length - 1 ? [serverFrame(9, Buffer.from("p"))] : []),
      ]),
    );
  });

const frameOf = fc.oneof(
  message,
  control.map((b) => serverFrame(9, b)),
  control.map((b) => serverFrame(10, b)),
);

/** A valid sequence: messages and control frames, mostly ending with a close. */
const valid = fc
  .tuple(fc.array(frameOf, { maxLength: 8 }), fc.option(fc.tuple(closeCode, fc.string({ maxLength: 40 }))))
  .map(([frames, close]) =>
    Buffer.concat([...frames, ...(close ? [serverFrame(8, closeBody(close[0], close[1]))] : [])]),
  );

const input = fc.tuple(
  fc.oneof(mutated(valid), valid, fc.uint8Array({ maxLength: 512 })),
  fc.array(fc.nat({ max: 200 }), { maxLength: 40 }),
);

describe("fuzzing the WebSocket reader", () => {
  it("FrameReader: frames within the rules, or a WebSocketProtocolError", async () => {
    const cases = await fuzz(
      input,
      async ([bytes, cuts]) => {
        const r = new FrameReader();
        for await (const piece of pieces(bytes, cuts)) {
          r.push(piece);
          for (let f = r.next(); f; f = r.next()) {
            assert.ok(f.payload.length <= (f.opcode >= 8 ? 125 : MAX_MESSAGE));
            assert.ok(f.fin || f.opcode < 8, "a control frame is never fragmented");
          }
        }
        assert.ok(r.buffered <= bytes.length);
      },
      { seconds: 2, expected: [WebSocketProtocolError] },
    );
    assert.ok(cases > 50, `${cases} cases`);
  });

  it("WebSocketConnection: ends once, cleanly or with a WebSocketProtocolError, a reader that pauses or not", async () => {
    const cases = await fuzz(
      fc.tuple(input, fc.boolean()),
      async ([[bytes, cuts], slow]) => {
        let written = 0;
        const socket = new Duplex({
          read() {},
          write(chunk: Buffer, _encoding, callback) {
            written += chunk.length;
            callback();
          },
        });
        const ends: { code?: number; error?: Error }[] = [];
        let ended!: () => void;
        const over = new Promise<void>((r) => {
          ended = r;
        });
        let messages = 0;
        const ws = new WebSocketConnection(socket, {
          message(data) {
            messages++;
            assert.ok(data.length <= MAX_MESSAGE);
            if (slow) {
              ws.pause();
              setImmediate(() => ws.resume());
            }
          },
          end(result) {
            ends.push(result);
            ended();
          },
        });
        for await (const piece of pieces(bytes, cuts)) socket.push(piece);
        socket.push(null);
        await over;
        await new Promise((r) => setImmediate(r));
        socket.destroy();
        assert.equal(ends.length, 1, "end is called once");
        // A pong is its ping's payload and 6 bytes (a ping is 2 and its payload); one close of 8.
        assert.ok(written <= 3 * bytes.length + 8, `${written} bytes written for ${bytes.length} read`);
        assert.ok(messages <= bytes.length / 2);
        const error = ends[0]?.error;
        if (error) throw error;
      },
      { seconds: 3, expected: [WebSocketProtocolError] },
    );
    assert.ok(cases > 50, `${cases} cases`);
  });
});
