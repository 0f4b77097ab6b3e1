// application/json-patch+json as the apiserver applies it: RFC 6902 through evanphx/json-patch
// v4 (the apiserver's jsonPatcher, JSONPatchType), with v4's leniencies kept because a cluster
// has them: negative array indices count from the end, an index may carry a sign or leading
// zeros (strconv.Atoi), a path without its leading "/" still resolves from the root, "replace"
// of the root with a scalar is a no-op, "test" against a missing or null member passes for a
// null value. A body that does not decode as a list of operations is 400; more than 10000
// operations 413; an operation that fails 422, with v4's message as the Status cause.

import {
  cloneJson,
  getOwn,
  isObject,
  type Json,
  type JsonObject,
  jsonEqual,
  jsonTypeName,
  setOwn,
} from "./json-value.js";
import { badRequest, PatchError, unprocessable } from "./patch-error.js";

/** The apiserver's maxJSONPatchOperations. */
const MAX_OPERATIONS = 10000;

/** An operation failing: v4's error text, wrapped the way github.com/pkg/errors joins them. */
class OpError extends Error {
  /** Whether the cause is v4's ErrMissing (a missing member), which "test" tolerates. */
  readonly missing: boolean;
  constructor(message: string, missing = false) {
    super(message);
    this.missing = missing;
  }
}

const MISSING = "missing value";
const INVALID_INDEX = "invalid index referenced";

function wrap(err: OpError, context: string): OpError {
  return new OpError(`${context}: ${err.message}`, err.missing);
}

/** Go's strconv.Atoi: an optional sign and decimal digits, within int64. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s))
    throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return Number(n);
}

function invalidIndex(idx: number): OpError {
  return new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
}

type Container = JsonObject | Json[];

function get(c: Container, key: string): Json | undefined {
  if (!Array.isArray(c)) {
    if (!Object.hasOwn(c, key)) throw new OpError(`unable to get nonexistent key: ${key}: ${MISSING}`, true);
    return c[key];
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.length) throw invalidIndex(idx);
    idx += c.length;
  }
  if (idx >= c.length) throw invalidIndex(idx);
  return c[idx];
}

function set(c: Container, key: string, value: Json): void {
  if (!Array.isArray(c)) {
    setOwn(c, key, value);
    return;
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -c.length) throw invalidIndex(idx);
    idx += c.length;
  }
  c[idx] = value;
}

function add(c: Container, key: string, value: Json): void {
  if (!Array.isArray(c)) {
    setOwn(c, key, value);
    return;
  }
  if (key === "-") {
    c.push(value);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (err) {
    throw wrap(err as OpError, `value was not a proper array index: '${key}'`);
  }
  const size = c.length + 1;
  if (idx >= size) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -size) throw invalidIndex(idx);
    idx += size;
  }
  c.splice(idx, 0, value);
}

function remove(c: Container, key: string): void {
  if (!Array.isArray(c)) {
    if (!Object.hasOwn(c, key))
      throw new OpError(`unable to remove nonexistent key: ${key}: ${MISSING}`, true);
    delete c[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= c.length) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -c.length) throw invalidIndex(idx);
    idx += c.length;
  }
  c.splice(idx, 1);
}

/** RFC 6901 unescaping in one pass, as v4's strings.NewReplacer("~1", "/", "~0", "~"). */
function decodeKey(k: string): string {
  return k.replace(/~[01]/g, (m) => (m === "~1" ? "/" : "~"));
}

/** The container a path's last token lives in, and that token; undefined when the way is missing. */
function findObject(doc: Container, path: string): [Container, string] | undefined {
  const split = path.split("/");
  if (split.length < 2) return undefined;
  let c: Container = doc;
  for (const part of split.slice(1, -1)) {
    let next: Json | undefined;
    try {
      next = get(c, decodeKey(part));
    } catch {
      return undefined;
    }
    if (!(isObject(next) || Array.isArray(next))) return undefined;
    c = next;
  }
  return [c, decodeKey(split[split.length - 1] as string)];
}

/** An operation's string member, as v4's Operation.Path/From decode it. */
function member(op: JsonObject, name: "path" | "from"): string {
  const v = getOwn(op, name);
  if (v === undefined || v === null) {
    throw new OpError(
      name === "path"
        ? `operation missing path field: ${MISSING}`
        : `operation, missing from field: ${MISSING}`,
      true,
    );
  }
  if (typeof v !== "string")
    throw new OpError(`json: cannot unmarshal ${jsonTypeName(v)} into Go value of type string`);
  return v;
}

/** Decodes a member, or fails with the operation's own words (some keep the cause, some don't). */
function decode(op: JsonObject, name: "path" | "from", context: string, keepCause: boolean): string {
  try {
    return member(op, name);
  } catch (err) {
    if (keepCause) throw wrap(err as OpError, context);
    throw new OpError(`${context}: ${MISSING}`, true);
  }
}

function value(op: JsonObject): Json {
  return getOwn(op, "value") ?? null;
}

