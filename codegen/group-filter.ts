import { decodePointerSegment, GenerateError } from "./errors.js";
import type { OpenApiDocument, PathItem, Schema } from "./openapi-types.js";
import { groupKey } from "./registry-model.js";

const SCHEMAS = "#/components/schemas/";

export interface GroupFilter {
  /** Keep only these API groups (`core`, `apps`, `monitoring.coreos.com`, or client keys). */
  groups?: string[];
  /** Drop these API groups. */
  exclude?: string[];
}

/** The API group of an `/api/...` or `/apis/<group>/...` path; undefined for others (`/version`). */
export function pathGroup(path: string): string | undefined {
  const segs = path.split("/").filter(Boolean);
  if (segs[0] === "api") return "";
  if (segs[0] === "apis" && segs.length >= 2) return segs[1];
  return undefined;
}

/**
 * A document with only the paths of the chosen API groups and the definitions those paths
 * reach (through `$ref`s, transitively). Paths outside any group (`/version`, `/apis/`) stay.
 * A name that matches no group of the spec is an error: a typo would otherwise drop it silently.
 */
export function filterGroups(doc: OpenApiDocument, filter: GroupFilter, where: string): OpenApiDocument {
  const present = new Set<string>();
  for (const p of Object.keys(doc.paths)) {
    const g = pathGroup(p);
    if (g !== undefined) present.add(g);
  }
  const resolve = (names: string[] | undefined, option: string): Set<string> | undefined => {
    if (!names) return undefined;
    const out = new Set<string>();
    for (const n of names) {
      const hits = [...present].filter((g) => g === n || groupKey(g) === n);
      if (hits.length === 0) {
        const known = [...present].map((g) => g || "core").sort();
        throw new GenerateError(
          where,
          `${option} ${n}: no such API group (the spec has ${known.join(", ")})`,
        );
      }
      for (const h of hits) out.add(h);
    }
    return out;
  };
  const keep = resolve(filter.groups, "--groups");
  const drop = resolve(filter.exclude, "--exclude-groups");
  const paths: Record<string, PathItem> = {};
  for (const [p, item] of Object.entries(doc.paths)) {
    const g = pathGroup(p);
    if (g !== undefined && ((keep && !keep.has(g)) || drop?.has(g))) continue;
    paths[p] = item;
  }
  const reached = new Set<string>();
  const queue: unknown[] = [paths, doc.components.parameters ?? {}];
  while (queue.length) {
    const node = queue.pop();
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      queue.push(...node);
      continue;
    }
    const ref = (node as Schema).$ref;
    if (typeof ref === "string" && ref.startsWith(SCHEMAS)) {
      const name = decodePointerSegment(ref.slice(SCHEMAS.length));
      if (!reached.has(name) && Object.hasOwn(doc.components.schemas, name)) {
        reached.add(name);
        queue.push(doc.components.schemas[name]);
      }
    }
    for (const v of Object.values(node)) if (v !== null && typeof v === "object") queue.push(v);
  }
  const schemas: Record<string, Schema> = {};
  for (const name of Object.keys(doc.components.schemas)) {
    if (reached.has(name)) schemas[name] = doc.components.schemas[name] as Schema;
  }
  return { ...doc, paths, components: { ...doc.components, schemas } };
}
