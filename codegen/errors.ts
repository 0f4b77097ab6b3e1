/**
 * A generator failure the user can act on: what went wrong and where (a file, URL or
 * JSON pointer). The CLI prints `message` on one line and exits 1.
 */
export class GenerateError extends Error {
  override readonly name = "GenerateError";
  /** The file, URL or `file#/json/pointer` the problem is in. */
  readonly where: string;

  constructor(where: string, problem: string, options?: { cause?: unknown }) {
    super(`${where}: ${problem}`, options);
    this.where = where;
  }
}

/** Escapes one JSON-pointer segment (RFC 6901). */
export function pointerSegment(key: string | number): string {
  return String(key).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The inverse of pointerSegment. */
export function decodePointerSegment(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** The name a local `$ref` points at: its last segment, decoded. */
export function refTarget(ref: string): string {
  return decodePointerSegment(ref.split("/").pop() ?? "");
}
