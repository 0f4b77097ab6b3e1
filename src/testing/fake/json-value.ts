// Wire JSON as the patch functions handle it: copied before any change (the functions are pure),
// keys written as own data properties (a "__proto__" key stays data and never reaches a
// prototype), nesting bounded, and values printed the way Go's fmt prints decoded JSON, since the
// apiserver's messages quote them that way.

import { badRequest } from "./patch-error.js";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: Json;
}

/**
 * How deep a document or patch may nest. Go's encoding/json stops at 10000 levels; the fake
 * stops sooner so its recursion stays far from the JS stack's limit.
 */
export const MAX_DEPTH = 1000;

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `o[key]` only when `key` is o's own property (never an inherited one such as __proto__). */
export function getOwn(o: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Sets an own data property: assigning `o["__proto__"]` would change o's prototype instead. */
export function setOwn(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * A deep copy of `v` as JSON: refuses what JSON cannot hold and nesting past MAX_DEPTH
 * (400, as the apiserver's decoder answers a body it cannot read). `what` names the value in
 * the message.
 */
export function cloneJson(v: unknown, what: string): Json {
  const copy = (value: unknown, depth: number): Json => {
    if (depth > MAX_DEPTH) throw badRequest(`${what} nests more than ${MAX_DEPTH} levels deep`);
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw badRequest(`${what} holds a number JSON cannot encode: ${value}`);
      return value;
    }
    if (Array.isArray(value)) return value.map((item) => copy(item, depth + 1));
    if (typeof value === "object") {
      const out: JsonObject = {};
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== undefined) setOwn(out, key, copy(item, depth + 1));
      }
      return out;
    }
    throw badRequest(`${what} holds a ${typeof value}, which JSON cannot encode`);
  };
  return copy(v, 0);
}

/** JSON equality (numbers by value, object keys in any order). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i] as Json));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k] as Json, b[k] as Json))
    );
  }
  return false;
}

/** The JSON type's name as Go's encoding/json words an UnmarshalTypeError ("object", "number"…). */
export function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

/** The Go type a decoded JSON value has, as reflect prints it in apimachinery's messages. */
export function goTypeName(v: Json | undefined): string {
  if (v === undefined || v === null) return "<nil>";
  if (Array.isArray(v)) return "[]interface {}";
  if (typeof v === "object") return "map[string]interface {}";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int64" : "float64";
  return "string";
}

/** `v` as Go's fmt %v prints a decoded JSON value: map[k:v …] with sorted keys, [a b], <nil>. */
export function goFormat(v: Json | undefined): string {
  if (v === undefined || v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  if (typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(v[k])}`).join(" ")}]`;
  }
  return String(v);
}
