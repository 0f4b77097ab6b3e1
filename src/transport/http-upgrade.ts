// An HTTP upgrade on undici's dispatcher, so the upgraded connection rides the client's own
// pool, TLS and proxy tunnel. undici's WebSocket class would carry them too, but it reports a
// refused handshake only as "non-101 status code": the apiserver's Status (403 Forbidden, 404
// pod not found, 400 container not found) would be lost. Here a refusal keeps its status and
// body; what the upgraded protocol requires of a 101 is checked by its caller (connect/).

import type { Duplex } from "node:stream";
import type { Dispatcher } from "./undici.js";

/** What an HTTP upgrade asks for. */
export interface UpgradeOptions {
  /** The protocol asked for in the Upgrade header ("websocket"). */
  protocol: string;
  /** The handshake's own headers (a WebSocket key, subprotocols), beside the client's. */
  headers: Record<string, string>;
  /** Aborts the handshake. */
  signal?: AbortSignal;
}

/** An HTTP upgrade the server answered with 101: the raw socket and the answer's headers. */
export interface Upgraded {
  /** The connection, now speaking the upgraded protocol. */
  socket: Duplex;
  /** The 101 answer's headers (the chosen subprotocol, a WebSocket accept key). */
  headers: Record<string, string | string[] | undefined>;
}

/** An upgrade the server refused: its HTTP status, headers and (small) body. */
export class UpgradeRefusedError extends Error {
  /** "UpgradeRefusedError", as stack traces show it. */
  override readonly name = "UpgradeRefusedError";
  /** The answer's HTTP status. */
  readonly statusCode: number;
  /** The answer's headers. */
  readonly headers: Record<string, string | string[] | undefined>;

  /** At most 64 KiB of the answer's body (a Status, usually). */
  readonly body: string;
  constructor(statusCode: number, headers: UpgradeRefusedError["headers"], body: string) {
    super(`the upgrade was refused with HTTP ${statusCode}`);
    this.statusCode = statusCode;
    this.headers = headers;
    this.body = body;
  }
}

/** The most of a refusal's body that is kept: a Status is far smaller. */
const MAX_REFUSAL_BODY = 65_536;

export function httpUpgrade(
  dispatcher: Dispatcher,
  base: string,
  path: string,
  headers: Record<string, string | string[]>,
  options: UpgradeOptions,
): Promise<Upgraded> {
  const url = new URL(`${base}${path}`);
  return new Promise<Upgraded>((resolve, reject) => {
    const signal = options.signal;
    let abort: ((err: Error) => void) | undefined;
    let settled = false;
    const onAbort = () => {
      const reason = signal?.reason instanceof Error ? signal.reason : new Error("aborted");
      abort?.(reason);
      settle(() => reject(reason));
    };
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    if (signal?.aborted) return reject(signal.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let status = 0;
    let responseHeaders: Record<string, string | string[] | undefined> = {};
    const body: Buffer[] = [];
    let size = 0;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(controller) {
        abort = (err) => controller.abort(err);
        if (settled) controller.abort(new Error("aborted"));
      },
      onRequestUpgrade(_controller, statusCode, h, socket) {
        if (settled) {
          socket.destroy();
          return;
        }
        if (statusCode !== 101) {
          socket.destroy();
          return settle(() =>
            reject(new Error(`the server's upgrade answer is invalid: status ${statusCode}`)),
          );
        }
        settle(() => {
          if (signal?.aborted) {
            socket.destroy();
            return reject(signal.reason);
          }
          resolve({ socket, headers: h });
        });
      },
      onResponseStart(_controller, statusCode, h) {
        status = statusCode;
        responseHeaders = h;
      },
      onResponseData(_controller, chunk) {
        if (size < MAX_REFUSAL_BODY) body.push(chunk);
        size += chunk.length;
      },
      onResponseEnd() {
        const text = Buffer.concat(body).toString("utf8").slice(0, MAX_REFUSAL_BODY);
        settle(() => reject(new UpgradeRefusedError(status, responseHeaders, text)));
      },
      onResponseError(_controller, err) {
        settle(() => reject(err));
      },
    };
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        upgrade: options.protocol,
        headers: { ...headers, ...options.headers },
      },
      handler,
    );
  });
}
