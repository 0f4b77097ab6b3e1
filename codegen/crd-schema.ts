import type { Schema } from "./openapi-types.js";

/**
 * A CRD version's `openAPIV3Schema` made ready for the types and the validators, as the
 * API server reads it:
 * - `x-kubernetes-validations` (CEL) and other extensions the types cannot use are dropped
 *   (later steps ignore every `x-` key but the int-or-string, preserve-unknown-fields and
 *   group-version-kind ones);
 * - `allOf`/`anyOf`/`oneOf`/`not` in a structural schema only restrict values whose type the
 *   schema already states (`oneOf: [{required: [a]}, {required: [b]}]`): they are dropped, so
 *   the field is typed by its own schema and the server checks the rest. They stay where
 *   they are the type itself: no `type` or `properties` of their own and every branch typed
 *   (int-or-string, and the non-structural v1beta1 schemas that do this), and where every
 *   branch is an `enum` (a string narrowed to values, as the server publishes it);
 * - `x-kubernetes-embedded-resource` objects get `apiVersion`, `kind` (both required: the
 *   server refuses an embedded object without them, and publishes them so) and `metadata`.
 */
export function crdSchema(schema: Schema, objectMeta: string): Schema {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return schema;
  const out: Schema = {};
  for (const key of Object.keys(schema)) {
    const value = schema[key];
    if (key === "x-kubernetes-validations") continue;
    if (key === "properties" && isObject(value)) {
      const props: Record<string, Schema> = {};
      for (const name of Object.keys(value)) props[name] = crdSchema(value[name] as Schema, objectMeta);
      out.properties = props;
    } else if (key === "items" && isObject(value)) {
      out.items = crdSchema(value as Schema, objectMeta);
    } else if (key === "additionalProperties" && isObject(value)) {
      out.additionalProperties = crdSchema(value as Schema, objectMeta);
    } else if (key === "allOf" || key === "anyOf" || key === "oneOf") {
      if (Array.isArray(value) && (junctionIsType(schema, value) || value.every(isEnumOnly))) {
        out[key] = value.map((s) => crdSchema(s as Schema, objectMeta));
      }
    } else if (key === "not") {
      // A structural schema's `not` only forbids values; the type is the schema's own.
    } else {
      out[key] = value;
    }
  }
  if (schema["x-kubernetes-embedded-resource"] === true) {
    // Also when it lists no properties of its own (an open object): the server publishes them.
    out.properties = {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { $ref: objectMeta },
      ...out.properties,
    };
    out.required = [...new Set(["apiVersion", "kind", ...((out.required as string[] | undefined) ?? [])])];
  }
  return out;
}

/** A junction branch that only lists values (`allOf: [{enum: [...]}]`). */
function isEnumOnly(branch: unknown): boolean {
  return (
    isObject(branch) &&
    Array.isArray(branch.enum) &&
    Object.keys(branch).every((k) => k === "enum" || k === "description")
  );
}

function junctionIsType(schema: Schema, branches: unknown[]): boolean {
  if (schema["x-kubernetes-int-or-string"] === true) return true;
  if (schema.type !== undefined || schema.properties !== undefined) return false;
  return (
    branches.length > 0 &&
    branches.every((b) => isObject(b) && (typeof b.type === "string" || typeof b.$ref === "string"))
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
