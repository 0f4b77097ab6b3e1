import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { GenerateError } from "./errors.js";
import { type LoadedSpec, parseSpecBytes } from "./spec-bytes.js";

/** What `specs/default.json` records about the spec shipped inside the package. */
export interface EmbeddedSpecInfo {
  kubernetesVersion: string;
  file: string;
  origin: string;
}

/** The package's `specs/` folder, whether running from source or from `dist/`. */
export async function specsFolder(): Promise<URL> {
  for (const rel of ["../specs/", "../../specs/"]) {
    const url = new URL(rel, import.meta.url);
    try {
      await readFile(new URL("default.json", url));
      return url;
    } catch {}
  }
  throw new GenerateError(fileURLToPath(new URL("../specs/", import.meta.url)), "embedded spec missing");
}

export async function loadEmbeddedSpec(): Promise<{ spec: LoadedSpec; info: EmbeddedSpecInfo }> {
  const folder = await specsFolder();
  const info = JSON.parse(await readFile(new URL("default.json", folder), "utf8")) as EmbeddedSpecInfo;
  const bytes = await readFile(new URL(info.file, folder));
  const label = `embedded Kubernetes ${info.kubernetesVersion} spec (specs/${info.file}, from ${info.origin})`;
  return { spec: parseSpecBytes(bytes, { kind: "embedded", label }), info };
}
