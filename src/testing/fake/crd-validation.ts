// A custom resource checked against its CRD's structural schema as apiextensions-apiserver
// checks one (kube-openapi's validate, then the list-type rules), with its messages: a user's
// test that matches an Invalid cause sees what the cluster would answer.

import type { JsonSchemaNode } from "./shape.js";
import type { StatusCause } from "./status.js";

const MAX_DEPTH = 200;
const q = (v: unknown) => JSON.stringify(v);

const typeOf = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "array"
      : typeof v === "number"
        ? Number.isInteger(v)
          ? "integer"
          : "number"
        : typeof v;

function fits(type: string, v: unknown): boolean {
  const t = typeOf(v);
  if (type === "number") return t === "number" || t === "integer";
  return t === type;
}

/** The problems of `value` under `schema`, each with the field path the apiserver prints. */
export function validateCustomResource(schema: JsonSchemaNode, value: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  walk(schema, value, "", causes, 0);
  return causes;
}

function walk(s: JsonSchemaNode, v: unknown, path: string, out: StatusCause[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  const at = (p: string) => (p.startsWith(".") ? p.slice(1) : p);
  if (v === null) {
    if (s.nullable === true || s["x-kubernetes-preserve-unknown-fields"] === true) return;
    if (typeof s.type === "string") {
      out.push({
        reason: "FieldValueTypeInvalid",
        field: at(path),
        message: `Invalid value: "null": ${at(path)} in body must be of type ${s.type}: "null"`,
      });
    }
    return;
  }
  if (s["x-kubernetes-int-or-string"] === true) {
    if (typeof v !== "string" && !(typeof v === "number" && Number.isInteger(v))) {
      out.push({
        reason: "FieldValueTypeInvalid",
        field: at(path),
        message: `Invalid value: ${q(typeOf(v))}: ${at(path)} in body must be of type integer,string: ${q(typeOf(v))}`,
      });
    }
    return;
  }
  const type = s.type;
  if (typeof type === "string" && !fits(type, v)) {
    out.push({
      reason: "FieldValueTypeInvalid",
      field: at(path),
      message: `Invalid value: ${q(typeOf(v))}: ${at(path)} in body must be of type ${type}: ${q(typeOf(v))}`,
    });
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    out.push({
      reason: "FieldValueNotSupported",
      field: at(path),
      message: `Unsupported value: ${q(v)}: supported values: ${s.enum.map((e) => q(e)).join(", ")}`,
    });
  }
  if (typeof v === "string") strings(s, v, at(path), out);
  if (typeof v === "number") numbers(s, v, at(path), out);
  if (Array.isArray(v)) {
    if (typeof s.maxItems === "number" && v.length > s.maxItems)
      out.push({
        reason: "FieldValueTooMany",
        field: at(path),
        message: `Too many: ${v.length}: must have at most ${s.maxItems} items`,
      });
    if (typeof s.minItems === "number" && v.length < s.minItems)
      out.push({
        reason: "FieldValueInvalid",
        field: at(path),
        message: `Invalid value: ${v.length}: ${at(path)} in body should have at least ${s.minItems} items`,
      });
    const items = s.items as JsonSchemaNode | undefined;
    if (items) for (const [i, x] of v.entries()) walk(items, x, `${path}[${i}]`, out, depth + 1);
    uniqueness(s, v, path, at, out);
    return;
  }
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    for (const r of (s.required as string[] | undefined) ?? []) {
      if (!Object.hasOwn(o, r))
        out.push({ reason: "FieldValueRequired", field: at(`${path}.${r}`), message: "Required value" });
    }
    const props = (s.properties ?? {}) as Record<string, JsonSchemaNode>;
    const extra = s.additionalProperties;
    for (const [k, x] of Object.entries(o)) {
      if (path === "" && (k === "metadata" || k === "apiVersion" || k === "kind")) continue;
      const p = Object.hasOwn(props, k)
        ? props[k]
        : extra && typeof extra === "object"
          ? (extra as JsonSchemaNode)
          : undefined;
      if (p) walk(p, x, `${path}.${k}`, out, depth + 1);
    }
    if (typeof s.maxProperties === "number" && Object.keys(o).length > s.maxProperties) {
      out.push({
        reason: "FieldValueTooMany",
        field: at(path),
        message: `Too many: ${Object.keys(o).length}: must have at most ${s.maxProperties} items`,
      });
    }
  }
}

function strings(s: JsonSchemaNode, v: string, field: string, out: StatusCause[]) {
  const len = [...v].length;
  if (typeof s.maxLength === "number" && len > s.maxLength)
    out.push({
      reason: "FieldValueTooLong",
      field,
      message: `Too long: may not be more than ${s.maxLength} bytes`,
    });
  if (typeof s.minLength === "number" && len < s.minLength)
    out.push({
      reason: "FieldValueInvalid",
      field,
      message: `Invalid value: ${q(v)}: ${field} in body should be at least ${s.minLength} chars long`,
    });
  if (typeof s.pattern === "string") {
    let re: RegExp | undefined;
    try {
      re = new RegExp(s.pattern, "u");
    } catch {
      re = undefined;
    }
    if (re && !re.test(v))
      out.push({
        reason: "FieldValueInvalid",
        field,
        message: `Invalid value: ${q(v)}: ${field} in body should match '${s.pattern}'`,
      });
  }
}

function numbers(s: JsonSchemaNode, v: number, field: string, out: StatusCause[]) {
  if (typeof s.maximum === "number" && (s.exclusiveMaximum === true ? v >= s.maximum : v > s.maximum)) {
    out.push({
      reason: "FieldValueInvalid",
      field,
      message: `Invalid value: ${v}: ${field} in body should be less than ${s.exclusiveMaximum === true ? "" : "or equal to "}${s.maximum}`,
    });
  }
  if (typeof s.minimum === "number" && (s.exclusiveMinimum === true ? v <= s.minimum : v < s.minimum)) {
    out.push({
      reason: "FieldValueInvalid",
      field,
      message: `Invalid value: ${v}: ${field} in body should be greater than ${s.exclusiveMinimum === true ? "" : "or equal to "}${s.minimum}`,
    });
  }
}

/** x-kubernetes-list-type map and set: keys (or values) may not repeat. */
function uniqueness(
  s: JsonSchemaNode,
  v: unknown[],
  path: string,
  at: (p: string) => string,
  out: StatusCause[],
) {
  const type = s["x-kubernetes-list-type"];
  if (type !== "map" && type !== "set") return;
  const keys = (s["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const key =
      type === "map" && item && typeof item === "object"
        ? JSON.stringify(
            Object.fromEntries(
              keys
                .filter((k) => Object.hasOwn(item, k))
                .map((k) => [k, (item as Record<string, unknown>)[k]]),
            ),
          )
        : JSON.stringify(item);
    if (seen.has(key))
      out.push({
        reason: "FieldValueDuplicate",
        field: at(`${path}[${i}]`),
        message: `Duplicate value: ${key}`,
      });
    seen.add(key);
  });
}
