// The client half of RFC 6455 framing on an already upgraded socket (the handshake is
// Transport.upgrade's). Small on purpose: binary messages out (masked, as a client must),
// binary or text messages in, ping answered with pong, the close handshake. No extensions
// are offered, so none can be agreed.

import { isUtf8 } from "node:buffer";
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { setLongTimeout, type Timer } from "../core/timers.js";

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/**
 * The largest message (all its frames) read; a larger one fails the connection. The kubelet
 * and the apiserver's stream translator write what one io.Copy read gives, 32 KiB at most,
 * and a Status is a few KiB: 1 MiB leaves 32 times that, and bounds what one connection
 * holds (see channels.ts).
 */
export const MAX_MESSAGE = 1024 * 1024;

/** The peer broke the WebSocket protocol, or the connection ended without a close handshake. */
export class WebSocketProtocolError extends Error {
  /** "WebSocketProtocolError", as stack traces show it. */
  override readonly name = "WebSocketProtocolError";
}

export interface WebSocketEvents {
  message(data: Buffer): void;
  /** The connection is over: a close frame (code, reason) or an error. Called once. */
  end(result: { code?: number; reason?: string; error?: Error }): void;
}

/** Masked client frame: FIN set, one frame per message. */
export function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  const body = head + 4;
  for (let i = 0; i < n; i++) out[body + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return out;
}

/** RFC 6455 5.5: a control frame carries at most 125 bytes and is never fragmented. */
const MAX_CONTROL = 125;

/**
 * The close codes a peer may send (RFC 6455 7.4.1, 7.4.2 and the IANA registry): 1004 is
 * reserved; 1005, 1006 and 1015 (no code, no close frame, TLS failure) are only ever reported
 * locally, never sent; 1016-2999 are kept for future specifications; under 1000 is unused.
 */
function peerMaySend(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/**
 * Incremental frame reader: push socket chunks in, whole frames come out. A client reads the
 * server's frames, which must not be masked (RFC 6455 5.1); `from: "client"` reads a
 * client's, which must be (our own frames, in tests). A length over the limit fails as soon
 * as the header is in, so no frame holds more than its header and `maxPayload` bytes here.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly masked: boolean;
  private readonly maxPayload: number;

  constructor(options: { from?: "server" | "client"; maxPayload?: number } = {}) {
    this.masked = options.from === "client";
    this.maxPayload = options.maxPayload ?? MAX_MESSAGE;
  }

  /** Bytes pushed and not yet returned as frames. */
  get buffered(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /**
   * The next whole frame, or undefined until more bytes arrive. `maxPayload` lowers the
   * limit for a data frame (what is left of a fragmented message's allowance).
   */
  next(maxPayload = this.maxPayload): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    if (this.size < 2) return undefined;
    const head = this.peek(Math.min(this.size, 14));
    const b0 = head[0] as number;
    const b1 = head[1] as number;
    if (b0 & 0x70) throw new WebSocketProtocolError("a frame with RSV bits set (no extension was agreed)");
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    // RFC 6455 5.2: an opcode it does not define fails the connection.
    if ((opcode > OP_BINARY && opcode < OP_CLOSE) || opcode > OP_PONG) {
      throw new WebSocketProtocolError(`an unknown opcode ${opcode}`);
    }
    const control = opcode >= OP_CLOSE;
    if (control && !fin) throw new WebSocketProtocolError("a fragmented control frame");
    const masked = (b1 & 0x80) !== 0;
    if (masked !== this.masked) {
      throw new WebSocketProtocolError(
        masked ? "a masked frame from the server" : "an unmasked frame from the client",
      );
    }
    let len = b1 & 0x7f;
    if (control && len > MAX_CONTROL) throw new WebSocketProtocolError("a control frame over 125 bytes");
    let at = 2;
    if (len === 126) {
      if (head.length < 4) return undefined;
      len = head.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (head.length < 10) return undefined;
      // A 64-bit length may exceed what a Number holds exactly: compare before converting.
      const big = head.readBigUInt64BE(2);
      len = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(big);
      at = 10;
    }
    const limit = Math.min(maxPayload, this.maxPayload);
    if (!control && len > limit) {
      throw new WebSocketProtocolError(
        `a frame of ${len === Number.POSITIVE_INFINITY ? "over 2^53" : len} bytes (at most ${limit} are read)`,
      );
    }
    const total = at + (masked ? 4 : 0) + len;
    if (this.size < total) return undefined;
    const mask = masked ? this.peek(at + 4).subarray(at, at + 4) : undefined;
    this.skip(total - len);
    const payload = this.take(len);
    if (mask) for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    return { fin, opcode, payload };
  }

  /** The first n (at most 14) bytes, without taking them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first;
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, false);
    return out;
  }

  private skip(n: number): void {
    let left = n;
    while (left > 0) {
      const first = this.chunks[0] as Buffer;
      if (first.length > left) {
        this.chunks[0] = first.subarray(left);
        break;
      }
      left -= first.length;
      this.chunks.shift();
    }
    this.size -= n;
  }

  /**
   * The next n bytes in a buffer of their own: the caller unmasks it in place and keeps it
   * after the socket moves on, and a small payload never pins a large chunk.
   */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, true);
    this.size -= n;
    return out;
  }

  private copyOut(out: Buffer, consume: boolean): void {
    let at = 0;
    let i = 0;
    while (at < out.length) {
      const chunk = this.chunks[i] as Buffer;
      const n = Math.min(chunk.length, out.length - at);
      chunk.copy(out, at, 0, n);
      at += n;
      if (!consume) i++;
      else if (n === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(n);
    }
  }
}

