import type { JsonSchema } from "./json-schema.js";

/**
 * How null on the wire is validated (README, "Null on the wire"):
 * - An optional property may be null. The API server's decoder reads null as absent for
 *   optional fields, and its encoder writes null for Go's nil slices and maps without
 *   `omitempty` (`rules: null` in aggregated ClusterRoles).
 * - A property the schema marks `nullable` may be null, required or not (CRDs, OpenAPI v3,
 *   and `Time`/`MicroTime`, which Go writes as null when zero).
 * - A required list or map may be null too: Go writes a nil slice or map as null whether the
 *   field is required or not (a new node's CSINode has `spec.drivers: null`).
 * - Any other null is an error.
 *
 * Expressed as OpenAPI 3.0 `nullable` so zod wraps the field's own schema (its issues keep
 * their field paths) instead of a union with null (whose issues say only "Invalid input").
 */
export function nullAsAbsent(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullAsAbsent);
  if (schema === null || typeof schema !== "object") return schema;
  const s = schema as JsonSchema;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(s)) {
    const value = s[key];
    if (key === "properties" && isObject(value)) {
      const required = new Set(Array.isArray(s.required) ? (s.required as unknown[]) : []);
      const props: Record<string, unknown> = {};
      for (const name of Object.keys(value)) {
        const sub = nullAsAbsent(value[name]);
        const nullable = !required.has(name) || goNilable(sub);
        props[name] = nullable && isObject(sub) ? { ...sub, nullable: true } : sub;
      }
      out.properties = props;
    } else if (key === "enum" || key === "required" || key === "const" || key === "default") {
      out[key] = value;
    } else {
      out[key] = nullAsAbsent(value);
    }
  }
  return out;
}

/** A Go slice or map: an array, or an object with only additionalProperties. */
function goNilable(s: unknown): boolean {
  if (!isObject(s)) return false;
  return s.type === "array" || (s.type === "object" && s.additionalProperties !== undefined && !s.properties);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