function apply(doc: Container, op: JsonObject): Container {
  const kindValue = getOwn(op, "op");
  const kind = typeof kindValue === "string" ? kindValue : "unknown";
  switch (kind) {
    case "add": {
      const path = decode(op, "path", "add operation failed to decode path", false);
      const found = findObject(doc, path);
      if (found === undefined) {
        throw new OpError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`, true);
      }
      try {
        add(found[0], found[1], value(op));
      } catch (err) {
        throw wrap(err as OpError, `error in add for path: '${path}'`);
      }
      return doc;
    }
    case "remove": {
      const path = decode(op, "path", "remove operation failed to decode path", false);
      const found = findObject(doc, path);
      if (found === undefined) {
        throw new OpError(
          `remove operation does not apply: doc is missing path: "${path}": ${MISSING}`,
          true,
        );
      }
      try {
        remove(found[0], found[1]);
      } catch (err) {
        throw wrap(err as OpError, `error in remove for path: '${path}'`);
      }
      return doc;
    }
    case "replace": {
      const path = decode(op, "path", "replace operation failed to decode path", true);
      if (path === "") {
        // v4 wraps a nil error here ("replace operation value must be object or array"), which is
        // nil: a scalar replacing the root changes nothing.
        const v = value(op);
        return isObject(v) || Array.isArray(v) ? v : doc;
      }
      const found = findObject(doc, path);
      if (found === undefined) {
        throw new OpError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`, true);
      }
      try {
        get(found[0], found[1]);
      } catch {
        throw new OpError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`, true);
      }
      try {
        set(found[0], found[1], value(op));
      } catch (err) {
        throw wrap(err as OpError, `error in remove for path: '${path}'`);
      }
      return doc;
    }
    case "move": {
      const from = decode(op, "from", "move operation failed to decode from", true);
      const source = findObject(doc, from);
      if (source === undefined) {
        throw new OpError(
          `move operation does not apply: doc is missing from path: ${from}: ${MISSING}`,
          true,
        );
      }
      let moved: Json;
      try {
        moved = get(source[0], source[1]) ?? null;
        remove(source[0], source[1]);
      } catch (err) {
        throw wrap(err as OpError, `error in move for path: '${source[1]}'`);
      }
      const path = decode(op, "path", "move operation failed to decode path", true);
      const dest = findObject(doc, path);
      if (dest === undefined) {
        throw new OpError(
          `move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`,
          true,
        );
      }
      try {
        add(dest[0], dest[1], moved);
      } catch (err) {
        throw wrap(err as OpError, `error in move for path: '${path}'`);
      }
      return doc;
    }
    case "test": {
      const path = decode(op, "path", "test operation failed to decode path", true);
      const failed = () => new OpError(`testing value ${path} failed: test failed`);
      const expected = value(op);
      if (path === "") {
        if (!jsonEqual(doc, expected)) throw failed();
        return doc;
      }
      const found = findObject(doc, path);
      if (found === undefined) {
        throw new OpError(`test operation does not apply: is missing path: ${path}: ${MISSING}`, true);
      }
      let actual: Json | undefined;
      try {
        actual = get(found[0], found[1]);
      } catch (err) {
        if (!(err as OpError).missing) throw wrap(err as OpError, `error in test for path: '${path}'`);
      }
      // v4 holds a member that is null like a missing one: both pass only for a null value.
      if (actual === undefined || actual === null) {
        if (expected !== null) throw failed();
        return doc;
      }
      if (!jsonEqual(actual, expected)) throw failed();
      return doc;
    }
    case "copy": {
      const from = decode(op, "from", "copy operation failed to decode from", true);
      const source = findObject(doc, from);
      if (source === undefined) {
        throw new OpError(
          `copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`,
          true,
        );
      }
      let copied: Json;
      try {
        copied = get(source[0], source[1]) ?? null;
      } catch (err) {
        throw wrap(err as OpError, `error in copy for from: '${from}'`);
      }
      const path = decode(op, "path", "copy operation failed to decode path", false);
      const dest = findObject(doc, path);
      if (dest === undefined) {
        throw new OpError(
          `copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`,
          true,
        );
      }
      try {
        add(dest[0], dest[1], cloneJson(copied, "the copied value"));
      } catch (err) {
        throw wrap(err as OpError, "error while adding value during copy");
      }
      return doc;
    }
    default:
      throw new OpError(`Unexpected kind: ${kind}`);
  }
}

/**
 * `target` with the JSON patch `ops` (RFC 6902: add, remove, replace, move, copy, test; "-"
 * appends; "~1" is "/" and "~0" is "~" in a path) applied in order, all or nothing. Pure:
 * returns a new value. Throws PatchError: 400 for a body that is not a list of operation
 * objects, 413 past 10000 operations, 422 when an operation fails (a failed "test", a path that
 * does not exist), each with the apiserver's wording.
 */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  const patch = cloneJson(ops, "the JSON patch");
  // A JSON null decodes into an empty jsonpatch.Patch: nothing to apply.
  if (patch === null) return cloneJson(target, "the object");
  if (!Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (op !== null && !isObject(op)) {
      throw badRequest(
        `json: cannot unmarshal ${jsonTypeName(op)} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (patch.length > MAX_OPERATIONS) {
    throw new PatchError(
      413,
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${patch.length}`,
    );
  }
  const doc = cloneJson(target, "the object");
  if (!(isObject(doc) || Array.isArray(doc))) throw badRequest("Invalid JSON Document");
  let current: Container = doc;
  for (const op of patch) {
    try {
      current = apply(current, isObject(op) ? op : {});
    } catch (err) {
      if (err instanceof OpError) throw unprocessable(err.message);
      throw err;
    }
  }
  return current;
}
