/**
 * Splits a byte stream into lines across chunk boundaries without buffering the stream:
 * only the current partial line is held, and a line longer than `maxLine` bytes is an error
 * (a watch object is at most a few MiB; a stream that never sends "\n" must not eat memory).
 * Synchronous per chunk: a watch pays no promise per line.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingSize = 0;

  constructor(private readonly maxLine = 16 << 20) {}

  /** The complete lines this chunk ends (empty lines dropped). */
  push(raw: Uint8Array): Buffer[] {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, nl);
      const line = this.pendingSize
        ? Buffer.concat([...this.pending, part], this.pendingSize + part.length)
        : part;
      this.pending = [];
      this.pendingSize = 0;
      start = nl + 1;
      if (line.length) out.push(line);
    }
    if (start < chunk.length) {
      this.pendingSize += chunk.length - start;
      if (this.pendingSize > this.maxLine) throw new LineTooLongError(this.maxLine);
      this.pending.push(chunk.subarray(start));
    }
    return out;
  }

  /** What is left when the stream ends: a last line without "\n", if any. */
  end(): Buffer | undefined {
    const rest = this.pendingSize ? Buffer.concat(this.pending, this.pendingSize) : undefined;
    this.pending = [];
    this.pendingSize = 0;
    return rest;
  }
}

export async function* lines(source: AsyncIterable<Uint8Array>, maxLine?: number): AsyncGenerator<Buffer> {
  const splitter = new LineSplitter(maxLine);
  for await (const chunk of source) yield* splitter.push(chunk);
  const rest = splitter.end();
  if (rest) yield rest;
}

export class LineTooLongError extends Error {
  /** "LineTooLongError", as stack traces show it. */
  override readonly name = "LineTooLongError";
  constructor(readonly maxLine: number) {
    super(`a line of the stream is longer than ${maxLine} bytes`);
  }
}
