// The Kubernetes channel protocols over WebSocket (exec, attach, port-forward): each binary
// message is one channel byte and its payload. v4.channel.k8s.io: 0 stdin, 1 stdout,
// 2 stderr, 3 status (a Status), 4 resize. v5.channel.k8s.io adds the close signal
// [255, channel], the only way to end a stream (stdin) without ending the connection.

import { ConnectionError } from "../core/connection-error.js";
import { KubeError, type Status } from "../core/kube-error.js";
import { queryString, type RequestSpec } from "../core/request.js";
import { UpgradeRefusedError } from "../transport/transport.js";
import { type ConnectContext, connectPath } from "./context.js";
import { MAX_MESSAGE, WebSocketConnection, WebSocketProtocolError } from "./websocket.js";
import { websocketHandshake } from "./ws-handshake.js";

export const V5_CHANNEL = "v5.channel.k8s.io";
export const V4_CHANNEL = "v4.channel.k8s.io";
/** What exec and attach offer: the server picks the newest it speaks. */
export const EXEC_PROTOCOLS: readonly string[] = [V5_CHANNEL, V4_CHANNEL];

/** The channel byte of v5's close signal. */
const CLOSE_SIGNAL = 255;
/** Payloads go out in pieces of at most this many bytes (kubectl's stream buffer size). */
const CHUNK = 32 * 1024;
/**
 * Bytes read but not yet consumed before the connection is paused; it resumes under half.
 * Counted in bytes, not frames, since a frame may hold up to MAX_MESSAGE. What one
 * connection holds for a reader that stops reading is then at most the queue (HIGH_WATER
 * and the message that crossed it, MAX_MESSAGE) and what the WebSocket layer has in
 * progress (one message, MAX_MESSAGE and a 14-byte header, and the rest of a socket chunk,
 * 64 KiB): 1 + 1 + 1 MiB + 64 KiB, about 3.1 MiB (BOUND), beside the socket's own buffers.
 */
const HIGH_WATER = 1024 * 1024;
/** What a queued frame costs beyond its bytes (its object and Buffer view), so empty ones count. */
const FRAME_COST = 128;
/** The most one connection holds for a reader that stops reading (see HIGH_WATER). */
export const BOUND = HIGH_WATER + 2 * MAX_MESSAGE + 14 + 64 * 1024;

/** One message: its channel and its bytes. */
export interface ChannelFrame {
  channel: number;
  data: Buffer;
}

export interface ChannelConnection extends AsyncIterable<ChannelFrame> {
  /** The subprotocol the server chose. */
  readonly protocol: string;
  /** The request's path and query, for messages. */
  readonly path: string;
  /** Whether closeChannel works (v5): on v4 a stream ends only with the whole connection. */
  readonly canCloseChannels: boolean;
  /**
   * Sends bytes on a channel (in pieces of 32 KiB); resolves when the socket's buffer has
   * room again, so a writer that awaits each send never piles data up in memory.
   */
  send(channel: number, data: Uint8Array | string): Promise<void>;
  /**
   * v5's close signal: the server sees end-of-file on that channel (stdin). Throws on v4,
   * where it does not exist: close the connection instead, or write what ends the
   * program's input (e.g. "exit\n" to a shell) — kubectl on v4 has the same limit.
   */
  closeChannel(channel: number): Promise<void>;
  /**
   * Resolves when the connection is over: the server's close frame or its clean end;
   * rejects when it broke (reset, protocol error) or was aborted.
   */
  readonly closed: Promise<void>;
  /** Ends the connection (close handshake, then the socket goes). */
  close(): void;
}

export interface OpenOptions {
  /** Subprotocols offered, most preferred first. */
  protocols: readonly string[];
}

/**
 * Opens a channel connection for a connect subresource. The path comes only from
 * requestPath (so the name and namespace checks and the namespace policy apply); the query's
 * arrays repeat their key (`command=sh&command=-c&...`, as kubectl sends it).
 */
