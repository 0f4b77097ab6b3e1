import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { splitYaml } from "../src/manifests/split-yaml.js";
import { GenerateError } from "./errors.js";

/** One CustomResourceDefinition as read from a file, with where it came from. */
export interface CrdDocument {
  /** `crds/monitoring.yaml#3` (file and 1-based document), for error messages and headers. */
  where: string;
  /** `prometheuses.monitoring.coreos.com` */
  name: string;
  /** The document as kubectl would read it (YAML 1.1, timestamps as strings). */
  value: Record<string, unknown>;
}

export interface LoadedCrds {
  crds: CrdDocument[];
  /** Every file read, sorted, for the generated headers. */
  files: string[];
}

const CRD_FILE = /\.(ya?ml|json)(\.gz)?$/;

/**
 * Reads CRD files and folders (recursively, files sorted by name so the output never depends
 * on the file system's order). Multi-document YAML and JSON streams; documents of other
 * kinds (a kustomization, a Namespace) are skipped, but a path with no CRD at all is an error.
 */
export async function loadCrdFiles(paths: string[]): Promise<LoadedCrds> {
  const files: string[] = [];
  for (const p of paths) {
    const before = files.length;
    await collect(p, files, true);
    if (files.length === before) throw new GenerateError(p, "no .yaml, .yml or .json file in this folder");
  }
  const crds: CrdDocument[] = [];
  for (const file of files) {
    const found = await readCrds(file);
    if (found.length === 0 && paths.includes(file)) {
      throw new GenerateError(file, "holds no CustomResourceDefinition");
    }
    crds.push(...found);
  }
  if (crds.length === 0) throw new GenerateError(paths.join(", "), "no CustomResourceDefinition found");
  return { crds, files };
}

async function collect(path: string, out: string[], explicit: boolean): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new GenerateError(path, `cannot read (${code})`, { cause: err });
  }
  if (st.isDirectory()) {
    for (const e of (await readdir(path)).sort()) await collect(join(path, e), out, false);
  } else if (explicit || CRD_FILE.test(path)) {
    out.push(path);
  }
}

async function readCrds(file: string): Promise<CrdDocument[]> {
  let text: string;
  try {
    const bytes = await readFile(file);
    const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new GenerateError(file, `cannot read (${e.code ?? e.message})`, { cause: err });
  }
  const out: CrdDocument[] = [];
  for (const doc of splitYaml(text)) {
    const where = `${file}#${doc.index}`;
    if (doc.error) throw new GenerateError(`${where} (line ${doc.line})`, doc.error);
    const v = doc.value;
    if (v === null || typeof v !== "object" || Array.isArray(v)) continue;
    const value = v as Record<string, unknown>;
    // A `kind: List` of CRDs, as `kubectl get crd -o yaml` writes it.
    if (value.kind === "List" && Array.isArray(value.items)) {
      value.items.forEach((item, i) => {
        if (isCrd(item)) out.push(crdDocument(`${where}/items/${i}`, item));
      });
    } else if (isCrd(value)) {
      out.push(crdDocument(where, value));
    }
  }
  return out;
}

function isCrd(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    o.kind === "CustomResourceDefinition" &&
    typeof o.apiVersion === "string" &&
    o.apiVersion.startsWith("apiextensions.k8s.io/")
  );
}

function crdDocument(where: string, value: Record<string, unknown>): CrdDocument {
  const metadata = value.metadata as Record<string, unknown> | undefined;
  const name = typeof metadata?.name === "string" ? metadata.name : "";
  return { where, name, value };
}
