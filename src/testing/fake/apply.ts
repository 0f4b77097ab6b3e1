// Server-side apply and managedFields tracking, as the apiserver does them with
// structured-merge-diff (merge/update.go, typed/{merge,compare,remove,tofieldset}.go) wrapped
// in k8s.io/apimachinery/pkg/util/managedfields/internal (fieldmanager.go and the managers it
// chains: skipnonapplied, capmanagers, buildmanagerinfo, managedfieldsupdater, stripmeta,
// managedfields.go's encoding, conflict.go's messages). Objects are wire JSON; a Shape says how
// each value merges. One API version: every manager's paths are read in the request's version.

import {
  difference,
  emptySet,
  type FieldSet,
  type FieldsV1,
  fieldElement,
  fromFieldsV1,
  insert,
  intersection,
  isEmpty,
  keyElement,
  pathString,
  paths,
  recursiveDifference,
  toFieldsV1,
  union,
  valueElement,
} from "./field-set.js";
import type { Shape } from "./shape.js";

export type { FieldsV1 } from "./field-set.js";

/** One entry of metadata.managedFields, as the apiserver writes it. */
export interface ManagedFieldsEntry {
  /** The fieldManager of the request (or "before-first-apply", "ancient-changes"). */
  manager: string;
  /** "Apply" for server-side apply, "Update" for every other write. */
  operation: "Apply" | "Update";
  /** The version the fields are named in. */
  apiVersion: string;
  /** RFC 3339, seconds: when this manager last changed the object (absent if it never did). */
  time?: string;
  /** Always "FieldsV1". */
  fieldsType: "FieldsV1";
  /** The fields this manager owns. */
  fieldsV1: FieldsV1;
  /** The subresource written through ("status", "scale"); absent for the main resource. */
  subresource?: string;
}

/** A field an apply would change that another manager owns. */
export interface Conflict {
  /** The other manager's name. */
  manager: string;
  /** Its operation: an Update manager is printed with its apiVersion. */
  operation: "Apply" | "Update";
  /** The version the other manager wrote in. */
  apiVersion: string;
  /** The subresource the other manager wrote through. */
  subresource?: string;
  /** The path, as ".spec.replicas" or `.spec.template.spec.containers[name="web"].image`. */
  field: string;
}

/**
 * Paths (field names from the root, e.g. ["status"] or ["metadata", "labels"]) that an endpoint
 * does not let its writers own and resets to the stored value, as a registry strategy's
 * GetResetFields lists them: ["status"] on the main resource of a kind with a status
 * subresource; ["spec"], ["metadata", "labels"] (and so on, per kind) on its /status.
 */
export type ResetFields = readonly (readonly string[])[];

/** What every tracked write says. */
export interface ManageOptions {
  /** The request's fieldManager (the apiserver falls back to the user agent; "unknown" if empty). */
  manager: string;
  /** The version the request is in, e.g. "apps/v1". */
  apiVersion: string;
  /** The request's time, RFC 3339 in seconds ("2024-05-01T10:00:00Z"). */
  now: string;
  /** How the kind's values merge. */
  shape: Shape;
  /** The subresource written through ("status", "scale"); absent for the main resource. */
  subresource?: string;
  /** Paths this endpoint does not own and resets to the stored value. */
  reset?: ResetFields;
}

/** The machine-readable form of one conflict, as the apiserver puts it in a 409's details.causes. */
export interface ConflictCause {
  /** Always "FieldManagerConflict". */
  type: "FieldManagerConflict";
  /** `conflict with "mgr" using apps/v1`. */
  message: string;
  /** The conflicting path, ".spec.replicas". */
  field: string;
}

/**
 * A request the apiserver refuses before merging: a 400 (metadata.managedFields in an applied
 * configuration, a wrong apiVersion) or the 500 it answers for an applied configuration that is
 * not of its schema's form (a keyed list item without its key, duplicate keys).
 */
export class ApplyError extends Error {
  /** "ApplyError", as stack traces show it. */
  override readonly name = "ApplyError";
  /** The HTTP status the apiserver answers with. */
  readonly status: 400 | 500;
  /** The Status reason that goes with it. */
  readonly reason: "BadRequest" | "InternalError";

