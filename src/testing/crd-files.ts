// The CRDs a control plane installs, read from files and folders as envtest's CRDInstallOptions
// reads Paths: a folder contributes its *.yaml, *.yml and *.json files (not its sub-folders), in
// name order; each file may hold several YAML documents. Anything but an apiextensions.k8s.io/v1
// CustomResourceDefinition is refused, naming the file and document, before any process starts.

import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { ControlPlaneError } from "./control-plane/control-plane-error.js";

/** A CRD as read from a file, with where it came from. */
export interface CrdDocument {
  /** The CustomResourceDefinition, wire JSON. */
  object: CustomResourceDefinition;
  /** "file.yaml" or "file.yaml (document 2)": for messages. */
  source: string;
}

/** The fields of a CustomResourceDefinition the control plane reads to wait for it. */
export interface CustomResourceDefinition {
  /** Always apiextensions.k8s.io/v1. */
  apiVersion: string;
  /** Always CustomResourceDefinition. */
  kind: string;
  /** `<plural>.<group>`. */
  metadata: { name: string; [field: string]: unknown };
  /** The group, names and versions (the apiserver validates the rest). */
  spec: {
    group: string;
    names: { plural: string; [field: string]: unknown };
    versions: { name: string; served: boolean; [field: string]: unknown }[];
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

function refuse(problem: string, path: string, cause?: unknown): ControlPlaneError {
  return new ControlPlaneError("CrdFailed", problem, { path, ...(cause === undefined ? {} : { cause }) });
}

async function filesOf(path: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    throw refuse(`crds: no such file or folder: ${path}`, path, e);
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((e) => e.isFile() && EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw refuse(`crds: folder ${path} holds no .yaml, .yml or .json file`, path);
  return names.map((n) => join(path, n));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function checkCrd(doc: unknown, source: string, file: string): CustomResourceDefinition {
  if (!isRecord(doc)) throw refuse(`${source}: a document is not an object`, file);
  const kind = typeof doc.kind === "string" ? doc.kind : undefined;
  if (kind !== "CustomResourceDefinition") {
    throw refuse(
      `${source}: holds ${kind ? `a ${kind}` : "an object without a kind"}; crds files may hold CustomResourceDefinitions only`,
      file,
    );
  }
  if (doc.apiVersion !== "apiextensions.k8s.io/v1") {
    throw refuse(
      `${source}: a CustomResourceDefinition of apiVersion ${String(doc.apiVersion)}; only apiextensions.k8s.io/v1 is installed (v1beta1 is gone from 1.22)`,
      file,
    );
  }
  const meta = doc.metadata;
  const spec = doc.spec;
  const name = isRecord(meta) ? meta.name : undefined;
  if (typeof name !== "string" || name === "") throw refuse(`${source}: the CRD has no metadata.name`, file);
  const names = isRecord(spec) ? spec.names : undefined;
  if (
    !isRecord(spec) ||
    typeof spec.group !== "string" ||
    !isRecord(names) ||
    typeof names.plural !== "string" ||
    !Array.isArray(spec.versions) ||
    !spec.versions.every((v) => isRecord(v) && typeof v.name === "string")
  ) {
    throw refuse(`${source}: CRD ${name} lacks spec.group, spec.names.plural or spec.versions[].name`, file);
  }
  return doc as CustomResourceDefinition;
}

/** Reads every CRD of the given files and folders (relative paths against the working folder). */
export async function readCrdFiles(paths: readonly string[]): Promise<CrdDocument[]> {
  const out: CrdDocument[] = [];
  const seen = new Map<string, string>();
  for (const p of paths) {
    for (const file of await filesOf(resolve(p))) {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        throw refuse(`crds: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, file, e);
      }
      const docs = parseAllDocuments(text);
      // parseAllDocuments answers an EmptyStream for a file of comments only.
      const list = Array.isArray(docs) ? docs : [];
      const multi = list.length > 1;
      for (const [i, doc] of list.entries()) {
        const source = multi ? `${file} (document ${i + 1})` : file;
        const error = doc.errors[0];
        if (error) throw refuse(`${source}: not valid YAML: ${error.message.split("\n")[0]}`, file);
        const value: unknown = doc.toJS();
        if (value === null || value === undefined) continue; // an empty document ("---" alone)
        const crd = checkCrd(value, source, file);
        const before = seen.get(crd.metadata.name);
        if (before) throw refuse(`${source}: CRD ${crd.metadata.name} is also defined in ${before}`, file);
        seen.set(crd.metadata.name, source);
        out.push({ object: crd, source });
      }
    }
  }
  return out;
}
