import { readFile, stat } from "node:fs/promises";
import { GenerateError } from "./errors.js";
import { fetchV3Documents, isV3Index, loadV3Folder } from "./openapi-v3.js";
import { type LoadedSpec, parseSpecBytes, type SpecSource } from "./spec-bytes.js";

export type { LoadedSpec, SpecSource };

/** A spec file, or a folder of OpenAPI v3 documents as a server serves them. */
export async function loadSpecFile(path: string): Promise<LoadedSpec> {
  if (await isFolder(path)) return loadV3Folder(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw new GenerateError(path, `cannot read (${code || (err as Error).message})`, { cause: err });
  }
  return parseSpecBytes(bytes, { kind: "file", label: path });
}

/** Reports progress as bytes arrive; the CLI turns it into one updating line. */
export type Progress = (received: number, total: number | undefined) => void;

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // readFile reports it
  }
}

/**
 * A spec over http(s). A server's `/openapi/v3` index is followed: its group-version
 * documents are fetched in parallel (`onDocuments` counts them) and merged.
 */
export async function loadSpecUrl(
  url: string,
  onProgress?: Progress,
  onDocuments?: (done: number, total: number) => void,
): Promise<LoadedSpec> {
  const spec = parseSpecBytes(await fetchBytes(url, onProgress), { kind: "url", label: url });
  if (!isV3Index(spec.document)) return spec;
  const base = new URL(url);
  return fetchV3Documents(
    spec.document,
    (rel) => fetchBytes(new URL(rel, base).href),
    (rel) => new URL(rel, base).href,
    { kind: "url", label: url },
    onDocuments,
  );
}

async function fetchBytes(url: string, onProgress?: Progress): Promise<Uint8Array> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GenerateError(url, "not a valid URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new GenerateError(url, `unsupported URL scheme ${parsed.protocol} (use http or https)`);
  }
  const { request } = await import("../src/transport/undici.js");
  let body: Uint8Array;
  try {
    const res = await request(parsed, {
      method: "GET",
      headers: { accept: "application/json" },
      headersTimeout: 30_000,
      bodyTimeout: 60_000,
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump();
      throw new GenerateError(url, `HTTP ${res.statusCode}`);
    }
    const lengthHeader = res.headers["content-length"];
    const total = typeof lengthHeader === "string" ? Number(lengthHeader) : undefined;
    const chunks: Uint8Array[] = [];
    let received = 0;
    for await (const chunk of res.body) {
      chunks.push(chunk as Uint8Array);
      received += (chunk as Uint8Array).byteLength;
      onProgress?.(received, total);
    }
    body = Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof GenerateError) throw err;
    const e = err as NodeJS.ErrnoException;
    const reason = e.code ? `${e.code}${e.message ? ` ${e.message}` : ""}` : e.message;
    throw new GenerateError(url, `unreachable: ${reason}`, { cause: err });
  }
  return body;
}
