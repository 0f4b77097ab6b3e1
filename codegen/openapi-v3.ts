import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { GenerateError } from "./errors.js";
import { type LoadedSpec, parseSpecBytes, type SpecSource } from "./spec-bytes.js";

/**
 * A server's `/openapi/v3` is an index of one OpenAPI 3 document per group-version
 * (`{"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=..."}}}`).
 */
export function isV3Index(doc: Record<string, unknown>): boolean {
  const paths = doc.paths;
  if (doc.openapi !== undefined || paths === null || typeof paths !== "object") return false;
  const values = Object.values(paths as Record<string, unknown>);
  return (
    values.length > 0 &&
    values.every((v) => typeof (v as { serverRelativeURL?: unknown })?.serverRelativeURL === "string")
  );
}

/** The documents an index lists, as `[name, serverRelativeURL]`, sorted by name. */
export function v3IndexEntries(doc: Record<string, unknown>): [string, string][] {
  const paths = doc.paths as Record<string, { serverRelativeURL: string }>;
  return Object.keys(paths)
    .sort()
    .map((k) => [k, (paths[k] as { serverRelativeURL: string }).serverRelativeURL]);
}

/**
 * One OpenAPI 3 document from per-group-version documents: the union of their paths and
 * definitions. Every document of one server carries the same shared definitions (ObjectMeta,
 * ...); where two differ, the first in name order wins, so the result never depends on the
 * order documents arrived in.
 */
export function mergeV3Documents(parts: LoadedSpec[], source: SpecSource): LoadedSpec {
  const sorted = [...parts].sort((a, b) => (a.source.label < b.source.label ? -1 : 1));
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  let info: unknown;
  let openapi: unknown;
  for (const part of sorted) {
    const doc = part.document;
    if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.")) {
      throw new GenerateError(part.source.label, "not an OpenAPI 3 document (no openapi: 3.x field)");
    }
    openapi ??= doc.openapi;
    info ??= doc.info;
    for (const [p, item] of Object.entries((doc.paths ?? {}) as Record<string, unknown>)) {
      if (!Object.hasOwn(paths, p)) paths[p] = item;
    }
    const defs = ((doc.components as { schemas?: Record<string, unknown> } | undefined)?.schemas ??
      {}) as Record<string, unknown>;
    for (const [n, s] of Object.entries(defs)) if (!Object.hasOwn(schemas, n)) schemas[n] = s;
  }
  const digest = createHash("sha256");
  for (const part of sorted) digest.update(`${part.source.label}\n${part.sha256}\n`);
  return {
    source,
    document: { openapi, info, paths, components: { schemas } },
    sha256: digest.digest("hex"),
  };
}

/** A folder of OpenAPI 3 documents as a server serves them (`apis__apps__v1_openapi.json`, ...). */
export async function loadV3Folder(dir: string): Promise<LoadedSpec> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.json(\.gz)?$/.test(n)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new GenerateError(dir, `cannot read (${code})`, { cause: err });
  }
  if (names.length === 0) throw new GenerateError(dir, "folder holds no .json OpenAPI document");
  const parts: LoadedSpec[] = [];
  for (const n of names) {
    const path = join(dir, n);
    parts.push(parseSpecBytes(await readFile(path), { kind: "file", label: path }));
  }
  return mergeV3Documents(parts, { kind: "file", label: `${dir} (${names.length} OpenAPI v3 documents)` });
}

/**
 * Fetches every document a v3 index lists, `concurrency` at a time, reporting each one done.
 * `get` returns a document's bytes by server-relative URL.
 */
export async function fetchV3Documents(
  index: Record<string, unknown>,
  get: (relativeUrl: string) => Promise<Uint8Array>,
  label: (relativeUrl: string) => string,
  source: SpecSource,
  onProgress?: (done: number, total: number) => void,
  concurrency = 6,
): Promise<LoadedSpec> {
  const entries = v3IndexEntries(index);
  const parts: LoadedSpec[] = new Array(entries.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      const [, url] = entries[i] as [string, string];
      // The label drops the `?hash=` query: it changes with every server restart.
      parts[i] = parseSpecBytes(await get(url), {
        kind: source.kind,
        label: label(url.split("?")[0] ?? url),
      });
      onProgress?.(++done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  return mergeV3Documents(parts, source);
}
