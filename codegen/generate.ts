import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { emitIndex, emitRegistry, emitSchemas, header } from "./emit-files.js";
import { emitTypes } from "./emit-types.js";
import { GenerateError } from "./errors.js";
import type { LoadedSpec } from "./load-spec.js";
import { buildRegistryModel } from "./registry-model.js";
import { toOpenApi3 } from "./to-openapi3.js";

export interface GenerateOptions {
  spec: LoadedSpec;
  /** Output folder, replaced whole; default `generated/kubernetes-<version>`. */
  out?: string;
  /** The command line as the user typed it, for the headers. */
  command: string;
  /** "1.36"; when omitted, read from the spec's info.version. */
  kubernetesVersion?: string;
}

export interface GenerateResult {
  out: string;
  kubernetesVersion: string;
  specVersion: string;
  groups: number;
  resources: number;
  definitions: number;
  files: Record<string, number>;
}

/** "v1.21.2" -> "1.21"; anything else -> undefined. */
export function kubernetesVersionOf(infoVersion: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?/.exec(infoVersion);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** Spec in, typed client folder out. Pure but for the final write, which is atomic. */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const where = opts.spec.source.label;
  const doc = toOpenApi3(opts.spec.document, where);
  const specVersion = doc.info.version;
  const kubernetesVersion = opts.kubernetesVersion ?? kubernetesVersionOf(specVersion) ?? "unversioned";
  const model = buildRegistryModel(doc, where);
  const types = emitTypes(doc);
  const head = header({
    command: opts.command,
    source: opts.spec.source.label,
    specVersion,
    sha256: opts.spec.sha256,
  });
  const files: Record<string, string> = {
    "components.d.ts": head + types.components,
    "openapi.d.ts": head + types.paths,
    "registry.ts": head + emitRegistry(model),
    "schemas.ts": head + emitSchemas(doc),
    "index.ts": head + emitIndex(doc, { specVersion, kubernetesVersion, sha256: opts.spec.sha256 }),
  };
  const out = opts.out ?? join("generated", `kubernetes-${kubernetesVersion}`);
  await writeFolderAtomically(out, files);
  const sizes: Record<string, number> = {};
  for (const [name, text] of Object.entries(files)) sizes[name] = Buffer.byteLength(text);
  return {
    out,
    kubernetesVersion,
    specVersion,
    groups: Object.keys(model.groups).length,
    resources: model.resourceCount,
    definitions: Object.keys(doc.components.schemas).length,
    files: sizes,
  };
}

/**
 * Writes every file into a sibling temp folder, then renames it into place, so a failure
 * leaves the old output (or nothing), never half of the new one.
 */
async function writeFolderAtomically(out: string, files: Record<string, string>): Promise<void> {
  const target = resolve(out);
  const parent = dirname(target);
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = join(parent, `.${basename(target)}.tmp-${tag}`);
  const old = join(parent, `.${basename(target)}.old-${tag}`);
  try {
    await mkdir(tmp, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(tmp, name), text);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    const e = err as NodeJS.ErrnoException;
    throw new GenerateError(out, `cannot write output (${e.code ?? e.message})`, { cause: err });
  }
  let movedOld = false;
  try {
    try {
      await rename(target, old);
      movedOld = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    await rename(tmp, target);
  } catch (err) {
    if (movedOld) await rename(old, target).catch(() => {});
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    const e = err as NodeJS.ErrnoException;
    throw new GenerateError(out, `cannot replace output folder (${e.code ?? e.message})`, { cause: err });
  }
  if (movedOld) await rm(old, { recursive: true, force: true });
}