/**
 * One WebSocket connection on an upgraded socket. While paused it hands out no message: the
 * bytes already read wait in the reader (the rest of one socket chunk, 64 KiB at most from a
 * net or TLS socket) and the socket reads no more, so what the connection holds is that plus
 * one message in progress (its fragments and the frame arriving: MAX_MESSAGE and a header).
 */
export class WebSocketConnection {
  private readonly reader = new FrameReader();
  private fragments: Buffer[] = [];
  private fragmentSize = 0;
  /** Whether the fragmented message being received is text (its first frame said so). */
  private textMessage = false;
  private closeTimer: Timer | undefined;
  /** The latest ping's payload while the socket's buffer is full. */
  private pendingPong: Buffer | undefined;
  private sentClose = false;
  private ended = false;
  private paused = false;
  /** The socket ended or closed; frames read before it may still wait in the reader. */
  private eof = false;
  /** Set while frames are handed out, so a resume() from a message handler does not nest. */
  private pumping = false;

  constructor(
    readonly socket: Duplex,
    private readonly events: WebSocketEvents,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.endWith({ error: err }));
    // The socket may end, and close, while paused with frames still in the reader (Node
    // reads the EOF once its own buffer is empty): those come first, so a close frame among
    // them is seen; the end is dealt with when they are out (pump).
    socket.on("end", () => this.onEof());
    socket.on("close", () => this.onEof());
  }

  /** Sends one binary message; false when the socket's buffer is full (wait for drain()). */
  send(payload: Uint8Array): boolean {
    // The socket may be gone before the connection ends (paused with frames still to hand out).
    if (this.ended || this.sentClose || !this.socket.writable) {
      throw new WebSocketProtocolError("the WebSocket is closed");
    }
    return this.socket.write(encodeFrame(OP_BINARY, payload));
  }

  /** Resolves when the socket's write buffer has drained, or the connection ended. */
  drain(): Promise<void> {
    if (this.ended || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** No message is handed out until resume(); the socket stops reading. */
  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
    this.pump();
  }

  /** Starts the close handshake (code 1000); the socket goes after the peer's answer or 5 s. */
  close(code = 1000): void {
    if (this.ended) return;
    this.sendClose(code);
    this.destroyLater();
  }

  /** Ends the connection at once, with error as its result. */
  destroy(error: Error): void {
    this.endWith({ error });
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.reader.push(chunk);
    this.pump();
  }

  private onEof(): void {
    this.eof = true;
    this.pump();
  }

  /** Hands out the frames read until paused or none is whole; then a peer's end is seen. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.ended && !this.paused) {
        // A fragmented message's frames share one allowance, checked as each header arrives.
        const f = this.reader.next(MAX_MESSAGE - this.fragmentSize);
        if (!f) break;
        this.onFrame(f.fin, f.opcode, f.payload);
      }
    } catch (err) {
      if (err instanceof WebSocketProtocolError) this.fail(err);
      else this.destroy(err as Error);
    } finally {
      this.pumping = false;
    }
    if (!this.eof || this.paused || this.ended) return;
    // A TCP close (FIN) with no close frame before it is an abnormal closure (RFC 6455's
    // 1006): the kubelet ends exec and port-forward with a close frame (1000, measured on
    // 1.20), while a killed or restarted apiserver leaves only the FIN.
    this.endWith({
      error: new WebSocketProtocolError("the connection ended without a WebSocket close frame"),
    });
    this.socket.end();
  }

  /**
   * RFC 6455 7.1.7, _Fail the WebSocket Connection_: a close frame with 1002 (protocol error)
   * when one can still be sent, then nothing more of the peer's is read; its FIN, or 5 s,
   * ends the socket.
   */
  private fail(error: WebSocketProtocolError): void {
    if (this.ended) return;
    this.sendClose(1002);
    this.endWith({ error });
    this.socket.resume();
    this.socket.end();
    this.destroyLater();
  }

  /**
   * A pong goes out only while the socket's buffer has room, so a server that pings and never
   * reads cannot grow it: meanwhile only the latest ping is kept, answered on 'drain' (RFC
   * 6455 5.5.3 allows answering just the most recent ping). None after our close (5.5.1).
   */
  private pong(payload: Buffer): void {
    if (this.sentClose || !this.socket.writable) return;
    if (!this.socket.writableNeedDrain) {
      this.socket.write(encodeFrame(OP_PONG, payload));
      return;
    }
    const waiting = this.pendingPong !== undefined;
    this.pendingPong = payload;
    if (waiting) return;
    this.socket.once("drain", () => {
      const latest = this.pendingPong as Buffer;
      this.pendingPong = undefined;
      if (!this.ended) this.pong(latest);
    });
  }

  /** One close frame per connection; without a code its body is empty. */
  private sendClose(code: number | undefined): void {
    if (this.sentClose || !this.socket.writable) return;
    this.sentClose = true;
    const payload = Buffer.alloc(code === undefined ? 0 : 2);
    if (code !== undefined) payload.writeUInt16BE(code);
    this.socket.write(encodeFrame(OP_CLOSE, payload));
  }

  /** The socket goes when the peer closes it, or after 5 s if it never does. */
  private destroyLater(): void {
    if (this.closeTimer) return;
    const timer = setLongTimeout(() => this.socket.destroy(), 5000).unref();
    this.closeTimer = timer;
    this.socket.once("close", () => timer.clear());
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_PING:
        this.pong(payload);
        return;
      case OP_PONG:
        return;
      case OP_CLOSE: {
        // RFC 6455 5.5.1: the body is empty, or a 2-byte code and a UTF-8 reason.
        if (payload.length === 1) throw new WebSocketProtocolError("a close frame with a 1-byte body");
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
        if (code !== undefined && !peerMaySend(code)) {
          throw new WebSocketProtocolError(`a close frame with code ${code}, which no peer may send`);
        }
        const body = payload.subarray(2);
        if (!isUtf8(body)) throw new WebSocketProtocolError("a close reason that is not UTF-8");
        const reason = body.length ? body.toString("utf8") : undefined;
        // Answer the close, then the server closes the TCP connection (RFC 6455 7.1.1).
        this.sendClose(code);
        this.endWith({ ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}) });
        this.socket.end();
        this.destroyLater();
        return;
      }
      case OP_TEXT:
      case OP_BINARY:
      case OP_CONTINUATION: {
        const inMessage = this.fragments.length > 0;
        if (opcode === OP_CONTINUATION && !inMessage)
          throw new WebSocketProtocolError("a continuation frame with no message");
        if (opcode !== OP_CONTINUATION && inMessage)
          throw new WebSocketProtocolError("a new message inside a fragmented one");
        this.fragmentSize += payload.length;
        if (!fin) {
          if (!inMessage) this.textMessage = opcode === OP_TEXT;
          this.fragments.push(payload);
          return;
        }
        const whole = this.fragments.length ? Buffer.concat([...this.fragments, payload]) : payload;
        const text = this.fragments.length ? this.textMessage : opcode === OP_TEXT;
        this.fragments = [];
        this.fragmentSize = 0;
        // RFC 6455 8.1: a text message is UTF-8 as a whole (a fragment may end mid-character).
        if (text && !isUtf8(whole)) throw new WebSocketProtocolError("a text message that is not UTF-8");
        this.events.message(whole);
        return;
      }
      default:
        // FrameReader refuses the opcodes RFC 6455 does not define.
        throw new WebSocketProtocolError(`an unknown opcode ${opcode}`);
    }
  }

  private endWith(result: { code?: number; reason?: string; error?: Error }): void {
    if (this.ended) return;
    this.ended = true;
    this.events.end(result);
  }
}
