// A spec's bytes as the generator reads them: JSON, or gzipped JSON, with where they came from.

import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { GenerateError } from "./errors.js";

/** Where a spec came from, as the generated headers and the CLI summary name it. */
export interface SpecSource {
  kind: "file" | "url" | "embedded" | "cluster";
  /** File path, URL, or a description of the embedded spec or cluster. */
  label: string;
}

export interface LoadedSpec {
  source: SpecSource;
  document: Record<string, unknown>;
  /** sha256 of the input bytes as read (before gunzip), so it matches `sha256sum FILE`. */
  sha256: string;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Parses spec bytes (JSON, or gzipped JSON by magic number) into a plain object. */
export function parseSpecBytes(bytes: Uint8Array, source: SpecSource): LoadedSpec {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  let text: string;
  try {
    const raw = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1] ? gunzipSync(bytes) : bytes;
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch (err) {
    throw new GenerateError(source.label, `cannot decode: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new GenerateError(source.label, `not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new GenerateError(source.label, "not a Swagger 2.0 or OpenAPI 3 document (not an object)");
  }
  return { source, document: document as Record<string, unknown>, sha256 };
}
