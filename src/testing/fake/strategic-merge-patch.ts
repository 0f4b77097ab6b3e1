// application/strategic-merge-patch+json as the apiserver applies it: apimachinery's
// strategicpatch.StrategicMergeMapPatch with the server's options (MergeParallelList and
// IgnoreUnmatchedNulls both true), the patch metadata read from a Shape instead of Go struct tags.
// The steps, in mergeMap's order, for one object:
//   1. `$patch: replace` takes the patch object as it is, `$patch: delete` leaves {}, any other
//      `$patch` value is a 500 ("unknown patch type").
//   2. `$retainKeys: [..]` drops the target's keys not listed; a patch key not listed is 400.
//   3. `$setElementOrder/<list>: [..]` merges that list and orders the result: listed items in
//      the listed order, the target's other items around them in their own order. Honoured.
//   4. Every other key: null deletes; `$deleteFromPrimitiveList/<list>: [..]` removes those values
//      from a merging list of scalars; a key the target lacks, or whose JSON type differs, takes
//      the patch value (nulls and directives dropped); two objects merge (unless the field's
//      strategy is "replace"); two lists merge when the field's strategy includes "merge" — by
//      the merge key for objects (`$patch: delete` items remove, a `$patch: replace` item makes
//      the rest the list), as a union for scalars — and are replaced otherwise.
// Merged lists keep apimachinery's order (normalizeElementOrder): items the patch names in the
// patch's order, interleaved with the target's other items by the target's order — so an item new
// to the list comes first. Untyped values (no schema, preserve-unknown-fields) merge like a JSON
// merge patch: per key for objects, lists replaced.
// Errors keep the apiserver's codes (interpretStrategicMergePatchError): malformed directives 400,
// lists of lists 422, anything else the library returns (a missing merge key, a bad `$patch`
// value) 500 with the library's message.

import {
  cloneJson,
  getOwn,
  goFormat,
  goTypeName,
  isObject,
  type Json,
  type JsonObject,
  jsonTypeName,
  setOwn,
} from "./json-value.js";
import { badRequest, internal, unprocessable } from "./patch-error.js";
import { type Shape, UNTYPED_SHAPE } from "./shape.js";

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER = "$setElementOrder";

const ERR_PRIMITIVE_LIST = "invalid patch format of primitive list";
const ERR_RETAIN_KEYS = "invalid patch format of retainKeys";
const ERR_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list";

type ElementKind = "object" | "scalar";

function fieldShape(shape: Shape, key: string): Shape {
  return shape.kind === "object" ? shape.field(key) : UNTYPED_SHAPE;
}

/** The strategy besides retainKeys, as extractRetainKeysPatchStrategy splits "merge,retainKeys". */
function strategyOf(shape: Shape): string {
  const raw = shape.kind === "list" || shape.kind === "object" ? shape.patchStrategy : undefined;
  if (raw === undefined) return "";
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "retainKeys")
    .join(",");
}

function mergeKeyOf(shape: Shape): string {
  return shape.kind === "list" ? (shape.patchMergeKey ?? "") : "";
}

function itemsOf(shape: Shape): Shape {
  return shape.kind === "list" ? shape.items : UNTYPED_SHAPE;
}

function errBadArgType(expected: string, actual: Json | undefined) {
  return internal(`expected a ${expected}, but received a ${goTypeName(actual)}`);
}

function errNoMergeKey(m: JsonObject, key: string) {
  return internal(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
}

/** Scalar equality as Go's == on decoded JSON; maps and lists never compare equal here. */
function same(a: Json | undefined, b: Json | undefined): boolean {
  return a === b && (a === null || a === undefined || typeof a !== "object");
}

/**
 * The patch value a key takes where there is nothing to merge into: nulls discarded
 * (discardNullValuesFromPatch), objects holding `$patch` dropped (removeDirectives), and the other
 * directive keys dropped too (a typed decode drops them in Go).
 */
function clean(v: Json): Json | undefined {
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const item of v) {
      const c = clean(item);
      if (c !== undefined) out.push(c);
    }
    return out;
  }
  if (!isObject(v)) return v;
  if (Object.hasOwn(v, DIRECTIVE)) return undefined;
  const out: JsonObject = {};
  for (const key of Object.keys(v)) {
    const item = v[key] as Json;
    if (item === null || isDirectiveKey(key)) continue;
    const c = clean(item);
    if (c !== undefined) setOwn(out, key, c);
  }
  return out;
}

