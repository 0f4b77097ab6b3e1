// application/merge-patch+json as the apiserver applies it: RFC 7386 through evanphx/json-patch
// v4's MergePatch (the apiserver's jsonPatcher, MergePatchType). Where v4 differs from the RFC,
// v4 wins, since that is what a cluster answers: a value set where the target had none (or null,
// or a non-object) has its nulls pruned all the way down, in arrays too (pruneNulls drops null
// elements); an array or scalar patched over an object is taken as sent.

import { cloneJson, getOwn, isObject, type Json, type JsonObject, setOwn } from "./json-value.js";
import { badRequest } from "./patch-error.js";

function pruneNulls(v: Json): Json {
  if (Array.isArray(v)) return v.filter((item) => item !== null).map(pruneNulls);
  if (isObject(v)) {
    for (const key of Object.keys(v)) {
      const item = v[key] as Json;
      if (item === null) delete v[key];
      else setOwn(v, key, pruneNulls(item));
    }
  }
  return v;
}

function merge(current: Json, patch: Json): Json {
  if (!isObject(current)) return pruneNulls(patch);
  if (!isObject(patch)) return patch;
  mergeDocs(current, patch);
  return current;
}

function mergeDocs(doc: JsonObject, patch: JsonObject): void {
  for (const key of Object.keys(patch)) {
    const value = patch[key] as Json;
    if (value === null) {
      delete doc[key];
      continue;
    }
    const current = getOwn(doc, key);
    setOwn(doc, key, current === undefined || current === null ? pruneNulls(value) : merge(current, value));
  }
}

/**
 * `target` with the JSON merge patch `patch` applied (RFC 7386: objects merge per key, null
 * deletes, anything else replaces). Pure: returns a new value. A patch that is null or a scalar
 * is refused 400 "Invalid JSON Patch" as the apiserver refuses it; an array patch is the result.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  const p = cloneJson(patch, "the merge patch");
  if (p === null || !(isObject(p) || Array.isArray(p))) throw badRequest("Invalid JSON Patch");
  if (Array.isArray(p)) return pruneNulls(p);
  const doc = cloneJson(target, "the object");
  if (!isObject(doc)) return pruneNulls(p);
  mergeDocs(doc, p);
  return doc;
}
