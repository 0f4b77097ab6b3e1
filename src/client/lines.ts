/**
 * Splits a byte stream into lines across chunk boundaries without buffering the stream:
 * only the current partial line is held, and a line longer than `maxLine` bytes is an error
 * (a watch object is at most a few MiB; a stream that never sends "\n" must not eat memory).
 */
export async function* lines(source: AsyncIterable<Uint8Array>, maxLine = 16 << 20): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  for await (const raw of source) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, nl);
      const line = pendingSize ? Buffer.concat([...pending, part], pendingSize + part.length) : part;
      pending = [];
      pendingSize = 0;
      start = nl + 1;
      if (line.length) yield line;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      pendingSize += rest.length;
      if (pendingSize > maxLine) throw new LineTooLongError(maxLine);
      pending.push(rest);
    }
  }
  if (pendingSize) yield Buffer.concat(pending, pendingSize);
}

export class LineTooLongError extends Error {
  override readonly name = "LineTooLongError";
  constructor(readonly maxLine: number) {
    super(`a line of the stream is longer than ${maxLine} bytes`);
  }
}
