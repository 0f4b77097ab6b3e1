// WebSocket frames as a server sends them (unmasked), for the tests that play the server.

/** One server frame, the shortest length encoding for its payload. */
export function serverFrame(opcode: number, payload: Uint8Array, fin = true): Buffer {
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

/** A close frame's body: the code, then the reason's bytes. */
export function closeBody(code: number, reason: Uint8Array | string = ""): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, typeof reason === "string" ? Buffer.from(reason) : reason]);
}