function isDirectiveKey(key: string): boolean {
  return (
    key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)
  );
}

function putClean(original: JsonObject, key: string, v: Json): void {
  const c = clean(v);
  if (c === undefined) delete original[key];
  else setOwn(original, key, c);
}

/** The list's key after a directive prefix ("$setElementOrder/containers" → "containers"). */
function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf("/");
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    throw badRequest(prefix === SET_ELEMENT_ORDER ? ERR_SET_ELEMENT_ORDER : ERR_PRIMITIVE_LIST);
  }
  return s.slice(slash + 1);
}

/** sliceElementType: every element of the lists one JSON type, and not a list. */
function elementKind(...lists: readonly Json[][]): ElementKind {
  let previous: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const type = Array.isArray(v)
        ? "array"
        : v === null
          ? "null"
          : typeof v === "number"
            ? goTypeName(v)
            : typeof v;
      if (previous === undefined) {
        previous = type;
        if (type === "array") throw unprocessable("lists of lists are not supported");
      } else if (previous !== type) {
        throw internal(`list element types are not identical: ${goFormat(lists as Json[][])}`);
      }
    }
  }
  if (previous === undefined) throw internal("no elements in any of the given slices");
  return previous === "object" ? "object" : "scalar";
}

function mergeKeyValue(item: Json, mergeKey: string): Json | undefined {
  return isObject(item) ? getOwn(item, mergeKey) : undefined;
}

/** Position of `v` in `list`: by merge key for objects, by value for scalars; -1 when absent. */
function indexIn(list: readonly Json[], v: Json, mergeKey: string, kind: ElementKind): number {
  const key = (item: Json) => (kind === "object" ? mergeKeyValue(item, mergeKey) : item);
  const wanted = key(v);
  return list.findIndex((item) => same(key(item), wanted));
}

function checkMergeKeys(mergeKey: string, ...lists: readonly Json[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw errBadArgType("map[string]interface {}", item);
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

/** normalizeSliceOrder: `toSort` in `order`'s order, `$patch: delete` items last. */
function sortByOrder(toSort: Json[], order: readonly Json[], mergeKey: string, kind: ElementKind): Json[] {
  let kept = toSort;
  let deleted: Json[] = [];
  if (kind === "object") {
    checkMergeKeys(mergeKey, toSort, order as Json[]);
    kept = toSort.filter((v) => !(isObject(v) && getOwn(v, DIRECTIVE) === "delete"));
    deleted = toSort.filter((v) => isObject(v) && getOwn(v, DIRECTIVE) === "delete");
  }
  const position = (v: Json) => {
    const i = indexIn(order, v, mergeKey, kind);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  return [
    ...kept
      .map((v, i) => ({ v, i, p: position(v) }))
      .sort((a, b) => a.p - b.p || a.i - b.i)
      .map((e) => e.v),
    ...deleted,
  ];
}

/**
 * normalizeElementOrder + mergeSortedSlice: the patch's items in `patchOrder`, the target-only
 * items in `serverOrder`, interleaved by `serverOrder` where both are found there, a patch item
 * first otherwise.
 */
function normalizeOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: readonly Json[],
  serverOrder: readonly Json[],
  mergeKey: string,
  kind: ElementKind,
): Json[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++] as Json);
    else if (j >= right.length) out.push(left[i++] as Json);
    else {
      const li = indexIn(serverOrder, left[i] as Json, mergeKey, kind);
      const ri = indexIn(serverOrder, right[j] as Json, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] as Json);
      else out.push(right[j++] as Json);
    }
  }
  return out;
}

