// A set of field paths, as structured-merge-diff's fieldpath.Set holds the fields a manager owns,
// and its wire form FieldsV1 (metadata.managedFields[].fieldsV1). A path is a list of path
// elements, each kept in its serialized form: "f:spec" (a field), `k:{"name":"web"}` (an item of
// a list keyed by name), `v:"a"` (an item of a set), "i:0" (an index). A node is a member (the
// path itself is owned) and/or has children (paths below it are owned); FieldsV1 writes a member
// that also has children as the child object's "." key, as fieldpath's emitContentsV1 does.

/** One node of a field set: whether the path to it is owned, and the owned paths below it. */
export interface FieldSet {
  /** Path elements owned at this level. */
  readonly members: Set<string>;
  /** Path elements with owned paths below them (never an empty set). */
  readonly children: Map<string, FieldSet>;
}

/** FieldsV1, the wire form of a field set: "f:spec", `k:{"name":"x"}`, `v:"a"`, "." keys. */
export type FieldsV1 = { [key: string]: FieldsV1 };

/** A set that owns nothing. */
export const emptySet = (): FieldSet => ({ members: new Set(), children: new Map() });

/** True when no path is owned. */
export function isEmpty(s: FieldSet): boolean {
  if (s.members.size > 0) return false;
  for (const child of s.children.values()) if (!isEmpty(child)) return false;
  return true;
}

/** Adds `path` as a member (the empty path adds nothing, as a set has no member for the root). */
export function insert(s: FieldSet, path: readonly string[]): void {
  if (path.length === 0) return;
  let node = s;
  for (const pe of path.slice(0, -1)) {
    let next = node.children.get(pe);
    if (!next) {
      next = emptySet();
      node.children.set(pe, next);
    }
    node = next;
  }
  node.members.add(path[path.length - 1] as string);
}

/** True when `path` is a member. */
export function has(s: FieldSet, path: readonly string[]): boolean {
  let node: FieldSet | undefined = s;
  for (const pe of path.slice(0, -1)) {
    node = node.children.get(pe);
    if (!node) return false;
  }
  return path.length > 0 && node.members.has(path[path.length - 1] as string);
}

function withChild(out: FieldSet, pe: string, child: FieldSet): void {
  if (!isEmpty(child)) out.children.set(pe, child);
}

/** Paths in either set. */
export function union(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { members: new Set([...a.members, ...b.members]), children: new Map() };
  for (const pe of new Set([...a.children.keys(), ...b.children.keys()])) {
    withChild(out, pe, union(a.children.get(pe) ?? emptySet(), b.children.get(pe) ?? emptySet()));
  }
  return out;
}

/** Paths in both sets. */
export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = {
    members: new Set([...a.members].filter((m) => b.members.has(m))),
    children: new Map(),
  };
  for (const [pe, child] of a.children) {
    const other = b.children.get(pe);
    if (other) withChild(out, pe, intersection(child, other));
  }
  return out;
}

/**
 * Paths of `a` that are not members of `b`. Not recursive (fieldpath's Set.Difference): `b`
 * owning "spec" removes the member "spec" from `a`, not `a`'s paths below spec.
 */
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = {
    members: new Set([...a.members].filter((m) => !b.members.has(m))),
    children: new Map(),
  };
  for (const [pe, child] of a.children) {
    const other = b.children.get(pe);
    withChild(out, pe, other ? difference(child, other) : child);
  }
  return out;
}

/**
 * Paths of `a` that are neither members of `b` nor below one (fieldpath's RecursiveDifference,
 * how the apiserver drops reset fields such as status from a manager's set).
 */
export function recursiveDifference(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = {
    members: new Set([...a.members].filter((m) => !b.members.has(m))),
    children: new Map(),
  };
  for (const [pe, child] of a.children) {
    if (b.members.has(pe)) continue;
    const other = b.children.get(pe);
    withChild(out, pe, other ? recursiveDifference(child, other) : child);
  }
  return out;
}