  constructor(message: string, status: 400 | 500) {
    super(message);
    this.status = status;
    this.reason = status === 400 ? "BadRequest" : "InternalError";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// How a value is walked, from its Shape (structured-merge-diff's schema atoms).

type Walk =
  | { readonly as: "leaf" }
  | { readonly as: "map"; readonly shape: Shape }
  | { readonly as: "list"; readonly shape: Extract<Shape, { kind: "list" }> };

const untyped: Shape = { kind: "untyped" };

// A value whose type does not match its shape is one leaf: the apiserver's validation refuses
// most of those; the fake keeps merging rather than guessing further.
function walkOf(shape: Shape, value: unknown): Walk {
  switch (shape.kind) {
    case "object":
      return !shape.atomic && (value === null || value === undefined || isObject(value))
        ? { as: "map", shape }
        : { as: "leaf" };
    case "list":
      return shape.listType !== "atomic" && (value === null || value === undefined || Array.isArray(value))
        ? { as: "list", shape }
        : { as: "leaf" };
    case "untyped":
      // SMD's deduced type: maps are granular, lists atomic, scalars leaves.
      return value === null || value === undefined || isObject(value) ? { as: "map", shape } : { as: "leaf" };
    default:
      return { as: "leaf" };
  }
}

function fieldShape(shape: Shape, name: string): Shape {
  return shape.kind === "object" ? shape.field(name) : untyped;
}

// A struct field is owned only through its contents; a map key is owned itself (tofieldset.go's
// FindField check). Keys of a deduced (untyped) map are never struct fields.
function isNamed(shape: Shape, name: string): boolean {
  if (shape.kind !== "object") return false;
  return shape.named ? shape.named(name) : true;
}

function childShape(shape: Shape, pe: string): Shape {
  if (pe.startsWith("f:")) return fieldShape(shape, pe.slice(2));
  return shape.kind === "list" ? shape.items : untyped;
}

// listItemToPathElement: a set item is named by its value, a keyed item by its key fields (a
// missing one by its default, else the item is not of the schema's form).
function itemElement(list: Extract<Shape, { kind: "list" }>, item: unknown, where: string): string {
  if (list.listType === "set") {
    if (isObject(item) || Array.isArray(item)) {
      throw new ApplyError(
        `${where}: expected a scalar item in a set, got ${Array.isArray(item) ? "a list" : "a map"}`,
        500,
      );
    }
    return valueElement(item);
  }
  if (!isObject(item))
    throw new ApplyError(`${where}: expected a map item in a keyed list, got ${typeof item}`, 500);
  const key: Record<string, unknown> = {};
  for (const k of list.keys) {
    const v = item[k] ?? list.keyDefaults?.[k];
    if (v === undefined || v === null) {
      throw new ApplyError(
        `${where}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`,
        500,
      );
    }
    key[k] = v;
  }
  return keyElement(key);
}

// Items by element, first occurrence only (SMD tolerates duplicates in live objects; an applied
// configuration with duplicates is refused where `strict`).
function indexItems(
  list: Extract<Shape, { kind: "list" }>,
  items: readonly Json[] | null | undefined,
  where: string,
  strict: boolean,
): { order: string[]; byElement: Map<string, Json> } {
  const order: string[] = [];
  const byElement = new Map<string, Json>();
  for (const item of items ?? []) {
    const pe = itemElement(list, item, where);
    if (byElement.has(pe)) {
      if (strict) throw new ApplyError(`${where}: duplicate entries for key ${pathString([pe])}`, 500);
      continue;
    }
    byElement.set(pe, item);
    order.push(pe);
  }
  return { order, byElement };
}

const where = (path: readonly string[]) => pathString(path) || ".";

// ---------------------------------------------------------------------------------------------
// ToFieldSet: the fields a value sets (typed/tofieldset.go).

function collectFields(out: FieldSet, path: string[], value: Json, shape: Shape): void {
  const w = walkOf(shape, value);
  if (w.as === "leaf") {
    insert(out, path);
    return;
  }
  if (w.as === "map") {
    if (!isObject(value)) return;
    for (const [k, v] of Object.entries(value)) {
      const child = [...path, fieldElement(k)];
      collectFields(out, child, v, fieldShape(w.shape, k));
      if (!isNamed(w.shape, k)) insert(out, child);
    }
    return;
  }
  if (!Array.isArray(value)) return;
  for (const item of value) {
    const child = [...path, itemElement(w.shape, item, where(path))];
    collectFields(out, child, item, w.shape.items);
    insert(out, child);
  }
}

/** The fields `value` sets, as structured-merge-diff's ToFieldSet names them. */
export function fieldSetOf(value: object, shape: Shape): FieldSet {
  const out = emptySet();
  collectFields(out, [], value as Json, shape);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Merge: live with the applied configuration (typed/merge.go with ruleKeepRHS).

const isEmptyContainer = (v: Json | undefined) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) ? v.length === 0 : isObject(v) && Object.keys(v).length === 0);

function merge(lhs: Json | undefined, rhs: Json | undefined, shape: Shape, path: string[]): Json | undefined {
  if (rhs === undefined) return lhs;
  const w = walkOf(shape, lhs === undefined ? rhs : lhs);
  const wr = walkOf(shape, rhs);
  // Leaves, atomic values, and two empty containers (kept as a leaf to keep {} apart from null).
  if (
    w.as === "leaf" ||
    wr.as === "leaf" ||
    w.as !== wr.as ||
    (isEmptyContainer(lhs) && isEmptyContainer(rhs))
  ) {
    return rhs;
  }
  if (w.as === "map") {
    const l = isObject(lhs) ? lhs : {};
    const r = isObject(rhs) ? rhs : {};
    const out: JsonObject = {};
    for (const k of new Set([...Object.keys(l), ...Object.keys(r)])) {
      const v = merge(l[k], r[k], fieldShape(w.shape, k), [...path, fieldElement(k)]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  return mergeList(w.shape, Array.isArray(lhs) ? lhs : [], Array.isArray(rhs) ? rhs : [], path);
}

// visitListItems' order: live's order, with the applied items in the applied order where they
// are shared, and new applied items placed before the next shared one.
function mergeList(list: Extract<Shape, { kind: "list" }>, lhs: Json[], rhs: Json[], path: string[]): Json[] {
  const at = where(path);
  const r = indexItems(list, rhs, at, true);
  const l = indexItems(list, lhs, at, false);
  const shared = r.order.filter((pe) => l.byElement.has(pe));
  let next: string | undefined = shared.shift();
  const out: Json[] = [];
  const emit = (pe: string) => {
    const v = merge(l.byElement.get(pe), r.byElement.get(pe), list.items, [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < l.order.length || ri < r.order.length) {
    const lpe = l.order[li];
    const rpe = r.order[ri];
    if (lpe !== undefined && rpe !== undefined) {
      if (lpe === rpe) {
        emit(lpe);
        li++;
        ri++;
        next = shared.shift();
        continue;
      }
      if (r.byElement.has(lpe) && next !== undefined && next !== lpe) {
        li++;
        continue;
      }
    }
    if (lpe !== undefined && !r.byElement.has(lpe)) {
      emit(lpe);
      li++;
      continue;
    }
    if (rpe !== undefined) {
      emit(rpe);
      ri++;
      if (next === rpe) next = shared.shift();
      continue;
    }
    // Only live items the applied list already placed are left.
    li++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compare: which fields an update added, removed or changed (typed/compare.go).

interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

function compareInto(
  c: Comparison,
  lhs: Json | undefined,
  rhs: Json | undefined,
  shape: Shape,
  path: string[],
): void {
  const w = walkOf(shape, lhs === undefined ? rhs : lhs);
  const wr = walkOf(shape, rhs === undefined ? lhs : rhs);
  if (
    w.as === "leaf" ||
    wr.as === "leaf" ||
    w.as !== wr.as ||
    (isEmptyContainer(lhs) && isEmptyContainer(rhs))
  ) {
    if (lhs === undefined) insert(c.added, path);
    else if (rhs === undefined) insert(c.removed, path);
    else if (!deepEqual(lhs, rhs)) insert(c.modified, path);
    return;
  }
  if (w.as === "map") {
    const l = isObject(lhs) ? lhs : {};
    const r = isObject(rhs) ? rhs : {};
    for (const k of new Set([...Object.keys(l), ...Object.keys(r)])) {
      compareInto(c, l[k], r[k], fieldShape(w.shape, k), [...path, fieldElement(k)]);
    }
  } else {
    const l = indexItems(w.shape, Array.isArray(lhs) ? lhs : [], where(path), false);
    const r = indexItems(w.shape, Array.isArray(rhs) ? rhs : [], where(path), false);
    for (const pe of new Set([...l.order, ...r.order])) {
      compareInto(c, l.byElement.get(pe), r.byElement.get(pe), w.shape.items, [...path, pe]);
    }
  }
  // A container that appeared or went is itself added or removed, with what it holds.
  if (lhs === undefined) insert(c.added, path);
  else if (rhs === undefined) insert(c.removed, path);
}

function compare(lhs: Json, rhs: Json, shape: Shape): Comparison {
  const c: Comparison = { added: emptySet(), removed: emptySet(), modified: emptySet() };
  compareInto(c, lhs, rhs, shape, []);
  return c;
}

// ---------------------------------------------------------------------------------------------
// RemoveItems (typed/remove.go): a container left with nothing becomes null, as there.

function removeItems(value: Json, set: FieldSet, shape: Shape): Json {
  if (isEmpty(set)) return value;
  const w = walkOf(shape, value);
  if (w.as === "map" && isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = fieldElement(k);
      if (set.members.has(pe)) continue;
      const below = set.children.get(pe);
      out[k] = below ? removeItems(v, below, fieldShape(w.shape, k)) : v;
    }
    return Object.keys(out).length > 0 ? out : null;
  }
  if (w.as === "list" && Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const pe = itemElement(w.shape, item, "live object");
      if (set.members.has(pe)) continue;
      const below = set.children.get(pe);
      out.push(below ? removeItems(item, below, w.shape.items) : item);
    }
    return out.length > 0 ? out : null;
  }
  return value;
}

// EnsureNamedFieldsAreMembers: struct fields on the way to an owned path count as owned, so
// pruning can remove a struct the applier alone had set.
function withNamedMembers(set: FieldSet, shape: Shape): FieldSet {
  const out: FieldSet = { members: new Set(set.members), children: new Map() };
  for (const [pe, child] of set.children) {
    if (pe.startsWith("f:") && shape.kind === "object" && isNamed(shape, pe.slice(2))) out.members.add(pe);
    out.children.set(pe, withNamedMembers(child, childShape(shape, pe)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Managers: the decoded managedFields, keyed as BuildManagerIdentifier keys them (an Apply
// entry without its apiVersion, so one applier has one entry whatever version it applies in).

interface Manager {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

type Managers = Map<string, Manager>;

function identifier(m: Pick<Manager, "manager" | "operation" | "apiVersion" | "subresource">): string {
  // Field order and omitted empties as Go marshals metav1.ManagedFieldsEntry.
  const id: Record<string, string> = { manager: m.manager, operation: m.operation };
  if (m.operation === "Update") id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

function decodeManagers(entries: unknown, where: string): Managers {
  const out: Managers = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new ApplyError(`${where} must be a list`, 500);
  entries.forEach((e: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(e)) throw new ApplyError(`${at} must be an object`, 500);
    if (e.operation !== "Apply" && e.operation !== "Update") {
      throw new ApplyError(`${at}: operation must be \`Apply\` or \`Update\``, 500);
    }
    if (typeof e.apiVersion !== "string" || e.apiVersion === "") {
      throw new ApplyError(`${at}: apiVersion must not be empty`, 500);
    }
    if (e.fieldsType !== "FieldsV1") {
      throw new ApplyError(
        e.fieldsType === undefined || e.fieldsType === ""
          ? `${at}: missing fieldsType in managed fields entry ${i}`
          : `${at}: invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`,
        500,
      );
    }
    let set: FieldSet;
    try {
      set = fromFieldsV1(e.fieldsV1 ?? {}, `${at}.fieldsV1`);
    } catch (err) {
      throw new ApplyError((err as Error).message, 500);
    }
    const m: Manager = {
      manager: typeof e.manager === "string" ? e.manager : "",
      operation: e.operation,
      apiVersion: e.apiVersion,
      set,
    };
    if (typeof e.subresource === "string" && e.subresource !== "") m.subresource = e.subresource;
    if (typeof e.time === "string") m.time = e.time;
    out.set(identifier(m), m);
  });
  return out;
}

const seconds = (time: string | undefined) => (time ? Math.floor(Date.parse(time) / 1000) || 0 : 0);

// managedfields.go's sortEncodedManagedFields: operation, time (seconds), manager, apiVersion,
// subresource.
function encodeManagers(managers: Managers): ManagedFieldsEntry[] {
  const entries = [...managers.values()].map(
    (m): ManagedFieldsEntry => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time !== undefined && { time: m.time }),
      fieldsType: "FieldsV1",
      fieldsV1: toFieldsV1(m.set),
      ...(m.subresource && { subresource: m.subresource }),
    }),
  );
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return entries.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? "", q.subresource ?? ""),
  );
}

// stripmeta.go: fields no manager ever owns. A plain difference: "metadata" itself goes, the
// fields under it (labels, annotations, ...) stay.
const stripSet: FieldSet = (() => {
  const s = emptySet();
  for (const p of [["apiVersion"], ["kind"], ["metadata"]]) insert(s, p.map(fieldElement));
  for (const f of [
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
  ]) {
    insert(s, ["metadata", f].map(fieldElement));
  }
  return s;
})();

function resetSet(reset: ResetFields | undefined): FieldSet {
  const s = emptySet();
  for (const p of reset ?? []) insert(s, p.map(fieldElement));
  return s;
}

// merge/update.go's update(): the fields a change took from other managers (a conflict unless
// forced) and the removed fields, which leave every set. Reset fields are left out of the change.
function takeOver(
  before: Json,
  after: Json,
  shape: Shape,
  managers: Managers,
  workflow: string,
  force: boolean,
  ignore: FieldSet,
): { comparison: Comparison } | { conflicts: Conflict[] } {
  const raw = compare(before, after, shape);
  const c: Comparison = {
    added: recursiveDifference(raw.added, ignore),
    removed: recursiveDifference(raw.removed, ignore),
    modified: recursiveDifference(raw.modified, ignore),
  };
  const changed = union(c.modified, c.added);
  const taken = new Map<string, FieldSet>();
  for (const [key, m] of managers) {
    if (key === workflow) continue;
    const t = intersection(m.set, changed);
    if (!isEmpty(t)) taken.set(key, t);
  }
  if (!force && taken.size > 0) {
    const conflicts: Conflict[] = [];
    for (const key of [...taken.keys()].sort()) {
      const m = managers.get(key) as Manager;
      for (const p of paths(taken.get(key) as FieldSet)) {
        const conflict: Conflict = {
          manager: m.manager,
          operation: m.operation,
          apiVersion: m.apiVersion,
          field: pathString(p),
        };
        if (m.subresource) conflict.subresource = m.subresource;
        conflicts.push(conflict);
      }
    }
    return { conflicts };
  }
  for (const [key, m] of managers) {
    if (key === workflow) continue;
    m.set = difference(difference(m.set, taken.get(key) ?? emptySet()), c.removed);
  }
  for (const [key, m] of managers) if (isEmpty(m.set)) managers.delete(key);
  return { comparison: c };
}

// managedfieldsupdater.go + stripmeta.go + merge.Updater.Update: the change is recorded under a
// placeholder manager first, and only if it owns something afterwards is it merged into the
// request's entry with a new time; an update that changed nothing leaves times alone.
function recordUpdate(
  managers: Managers,
  before: Json,
  after: Json,
  who: Omit<Manager, "set" | "time">,
  o: ManageOptions,
): void {
  const placeholder = "\u0000current-operation";
  const ignore = resetSet(o.reset);
  const r = takeOver(before, after, o.shape, managers, placeholder, true, ignore);
  if (!("comparison" in r)) return;
  const c = r.comparison;
  const set = difference(recursiveDifference(union(c.modified, c.added), ignore), stripSet);
  if (isEmpty(set)) return;
  const key = identifier(who);
  const previous = managers.get(key);
  managers.set(key, { ...who, set: previous ? union(set, previous.set) : set, time: o.now });
}

// capmanagers.go: past 10 Update entries, the oldest merge into one "ancient-changes" entry per
// apiVersion.
const maxUpdateManagers = 10;

function capUpdateManagers(managers: Managers): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === "Update");
  if (updaters.length <= maxUpdateManagers) return;
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (const [key, m] of updaters) {
    if (length <= maxUpdateManagers) break;
    const bucket = identifier({ manager: "ancient-changes", operation: "Update", apiVersion: m.apiVersion });
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, key);
      continue;
    }
    if (!managers.has(bucket)) {
      const s = managers.get(first) as Manager;
      managers.delete(first);
      managers.set(bucket, { ...s, manager: "ancient-changes", operation: "Update", subresource: undefined });
    }
    const b = managers.get(bucket) as Manager;
    const merged: Manager = {
      manager: "ancient-changes",
      operation: "Update",
      apiVersion: m.apiVersion,
      set: union(m.set, b.set),
    };
    if (m.time !== undefined) merged.time = m.time;
    managers.set(bucket, merged);
    managers.delete(key);
    length--;
  }
}

// ---------------------------------------------------------------------------------------------
// Values.

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

// A null left in a merged or pruned object is what the apiserver's round trip through the Go
// type (or a CRD's pruning) drops: the field is gone from what it stores.
function dropNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

// A copy without metadata.managedFields: the field manager takes them out before comparing.
function withoutManagedFields(obj: object | undefined): JsonObject {
  const copy = (obj === undefined ? {} : structuredClone(obj)) as JsonObject;
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

function withManagedFields(obj: JsonObject, managers: Managers): JsonObject {
  const entries = encodeManagers(managers);
  if (entries.length === 0) return obj;
  const metadata = isObject(obj.metadata) ? obj.metadata : {};
  return { ...obj, metadata: { ...metadata, managedFields: entries as unknown as Json } };
}

// What a strategy's PrepareForCreate/PrepareForUpdate does to the reset fields: they keep the
// stored value (none, on create).
function resetValues(
  obj: JsonObject,
  stored: JsonObject | undefined,
  reset: ResetFields | undefined,
): JsonObject {
  let out = obj;
  for (const p of reset ?? []) {
    if (p.length === 0) continue;
    let from: Json | undefined = stored;
    for (const f of p) from = isObject(from) ? from[f] : undefined;
    out = setAt(out, p, from);
  }
  return out;
}

function setAt(obj: JsonObject, path: readonly string[], value: Json | undefined): JsonObject {
  const [head, ...rest] = path as [string, ...string[]];
  const copy = { ...obj };
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = structuredClone(value);
    return copy;
  }
  const inner = copy[head];
  if (!isObject(inner)) {
    if (value === undefined) return copy;
    copy[head] = setAt({}, rest, value);
  } else {
    copy[head] = setAt(inner, rest, value);
  }
  return copy;
}

const managerName = (name: string) => (name === "" ? "unknown" : name);

// ---------------------------------------------------------------------------------------------
// The entry points.

/**
 * A server-side apply (PATCH application/apply-patch+yaml) of `config` by `o.manager` onto
 * `live` (undefined: the apply creates the object). The object is live with config merged in:
 * granular maps per key, keyed lists per item (in structured-merge-diff's order), sets per
 * value, atomic values replaced. Fields config changes that another manager owns are conflicts
 * unless `force`, which takes them over; a field set to the value it already has is shared.
 * Fields the manager applied last time and no longer applies are removed unless another
 * manager owns them. Reset fields keep live's value and are owned by nobody through this
 * endpoint. Throws ApplyError for a configuration the apiserver refuses outright.
 */
export function serverSideApply(
  live: object | undefined,
  config: object,
  o: ManageOptions & { force: boolean },
): { object: object } | { conflicts: Conflict[] } {
  if (!isObject(config)) throw new ApplyError("the applied configuration must be an object", 400);
  const cfgMeta = config.metadata;
  if (isObject(cfgMeta) && cfgMeta.managedFields !== undefined && cfgMeta.managedFields !== null) {
    throw new ApplyError("metadata.managedFields must be nil", 400);
  }
  if (typeof config.apiVersion === "string" && config.apiVersion !== o.apiVersion) {
    throw new ApplyError(
      `Incorrect version specified in apply patch. Specified patch version: ${config.apiVersion}, expected: ${o.apiVersion}`,
      400,
    );
  }
  const manager = managerName(o.manager);
  const ignore = resetSet(o.reset);
  const liveMeta = live === undefined ? undefined : (live as JsonObject).metadata;
  const managers = decodeManagers(
    isObject(liveMeta) ? liveMeta.managedFields : undefined,
    "metadata.managedFields",
  );
  const stored = withoutManagedFields(live);
  const cfg = structuredClone(config) as JsonObject;

  // skipnonapplied.go: an object written before any field was tracked (or whose managedFields
  // were cleared) is first owned, field by field, by "before-first-apply".
  if (managers.size === 0 && live !== undefined) {
    recordUpdate(
      managers,
      {},
      stored,
      {
        manager: "before-first-apply",
        operation: "Update",
        apiVersion: o.apiVersion,
        subresource: o.subresource,
      },
      o,
    );
  }

  const applier: Omit<Manager, "set" | "time"> = {
    manager,
    operation: "Apply",
    apiVersion: o.apiVersion,
    subresource: o.subresource,
  };
  const key = identifier(applier);
  const last = managers.get(key);
  const set = recursiveDifference(fieldSetOf(cfg, o.shape), ignore);
  let merged = merge(stored, cfg, o.shape, []) as Json;
  managers.set(key, { ...applier, set, ...(last?.time !== undefined && { time: last.time }) });
  merged = prune(merged, managers, last?.set, o.shape);

  const r = takeOver(stored, merged, o.shape, managers, key, o.force, ignore);
  if ("conflicts" in r) return r;
  const mine = managers.get(key);
  if (mine) {
    mine.set = difference(mine.set, stripSet);
    if (isEmpty(mine.set)) managers.delete(key);
  }
  let object = dropNulls(isObject(merged) ? merged : {}) as JsonObject;
  // managedfieldsupdater.go: the applier's time moves only when the object changed.
  if (!deepEqual(stored, object)) {
    const m = managers.get(key);
    if (m) m.time = o.now;
  }
  object = resetValues(object, live === undefined ? undefined : stored, o.reset);
  return { object: withManagedFields(object, managers) };
}

// merge/update.go's prune with addBackOwnedItems and addBackDanglingItems: remove what the
// applier set last time and not now, unless some manager (the applier's new set included)
// owns it; never remove what the applier did not own.
function prune(merged: Json, managers: Managers, last: FieldSet | undefined, shape: Shape): Json {
  if (last === undefined || isEmpty(last)) return merged;
  const named = (s: FieldSet) => withNamedMembers(s, shape);
  const setOf = (v: Json) => (isObject(v) ? fieldSetOf(v, shape) : emptySet());
  const lastNamed = named(last);
  const pruned = removeItems(merged, lastNamed, shape);
  let managed = emptySet();
  for (const m of managers.values()) managed = union(managed, m.set);
  const mergedSet = named(setOf(merged));
  const withOwned = removeItems(
    merged,
    difference(mergedSet, union(named(setOf(pruned)), named(managed))),
    shape,
  );
  const dangling = intersection(difference(mergedSet, named(setOf(withOwned))), lastNamed);
  return removeItems(merged, dangling, shape);
}

/**
 * `after` with metadata.managedFields updated for an Update (create, update, and the merge,
 * JSON and strategic merge patches) by `o.manager`, from `before` (undefined: a create). The
 * manager takes the fields whose values changed or were added, which leave other managers'
 * sets; removed fields leave every set; one Update entry per manager, apiVersion and
 * subresource, whose time moves only when it took something. managedFields sent in `after`
 * replace the stored ones (`[]` clears them; on a subresource they are ignored), as the
 * apiserver lets clients do; an object whose managedFields are cleared stays untracked until
 * its next apply. Reset fields keep `before`'s value.
 */
export function trackUpdate(before: object | undefined, after: object, o: ManageOptions): object {
  const stored = withoutManagedFields(before);
  const next = withoutManagedFields(after);
  const sent = (after as JsonObject).metadata;
  const sentFields = isObject(sent) ? sent.managedFields : undefined;
  const storedMeta = before === undefined ? undefined : (before as JsonObject).metadata;
  const storedFields = isObject(storedMeta) ? storedMeta.managedFields : undefined;

  // fieldmanager.go's decodeLiveOrNew.
  let managers: Managers;
  const fromStored = () => {
    try {
      return decodeManagers(storedFields, "metadata.managedFields");
    } catch {
      return new Map() as Managers;
    }
  };
  if (o.subresource) managers = fromStored();
  else if (isReset(sentFields)) managers = new Map();
  else {
    try {
      managers = decodeManagers(sentFields, "metadata.managedFields");
    } catch {
      managers = new Map();
    }
    if (managers.size === 0) managers = fromStored();
  }

  const object = resetValues(next, before === undefined ? undefined : stored, o.reset);
  // skipnonapplied.go: an existing object with no managedFields is not tracked by updates.
  const uid = isObject(storedMeta) ? storedMeta.uid : undefined;
  if (managers.size === 0 && before !== undefined && typeof uid === "string" && uid !== "") return object;

  recordUpdate(
    managers,
    stored,
    next,
    {
      manager: managerName(o.manager),
      operation: "Update",
      apiVersion: o.apiVersion,
      subresource: o.subresource,
    },
    o,
  );
  capUpdateManagers(managers);
  return withManagedFields(object, managers);
}

// isResetManagedFields: an empty list, or a list of one empty entry.
function isReset(fields: unknown): boolean {
  if (!Array.isArray(fields)) return false;
  if (fields.length === 0) return true;
  return fields.length === 1 && isObject(fields[0]) && Object.keys(fields[0]).length === 0;
}

// conflict.go's printManager: the name quoted, its subresource, and an Update manager's version.
function printManager(c: Conflict): string {
  let s = JSON.stringify(c.manager);
  if (c.subresource) s += ` with subresource ${JSON.stringify(c.subresource)}`;
  if (c.operation === "Update") s += ` using ${c.apiVersion}`;
  return s;
}

/**
 * The apiserver's 409 message for an apply's conflicts: `Apply failed with 1 conflict: conflict
 * with "mgr" using apps/v1: .spec.replicas`, or for several, one "conflicts with" block per
 * manager, each path on a "- " line.
 */
export function conflictMessage(conflicts: readonly Conflict[]): string {
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    return `Apply failed with 1 conflict: conflict with ${printManager(only)}: ${only.field}`;
  }
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    const key = identifier(c);
    byManager.set(key, [...(byManager.get(key) ?? []), c]);
  }
  const lines: string[] = [];
  for (const key of [...byManager.keys()].sort()) {
    const group = byManager.get(key) as Conflict[];
    lines.push(`conflicts with ${printManager(group[0] as Conflict)}:`);
    for (const c of group) lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
}

/** The 409's details.causes: one FieldManagerConflict per conflict. */
export function conflictCauses(conflicts: readonly Conflict[]): ConflictCause[] {
  return conflicts.map((c) => ({
    type: "FieldManagerConflict",
    message: `conflict with ${printManager(c)}`,
    field: c.field,
  }));
}
