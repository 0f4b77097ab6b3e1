import type { JsonSchema } from "../schemas/index.js";

/** Looks a `#/$defs/<name>` reference up. */
export type ResolveRef = (name: string) => JsonSchema | undefined;

/**
 * Paths of fields the schema does not declare, as the API server's strict field validation
 * reports them (`unknown field "spec.contianers"`). zod keeps unknown keys silently, and a
 * misspelt field is the commonest manifest mistake, so we look for them ourselves.
 * Objects with `additionalProperties`, without `properties`, or marked
 * `x-kubernetes-preserve-unknown-fields` take any key.
 */
export function unknownFields(value: unknown, schema: JsonSchema | undefined, resolve: ResolveRef): string[] {
  const out: string[] = [];
  walk(value, schema, resolve, "", out, 0);
  return out;
}

function walk(
  value: unknown,
  schema: JsonSchema | undefined,
  resolve: ResolveRef,
  path: string,
  out: string[],
  depth: number,
): void {
  // Recursive definitions (JSONSchemaProps) follow the value, which is finite; the bound is for safety.
  if (!schema || depth > 100 || value === null || typeof value !== "object") return;
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
    walk(value, resolve(decodeRef(ref.slice(8))), resolve, path, out, depth + 1);
    return;
  }
  if (schema["x-kubernetes-preserve-unknown-fields"] === true) return;
  if (Array.isArray(value)) {
    const items = schema.items;
    if (isSchema(items))
      for (const [i, v] of value.entries()) walk(v, items, resolve, `${path}[${i}]`, out, depth + 1);
    return;
  }
  const props = schema.properties;
  const additional = schema.additionalProperties;
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (isSchema(props) && Object.hasOwn(props, key))
      walk(v, props[key] as JsonSchema, resolve, at, out, depth + 1);
    else if (isSchema(additional)) walk(v, additional, resolve, at, out, depth + 1);
    else if (path === "" && ROOT_FIELDS.has(key)) continue;
    else if (additional === false || (isSchema(props) && additional === undefined)) out.push(at);
  }
}

// Every object has these, whether or not a CRD's schema declares them.
const ROOT_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

function isSchema(x: unknown): x is JsonSchema {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function decodeRef(s: string): string {
  return s.replaceAll("~1", "/").replaceAll("~0", "~");
}