/** Every member path: members of a level before the paths below it, each level sorted (fieldpath's Iterate). */
export function paths(s: FieldSet, prefix: readonly string[] = []): string[][] {
  const out: string[][] = [];
  for (const m of [...s.members].sort()) out.push([...prefix, m]);
  for (const pe of [...s.children.keys()].sort()) {
    out.push(...paths(s.children.get(pe) as FieldSet, [...prefix, pe]));
  }
  return out;
}

/**
 * The FieldsV1 form: keys sorted as the apiserver's JSON shows them ("." first), a member with
 * children written as the child's "." key.
 */
export function toFieldsV1(s: FieldSet): FieldsV1 {
  const out: FieldsV1 = {};
  const keys = [...new Set([...s.members, ...s.children.keys()])].sort();
  for (const pe of keys) {
    const child = s.children.get(pe);
    if (!child) {
      out[pe] = {};
      continue;
    }
    const inner = toFieldsV1(child);
    out[pe] = s.members.has(pe) ? { ".": {}, ...inner } : inner;
  }
  return out;
}

/** Thrown for FieldsV1 that is not an object of objects, or has a key that is no path element. */
export class FieldsV1Error extends Error {
  /** "FieldsV1Error", as stack traces show it. */
  override readonly name = "FieldsV1Error";
}

/**
 * Reads FieldsV1 as fieldpath's readIterV1 does: "." marks the parent a member, `{}` is a member
 * without children; keys of an unknown element type are dropped (a newer server's elements).
 */
export function fromFieldsV1(fields: unknown, where = "fieldsV1"): FieldSet {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    throw new FieldsV1Error(`${where} must be an object, got ${fields === null ? "null" : typeof fields}`);
  }
  const out = emptySet();
  for (const [key, value] of Object.entries(fields)) {
    if (key === ".") continue;
    if (!/^[fkvi]:/.test(key)) {
      if (/^.:/.test(key)) continue;
      throw new FieldsV1Error(`${where}: ${JSON.stringify(key)} is not a path element (f:, k:, v: or i:)`);
    }
    if (key[0] !== "f") parseElementValue(key, where);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new FieldsV1Error(`${where}.${key} must be an object`);
    }
    const entries = Object.keys(value);
    if (entries.length === 0 || entries.includes(".")) out.members.add(key);
    withChild(out, key, fromFieldsV1(value, `${where}.${key}`));
  }
  return out;
}

function parseElementValue(pe: string, where: string): unknown {
  const body = pe.slice(2);
  if (pe[0] === "i") {
    if (!/^\d+$/.test(body)) throw new FieldsV1Error(`${where}: ${JSON.stringify(pe)} has no index`);
    return Number(body);
  }
  try {
    return JSON.parse(body);
  } catch {
    throw new FieldsV1Error(`${where}: ${JSON.stringify(pe)} holds no JSON value`);
  }
}

/**
 * JSON as Go's encoding/json (and the jsoniter configuration fieldpath uses) writes it: HTML
 * characters and the line separators escaped, so `v:` and `k:` elements match the apiserver's.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The element naming a field. */
export const fieldElement = (name: string): string => `f:${name}`;

/** The element naming the item of a set whose value is `value`. */
export const valueElement = (value: unknown): string => `v:${goJson(value)}`;

/** The element naming the item of a keyed list whose key fields hold `key` (written sorted by name). */
export function keyElement(key: Readonly<Record<string, unknown>>): string {
  const sorted = Object.keys(key)
    .sort()
    .map((k) => `${goJson(k)}:${goJson(key[k])}`);
  return `k:{${sorted.join(",")}}`;
}

/**
 * A path as fieldpath's Path.String writes it in conflicts: ".spec.replicas",
 * `.spec.containers[name="web"].image`, `[="a"]` for a set item, "[0]" for an index.
 */
export function pathString(path: readonly string[]): string {
  let out = "";
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe[0]) {
      case "f":
        out += `.${body}`;
        break;
      case "k": {
        const key = JSON.parse(body) as Record<string, unknown>;
        out += `[${Object.keys(key)
          .sort()
          .map((k) => `${k}=${JSON.stringify(key[k])}`)
          .join(",")}]`;
        break;
      }
      case "v":
        out += `[=${JSON.stringify(JSON.parse(body))}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}
