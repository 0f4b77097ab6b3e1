import { refTarget } from "./errors.js";
import type { OpenApiDocument, Parameter, PathItem, Schema } from "./openapi-types.js";
import type { RegistryModel } from "./registry-model.js";

/**
 * `queries.d.ts`: the query parameters of the operations resource methods call, as the spec
 * declares them, deduplicated (most list operations share one shape). It lets the client type
 * its options without loading every path of the spec: the full `paths` cost consumers seconds
 * of type-checking.
 */
export function emitQueries(doc: OpenApiDocument, model: RegistryModel): string {
  const wanted = new Map<string, Set<string>>();
  const want = (path: string | undefined, methods: string[]) => {
    if (!path) return;
    const set = wanted.get(path) ?? new Set();
    for (const m of methods) set.add(m);
    wanted.set(path, set);
  };
  for (const versions of Object.values(model.groups)) {
    for (const plurals of Object.values(versions)) {
      for (const r of Object.values(plurals)) {
        want(r.paths.collection, ["get", "post", "delete"]);
        want(r.paths.allNamespaces, ["get"]);
        want(r.paths.item, ["get", "put", "patch", "delete"]);
        const log = r.subresources.log;
        if (log) want(log.path, ["get"]);
      }
    }
  }
  const shapes = new Map<string, string>();
  const entries: string[] = [];
  for (const path of [...wanted.keys()].sort()) {
    const item = doc.paths[path] as PathItem | undefined;
    if (!item) continue;
    const methods: string[] = [];
    for (const m of [...(wanted.get(path) as Set<string>)].sort()) {
      const op = item[m as keyof PathItem] as { parameters?: (Parameter | { $ref: string })[] } | undefined;
      if (!op || Array.isArray(op)) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .map((p) => ("$ref" in p ? doc.components.parameters?.[refTarget(p.$ref)] : p))
        .filter((p): p is Parameter => p?.in === "query");
      const shape = objectType(params);
      let name = shapes.get(shape);
      if (!name) {
        name = `Q${shapes.size}`;
        shapes.set(shape, name);
      }
      methods.push(`${m}: ${name};`);
    }
    if (methods.length) entries.push(`  ${JSON.stringify(path)}: { ${methods.join(" ")} };`);
  }
  const types = [...shapes].map(([shape, name]) => `type ${name} = ${shape};`);
  return [
    ...types,
    "",
    "/** Query parameters per path and method, for the operations the client's resource methods call. */",
    "export interface queries {",
    ...entries,
    "}",
    "",
  ].join("\n");
}

function objectType(params: Parameter[]): string {
  const byName = new Map<string, Parameter>();
  for (const p of params) byName.set(p.name, p);
  const fields = [...byName.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (p) =>
        `${/^[A-Za-z_$][\w$]*$/.test(p.name) ? p.name : JSON.stringify(p.name)}${p.required ? "" : "?"}: ${tsType(p.schema)};`,
    );
  return `{ ${fields.join(" ")} }`;
}

function tsType(s: Schema | undefined): string {
  if (!s) return "unknown";
  if (Array.isArray(s.enum) && s.enum.length) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  switch (s.type) {
    case "boolean":
      return "boolean";
    case "integer":
    case "number":
      return "number";
    case "string":
      return "string";
    case "array":
      return `${tsType(s.items)}[]`;
    default:
      return "unknown";
  }
}
