import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createValidators, type Validators } from "../../src/schemas/index.js";

/** A generated folder's registry (the JSON in registry.ts's template literal), read back as data. */
export function readRegistry<Entry = Record<string, unknown>>(
  dir: string,
): Record<string, Record<string, Record<string, Entry>>> {
  const text = readFileSync(join(dir, "registry.ts"), "utf8");
  const body = text.slice(text.indexOf("JSON.parse(`") + "JSON.parse(`".length, text.lastIndexOf("`);"));
  return JSON.parse(body.replace(/\\([\\`$])/g, "$1"));
}

/** A generated folder's validators, built from its schemas.ts data without importing it. */
export function readValidators(dir: string): Validators<Record<string, unknown>> {
  const line = readFileSync(join(dir, "schemas.ts"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("const DEFINITIONS = "));
  if (!line) throw new Error(`${dir}/schemas.ts has no DEFINITIONS`);
  return createValidators(JSON.parse(line.slice("const DEFINITIONS = ".length, -1)));
}

/** The definition names names.d.ts gives short names to (`coreV1.Pod` -> io.k8s.api.core.v1.Pod). */
export function definitionNames(dir: string): string[] {
  const text = readFileSync(join(dir, "names.d.ts"), "utf8");
  return [...text.matchAll(/ = S\["([^"]+)"\];/g)].map((m) => m[1] as string);
}

/**
 * One definition's type as components.d.ts writes it: the top-level alias its `components`
 * entry names (`type io_k8s_api_apps_v1_Deployment = {...}`), from `type` to the next alias.
 */
export function definitionText(types: string, name: string): string {
  const entry = types.split("\n").find((l) => l.trimStart().startsWith(`${JSON.stringify(name)}: `));
  const alias = entry?.trim().slice(JSON.stringify(name).length + 2, -1);
  const start = alias ? types.indexOf(`\ntype ${alias} = `) : -1;
  if (start < 0) throw new Error(`components.d.ts has no definition ${name}`);
  const ends = [types.indexOf("\ntype ", start + 1), types.indexOf("\nexport {};", start)].filter(
    (i) => i > 0,
  );
  return types.slice(start + 1, Math.min(...ends) + 1);
}
