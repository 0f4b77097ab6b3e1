// The client side of the WebSocket opening handshake (RFC 6455 §4.1) over the transport's
// HTTP upgrade: the key, the offered subprotocols, and the checks a 101 answer must pass.

import { createHash, randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import type { Transport } from "../transport/transport.js";

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface WebSocketHandshake {
  socket: Duplex;
  /** The subprotocol the server chose ("" when it chose none). */
  protocol: string;
}

/**
 * Opens a WebSocket at `path`, offering `protocols` in order of preference. A refusal is the
 * transport's UpgradeRefusedError (status and body); a 101 with a wrong accept key or a
 * subprotocol that was not offered is an Error, and its socket is closed.
 */
export async function websocketHandshake(
  transport: Transport,
  path: string,
  protocols: readonly string[],
  signal?: AbortSignal,
): Promise<WebSocketHandshake> {
  const key = randomBytes(16).toString("base64");
  const accept = createHash("sha1")
    .update(key + WS_GUID)
    .digest("base64");
  const { socket, headers } = await transport.upgrade(path, {
    protocol: "websocket",
    headers: {
      "sec-websocket-key": key,
      "sec-websocket-version": "13",
      "sec-websocket-protocol": protocols.join(", "),
    },
    ...(signal ? { signal } : {}),
  });
  const protocol = String(headers["sec-websocket-protocol"] ?? "");
  const problem =
    String(headers["sec-websocket-accept"]) !== accept
      ? "a wrong Sec-WebSocket-Accept"
      : protocol && !protocols.includes(protocol)
        ? `protocol ${protocol}`
        : undefined;
  if (problem) {
    socket.destroy();
    throw new Error(`the server's WebSocket handshake is invalid: ${problem}`);
  }
  return { socket, protocol };
}