/** Splits `merged` into the items `by` names and the others (partition…ByPresentInList). */
function partition(merged: readonly Json[], by: readonly Json[], mergeKey: string): [Json[], Json[]] {
  const named: Json[] = [];
  const others: Json[] = [];
  for (const v of merged) {
    let found: boolean;
    if (mergeKey === "") found = by.some((b) => same(b, v));
    else {
      if (!isObject(v)) throw errBadArgType("map[string]interface {}", v);
      if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
      found = by.some((b, index) => {
        if (!isObject(b)) throw internal(`value for key ${index} is not a map.`);
        return Object.hasOwn(b, mergeKey) && same(b[mergeKey], v[mergeKey]);
      });
    }
    (found ? named : others).push(v);
  }
  return [named, others];
}

/** mergeSliceWithSpecialElements: `$patch` items applied; the original left, and the plain items. */
function applySpecialElements(original: Json[], patch: Json[], mergeKey: string): [Json[], Json[]] {
  const plain: Json[] = [];
  let replace = false;
  let result = original;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!Object.hasOwn(item, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === "delete") {
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const key = item[mergeKey];
      result = result.filter((el) => !same(mergeKeyValue(el, mergeKey), key));
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      throw internal("merging lists cannot yet be specified in the patch");
    } else {
      throw internal(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(item)}`);
    }
  }
  return replace ? [plain, []] : [result, plain];
}

function mergeSlice(
  original: Json[],
  patch: Json[],
  items: Shape,
  mergeKey: string,
  isDeleteList: boolean,
): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  let merged: Json[];
  let base = original;
  let plain = patch;
  if (kind === "scalar") {
    if (isDeleteList) return original.filter((v) => !patch.some((d) => same(d, v)));
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => same(m, v))) merged.push(v);
  } else {
    if (mergeKey === "") throw internal("cannot merge lists without merge key for type struct");
    [base, plain] = applySpecialElements(original, patch, mergeKey);
    merged = [...base];
    for (const v of plain) {
      const item = v as JsonObject;
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const at = merged.findIndex((el) => same(mergeKeyValue(el, mergeKey), item[mergeKey]));
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, items);
      else {
        const c = clean(item);
        if (c !== undefined) merged.push(c);
      }
    }
  }
  const [patchItems, serverOnly] = partition(merged, plain, kind === "object" ? mergeKey : "");
  return normalizeOrder(patchItems, serverOnly, plain, base, mergeKey, kind);
}

function mergeList(original: Json[], patch: Json[], shape: Shape, isDeleteList: boolean): Json[] {
  if (strategyOf(shape) !== "merge") return (clean(patch) as Json[] | undefined) ?? [];
  return mergeSlice(original, patch, itemsOf(shape), mergeKeyOf(shape), isDeleteList);
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badRequest(ERR_RETAIN_KEYS);
  const kept = (k: string) => retain.some((r) => r === k);
  for (const key of Object.keys(patch)) {
    if (
      patch[key] === null ||
      key.startsWith(DELETE_FROM_PRIMITIVE_LIST) ||
      key.startsWith(SET_ELEMENT_ORDER)
    ) {
      continue;
    }
    if (!kept(key)) throw badRequest(ERR_RETAIN_KEYS);
  }
  for (const key of Object.keys(original)) if (!kept(key)) delete original[key];
}

/** validatePatchWithSetOrderList: the patch list's items appear in the order list, in its order. */
function checkOrderList(patchList: Json[], order: Json[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let kept = patchList;
  if (mergeKey !== "") {
    for (const v of patchList) if (!isObject(v)) throw errBadArgType("map[string]interface {}", v);
    kept = patchList.filter((v) => getOwn(v as JsonObject, DIRECTIVE) !== "delete");
  }
  const equal = (a: Json, b: Json): boolean => {
    if (mergeKey === "") return same(a, b);
    if (!isObject(a)) throw errBadArgType("map[string]interface {}", a);
    if (!isObject(b)) throw errBadArgType("map[string]interface {}", b);
    if (!Object.hasOwn(a, mergeKey)) throw errNoMergeKey(a, mergeKey);
    if (!Object.hasOwn(b, mergeKey)) throw errNoMergeKey(b, mergeKey);
    return same(a[mergeKey], b[mergeKey]);
  };
  let p = 0;
  let o = 0;
  while (p < kept.length && o < order.length) {
    const item = kept[p] as Json;
    if (isObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (equal(item, order[o] as Json)) p++;
    o++;
  }
  if (p < kept.length && o >= order.length) {
    throw internal(
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`,
    );
  }
}

