import type { OpenApiDocument } from "./openapi-types.js";
import type { RegistryModel } from "./registry-model.js";

// The client's files. A consumer's tsc checks every .ts file it reaches in whole and a .d.ts
// (under skipLibCheck) only as far as it is used, so whatever grows with the API is declared
// in .d.ts files: the registry's literal type and the Client type in client.d.ts, the short
// names in names.d.ts. The .ts files keep what runs, and stay the same size for any API.

/** `registry.ts`: the registry as data, typed by client.d.ts. */
export function emitRegistry(model: RegistryModel): string {
  return [
    'import type { Registry as RegistryShape } from "kubefetch";',
    'import type { Registry } from "./client.js";',
    "",
    'export type { Registry } from "./client.js";',
    "",
    "/**",
    " * The registry typed as both its literal type and kubefetch's shape, for index.ts to hand",
    " * to the runtime at no tsc cost that grows with the API (relating the two types would have",
    " * one); that the literal type fits the shape is checked once, in kubefetch's own tests.",
    " * JSON in a string: tsc would check an object literal this size in every consumer's build.",
    " */",
    `export const registryData: Registry & RegistryShape = JSON.parse(\`${templateText(JSON.stringify(model.groups, null, 2))}\`);`,
    "",
    "/** Every resource of this API: group, version, kind, plural, scope, verbs, subresources, paths. */",
    "export const registry: Registry = registryData;",
    "",
  ].join("\n");
}

/** `client.d.ts`: the Client type and the registry's type, every value a literal. */
export function emitClientTypes(model: RegistryModel): string {
  return [
    'import type { KubeClient } from "kubefetch";',
    'import type { components } from "./components.js";',
    'import type { queries } from "./queries.js";',
    "",
    "/**",
    " * The typed client of this API: `kube.core.v1.pods.list()`, `kube.discovery`, `kube.raw`.",
    " * For `kube.raw` with every path of the spec typed, see `typedRaw` in ./raw.js.",
    " */",
    'export type Client = KubeClient<Registry, components["schemas"], queries>;',
    "",
    '/** The type of `registry`: every entry, its values as literals (`kind: "Pod"`). */',
    `export type Registry = ${literalType(model.groups, "")};`,
    "",
  ].join("\n");
}

export interface IndexInfo {
  specVersion: string;
  kubernetesVersion: string;
  sha256: string;
}

/** `index.ts`: createClient, the registry, the spec's identity, and the types re-exported. */
export function emitIndex(info: IndexInfo): string {
  return [
    'import { type ClientOptions, createKubeClient, type KubeConfig } from "kubefetch";',
    'import type { Client, Registry } from "./client.js";',
    'import type { components } from "./components.js";',
    'import type { queries } from "./queries.js";',
    'import { registryData } from "./registry.js";',
    "",
    'export type { Client, Registry } from "./client.js";',
    'export type { components } from "./components.js";',
    'export type * from "./names.js";',
    'export { registry } from "./registry.js";',
    "",
    "/** A client for this API on the given config (from loadConfig()). */",
    "export function createClient(config: KubeConfig, options?: ClientOptions): Client {",
    '  return createKubeClient<Registry, components["schemas"], queries>(config, registryData, options);',
    "}",
    "",
    "/** The API this client was generated from. */",
    "export const spec = {",
    '  /** The Kubernetes release of the spec ("1.36"), or "unversioned" when it names none. */',
    `  "kubernetesVersion": ${JSON.stringify(info.kubernetesVersion)},`,
    "  /** The spec's own `info.version`. */",
    `  "infoVersion": ${JSON.stringify(info.specVersion)},`,
    "  /** The sha256 of the spec's bytes, as in each generated file's header. */",
    `  "sha256": ${JSON.stringify(info.sha256)}`,
    "} as const;",
    "",
  ].join("\n");
}

/** `names.d.ts`: a namespace of short names per definition package, re-exported by index.ts. */
export function emitNames(doc: OpenApiDocument): string {
  const lines = [
    'import type { components } from "./components.js";',
    "",
    "// Only the namespaces below are exported (a .d.ts module would otherwise export S too).",
    "export {};",
    "",
    'type S = components["schemas"];',
    "",
    "// Short names per definition package: `coreV1.Pod`, `appsV1.Deployment`, `metaV1.ObjectMeta`.",
  ];
  for (const [ns, members] of typeNamespaces(Object.keys(doc.components.schemas))) {
    const pkg = (members[0] as [string, string])[1].replace(/\.[^.]+$/, "");
    lines.push(`/** The definitions of \`${pkg}\` by their short names. */`);
    lines.push(`export declare namespace ${ns} {`);
    for (const [short, full] of members) {
      // The full name only: names.d.ts stays a function of the definitions' names, the same
      // from a cluster as from files plus --crd (whose deprecation notes a cluster's spec
      // lacks); the description is on the type it names.
      lines.push(`  /** The \`${full}\` definition (its description is on the type). */`);
      lines.push(`  type ${short} = S[${JSON.stringify(full)}];`);
    }
    lines.push("}");
  }
  lines.push("");
  return lines.join("\n");
}

/** JSON text as the body of a template literal that reads back as the same text. */
function templateText(json: string): string {
  return json.replaceAll("\\", "\\\\").replaceAll("`", "\\`").replaceAll("${", "\\${");
}

/** The type `value as const` has, written out: readonly objects and tuples of literals. */
function literalType(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "readonly []";
    return `readonly [\n${value.map((v) => inner + literalType(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const members = entries.map(
      ([k, v]) => `${inner}readonly ${JSON.stringify(k)}: ${literalType(v, inner)};`,
    );
    return `{\n${members.join("\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Groups definitions by package (`io.k8s.api.core.v1`) under a namespace named from its
 * last two segments (`coreV1`), taking more segments where two packages would collide.
 */
export function typeNamespaces(names: string[]): Map<string, [string, string][]> {
  const packages = new Map<string, [string, string][]>();
  for (const full of [...names].sort()) {
    const dot = full.lastIndexOf(".");
    if (dot <= 0) continue;
    const short = full.slice(dot + 1);
    if (!IDENTIFIER.test(short)) continue;
    const pkg = full.slice(0, dot);
    const list = packages.get(pkg) ?? [];
    list.push([short, full]);
    packages.set(pkg, list);
  }
  const nameOf = (pkg: string, n: number) => camel(pkg.split(".").slice(-n));
  const chosen = new Map<string, string>();
  for (let n = 2; chosen.size < packages.size && n <= 12; n++) {
    const counts = new Map<string, number>();
    const pending = [...packages.keys()].filter((p) => !chosen.has(p));
    for (const p of pending) counts.set(nameOf(p, n), (counts.get(nameOf(p, n)) ?? 0) + 1);
    const taken = new Set(chosen.values());
    for (const p of pending) {
      const name = nameOf(p, n);
      if (counts.get(name) === 1 && !taken.has(name) && IDENTIFIER.test(name)) chosen.set(p, name);
    }
  }
  const out = new Map<string, [string, string][]>();
  for (const pkg of [...chosen.keys()].sort((a, b) =>
    (chosen.get(a) as string).localeCompare(chosen.get(b) as string),
  )) {
    out.set(chosen.get(pkg) as string, packages.get(pkg) as [string, string][]);
  }
  return out;
}

function camel(segments: string[]): string {
  const words = segments.flatMap((s) => s.split(/[-_]+/)).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1))).join("");
}