export async function openChannels(
  ctx: ConnectContext,
  spec: RequestSpec,
  options: OpenOptions = { protocols: EXEC_PROTOCOLS },
): Promise<ChannelConnection> {
  const path = `${connectPath(ctx, spec)}${queryString(spec.query)}`;
  const signal = spec.signal;
  const offer = async (protocols: readonly string[]) => {
    try {
      return await websocketHandshake(ctx.transport, path, protocols, signal);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (err instanceof UpgradeRefusedError) throw refusal(err, path);
      throw new ConnectionError({ method: "GET", server: ctx.transport.config.server, path, cause: err });
    }
  };
  let upgraded: Awaited<ReturnType<typeof offer>>;
  try {
    upgraded = await offer(options.protocols);
  } catch (err) {
    // Servers before 1.30 know no v5. Measured on 1.20: offered [v5, v4] it picks v4; offered
    // v5 alone it answers a bare 403. Should a server refuse the pair, the older one alone.
    const older = options.protocols.filter((p) => p !== V5_CHANNEL);
    if (!(older.length && older.length < options.protocols.length && refusedProtocol(err))) throw err;
    upgraded = await offer(older);
  }
  return channelConnection(upgraded.socket, upgraded.protocol, path, signal);
}

/**
 * A refusal of the subprotocols, not of the caller: 1.20 answers an offer of v5 alone with a
 * bare 403 (measured: no body; an RBAC 403 carries a Status), newer ones may say "protocol".
 */
export function refusedProtocol(err: unknown): boolean {
  if (!(err instanceof KubeError) || (err.status !== 403 && err.status !== 400)) return false;
  const text = `${err.body?.message ?? ""}${err.bodyPrefix ?? ""}`;
  return text === "" || /protocol/i.test(text);
}

/** A refused handshake as a KubeError: the Status when the body is one, else its first bytes. */
function refusal(err: UpgradeRefusedError, path: string): KubeError {
  try {
    const s = JSON.parse(err.body) as Status;
    if (s && typeof s === "object" && (s.kind === "Status" || typeof s.message === "string")) {
      return new KubeError({ status: err.statusCode, method: "GET", path, body: s });
    }
  } catch {}
  return new KubeError({
    status: err.statusCode,
    method: "GET",
    path,
    bodyPrefix: err.body.slice(0, 200).trim(),
  });
}

function channelConnection(
  socket: import("node:stream").Duplex,
  protocol: string,
  path: string,
  signal: AbortSignal | undefined,
): ChannelConnection {
  const queue: ChannelFrame[] = [];
  let queued = 0;
  let wake: (() => void) | undefined;
  let result: { error?: Error } | undefined;
  let resolveClosed!: () => void;
  let rejectClosed!: (e: Error) => void;
  const closed = new Promise<void>((res, rej) => {
    resolveClosed = res;
    rejectClosed = rej;
  });
  // Callers may never look at `closed`; its rejection must not become an unhandled one.
  closed.catch(() => {});

  const ws = new WebSocketConnection(socket, {
    message(data) {
      if (data.length === 0) return;
      queue.push({ channel: data[0] as number, data: data.subarray(1) });
      queued += data.length + FRAME_COST;
      if (queued > HIGH_WATER) ws.pause();
      wake?.();
    },
    end({ code, error }) {
      signal?.removeEventListener("abort", onAbort);
      const failure =
        error ??
        (code !== undefined && code !== 1000 && code !== 1005
          ? new WebSocketProtocolError(`the server closed the connection with code ${code}`)
          : undefined);
      result = failure ? { error: failure } : {};
      if (failure) rejectClosed(failure);
      else resolveClosed();
      wake?.();
    },
  });
  const onAbort = () => ws.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
  signal?.addEventListener("abort", onAbort, { once: true });

  const v5 = protocol === V5_CHANNEL;
  const sendRaw = async (frame: Uint8Array) => {
    if (result) throw result.error ?? new WebSocketProtocolError("the connection is closed");
    if (!ws.send(frame)) await ws.drain();
  };

  return {
    protocol,
    path,
    canCloseChannels: v5,
    async send(channel, data) {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      for (let at = 0; at === 0 || at < bytes.length; at += CHUNK) {
        const piece = bytes.subarray(at, at + CHUNK);
        const frame = Buffer.allocUnsafe(piece.length + 1);
        frame[0] = channel;
        frame.set(piece, 1);
        await sendRaw(frame);
        if (bytes.length === 0) break;
      }
    },
    async closeChannel(channel) {
      if (!v5) {
        throw new TypeError(
          `${protocol} has no close signal (v5.channel.k8s.io, servers 1.30+): end the program's input another way, or close the connection`,
        );
      }
      await sendRaw(Uint8Array.of(CLOSE_SIGNAL, channel));
    },
    closed,
    close() {
      ws.close();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queue.shift();
        if (next) {
          queued -= next.data.length + 1 + FRAME_COST;
          if (queued < HIGH_WATER / 2) ws.resume();
          yield next;
          continue;
        }
        if (result) {
          if (result.error) throw result.error;
          return;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    },
  };
}