/** mergePatchIntoOriginal: every `$setElementOrder/<list>` with its list, merged and ordered. */
function applySetElementOrder(original: JsonObject, patch: JsonObject, shape: Shape): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key] as Json;
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType("[]interface {}", order);
    const listKey = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = Object.hasOwn(original, listKey);
    const foundPatch = Object.hasOwn(patch, listKey);
    const originalList = getOwn(original, listKey);
    const patchList = getOwn(patch, listKey);
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType("[]interface {}", originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType("[]interface {}", patchList);
    const fromOriginal = (foundOriginal ? originalList : []) as Json[];
    const fromPatch = (foundPatch ? patchList : []) as Json[];
    const field = fieldShape(shape, listKey);
    const mergeKey = mergeKeyOf(field);
    checkOrderList(fromPatch, order, mergeKey);
    let merged: Json[];
    if (foundOriginal && foundPatch) merged = mergeList([...fromOriginal], fromPatch, field, false);
    else if (foundOriginal) merged = fromOriginal;
    else if (foundPatch) merged = (clean(fromPatch) as Json[] | undefined) ?? [];
    else continue;
    const [named, others] = partition(merged, order, mergeKey);
    const kind = elementKind(fromOriginal, fromPatch);
    setOwn(original, listKey, normalizeOrder(named, others, order, fromOriginal, mergeKey, kind));
    delete patch[listKey];
  }
}

function mergeMap(original: JsonObject, patch: JsonObject, shape: Shape): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === "replace") {
      delete patch[DIRECTIVE];
      return (clean(patch) as JsonObject | undefined) ?? {};
    }
    if (directive === "delete") return {};
    throw internal(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, shape);
  for (const patchKey of Object.keys(patch)) {
    const patchValue = patch[patchKey] as Json;
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const current = getOwn(original, key);
    if (current === undefined || jsonTypeName(current) !== jsonTypeName(patchValue)) {
      if (!isDeleteList) putClean(original, key, patchValue);
      continue;
    }
    const field = fieldShape(shape, key);
    if (isObject(current) && isObject(patchValue)) {
      if (strategyOf(field) === "replace") putClean(original, key, patchValue);
      else setOwn(original, key, mergeMap(current, patchValue, field));
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      setOwn(original, key, mergeList(current, patchValue, field, isDeleteList));
    } else {
      setOwn(original, key, patchValue);
    }
  }
  return original;
}

/**
 * `target` with the strategic merge patch `patch` applied, its lists and maps merged as `shape`
 * (the kind's root shape) says. Pure: returns a new value. Throws PatchError with the apiserver's
 * status: 400 for a body that is not an object or malformed directives, 422 for lists of lists,
 * 500 for what apimachinery returns as a plain error (an item without its merge key, an unknown
 * `$patch` value).
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, shape: Shape): unknown {
  const p = cloneJson(patch, "the strategic merge patch");
  if (!isObject(p)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonTypeName(p)} into Go value of type map[string]interface {}`,
    );
  }
  const t = cloneJson(target, "the object");
  return mergeMap(isObject(t) ? t : {}, p, shape);
}
