import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { generate } from "../../codegen/generate.js";
import { loadSpecFile } from "../../codegen/load-spec.js";
import { readRegistry } from "./generated.js";
import { repoRoot, specsDir } from "./paths.js";

/** Every swagger*.json of the spec corpus (1.x folders and extra/), sorted. */
export function listSpecs(dir = specsDir): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/swagger.*\.json$/.test(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** A scratch folder inside the repo, so generated code resolves `kubefetch/*` to this package. */
export function scratchDir(name: string): string {
  const dir = join(repoRoot, "test/.out", `${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function generateSpec(specPath: string, out: string) {
  const spec = await loadSpecFile(specPath);
  return generate({ spec, out, command: `kubefetch generate --from-file ${relative(specsDir, specPath)}` });
}

/** The repository's TypeScript 5.9 (what the package's peer range asks for). */
export const tsc59 = createRequire(import.meta.url).resolve("typescript/bin/tsc");
/** TypeScript 7 (native, several times faster), installed with the bench's competitors. */
export const tsc7 = join(repoRoot, "bench/competitors/node_modules/typescript/bin/tsc");

/**
 * tsc 5.9 on one consumer file as a service author's strict NodeNext project checks it
 * (skipLibCheck, Node's types), with `extra` flags such as --listFiles; returns tsc's stdout.
 */
export async function tscConsumer(file: string, ...extra: string[]): Promise<string> {
  const flags = ["--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext", "--types", "node"];
  const r = await promisify(execFile)(process.execPath, [tsc59, ...flags, ...extra, file]);
  return r.stdout;
}

const PODS_CONSUMER = [
  'import { registry, spec, type components } from "./index.js";',
  'import { validators } from "./schemas.js";',
  'import type { paths } from "./openapi.js";',
  'type Pod = components["schemas"][typeof registry.core.v1.pods.schema];',
  'export const pod: Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "x" } };',
  'export const listPath: keyof paths = "/api/v1/namespaces/{namespace}/pods";',
  'export const ok = validators.validate("io.k8s.api.core.v1.Pod", pod).success && spec.sha256;',
  "",
];

const ANY_API_CONSUMER = [
  'import { registry, spec, type components } from "./index.js";',
  'import { validators } from "./schemas.js";',
  'import type { paths } from "./openapi.js";',
  "type Group = (typeof registry)[keyof typeof registry];",
  "type Version = Group[keyof Group];",
  "type Resource = Version[keyof Version];",
  'export type Obj = components["schemas"][Resource["schema"]];',
  'export const kinds: Resource["kind"][] = [];',
  "export const path = (p: keyof paths): string => p;",
  'export const ok = (name: keyof components["schemas"], v: unknown) => validators.validate(name, v).success && spec.sha256;',
  "",
];

/**
 * client.d.ts writes out the registry's type for registry.ts's JSON: this file fails to
 * type-check unless that type is exactly the data's `as const` type.
 */
function registryTypeCheck(dir: string): string {
  const data = JSON.stringify(readRegistry(dir), null, 2);
  return [
    'import type { Registry } from "./client.js";',
    "type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;",
    `const literal = ${data} as const;`,
    "export const same: Equal<typeof literal, Registry> = true;",
    "",
  ].join("\n");
}

/**
 * Type-checks a generated folder with strict tsc, library checks on, plus a consumer file
 * that uses the client's types, registry and validators, and one that holds client.d.ts's
 * registry type to the data. Returns tsc's output.
 */
export async function typecheckGenerated(dir: string, tsc = tsc59): Promise<{ ok: boolean; output: string }> {
  // A Kubernetes API has Pods; an aggregated API such as tilt.dev has only its own kinds,
  // so its consumer names the first resource of the registry instead.
  const hasPods = readFileSync(join(dir, "components.d.ts"), "utf8").includes('"io.k8s.api.core.v1.Pod": ');
  writeFileSync(join(dir, "consumer.ts"), (hasPods ? PODS_CONSUMER : ANY_API_CONSUMER).join("\n"));
  writeFileSync(join(dir, "registry-type.ts"), registryTypeCheck(dir));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: relative(dir, join(repoRoot, "tsconfig.json")),
      compilerOptions: { skipLibCheck: false, noEmit: true },
      include: ["*.ts"],
    }),
  );
  try {
    const r = await promisify(execFile)(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], {
      maxBuffer: 64 << 20,
    });
    return { ok: true, output: r.stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message };
  }
}
