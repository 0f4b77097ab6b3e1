// How the apiserver merges an object's fields: which lists are keyed, which maps and lists are
// atomic, what a strategic merge patch keys on. Read from a generated API's JSON Schemas (the
// x-kubernetes-* extensions codegen keeps) or a CRD's openAPIV3Schema, lazily: only the kinds a
// test touches are walked.

/** A JSON Schema as a generated API or a CRD holds it. */
export type JsonSchemaNode = { readonly [keyword: string]: unknown };

/** The merge shape of one value. */
export type Shape =
  /** A string, number, boolean, null, or anything whose schema says nothing more. */
  | { readonly kind: "scalar" }
  /**
   * An object with named fields (`properties`) and/or values under any key
   * (`additionalProperties`). `atomic` (x-kubernetes-map-type: atomic) merges as one value.
   * `field(name)` is the shape of a named field, else of additionalProperties, else untyped.
   * `patchStrategy` is the field's x-kubernetes-patch-strategy where one sits on an object
   * ("replace": a strategic merge patch replaces the whole object; "retainKeys").
   */
  | {
      readonly kind: "object";
      readonly atomic: boolean;
      readonly patchStrategy?: string;
      field(name: string): Shape;
      /**
       * Whether `name` is one of the schema's `properties` (a struct field, as structured-merge-diff
       * calls it) rather than a key under additionalProperties. Server-side apply owns a map key
       * itself but a struct field only through what it holds. Absent: every name is a struct field.
       */
      named?(name: string): boolean;
    }
  /**
   * A list. `listType` from x-kubernetes-list-type (default "atomic"); `keys` from
   * x-kubernetes-list-map-keys for "map". For strategic merge patch: `patchStrategy` from
   * x-kubernetes-patch-strategy ("merge", "replace", "retainKeys", "merge,retainKeys") and
   * `patchMergeKey` from x-kubernetes-patch-merge-key.
   */
  | {
      readonly kind: "list";
      readonly listType: "atomic" | "set" | "map";
      readonly keys: readonly string[];
      readonly patchStrategy?: string;
      readonly patchMergeKey?: string;
      /**
       * Defaults of key fields (the item schema's `default` of a key property, such as a container
       * port's protocol "TCP"): an item that omits one is keyed by the default, as
       * structured-merge-diff does. Absent: an item without a key field is an error.
       */
      readonly keyDefaults?: Readonly<Record<string, unknown>>;
      readonly items: Shape;
    }
  /** x-kubernetes-preserve-unknown-fields, or no schema: maps merge per key, lists are atomic. */
  | { readonly kind: "untyped" };

type ObjectShape = Extract<Shape, { kind: "object" }>;
type ListShape = Extract<Shape, { kind: "list" }>;

const SCALAR: Shape = Object.freeze({ kind: "scalar" });
const UNTYPED: Shape = Object.freeze({ kind: "untyped" });
const REF_PREFIX = "#/$defs/";
const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean", "null"]);

/** The untyped shape: merge per key, lists atomic. */
export const UNTYPED_SHAPE: Shape = UNTYPED;

/** How a node's $refs are followed: by name in a generated API, never in a CRD's schema. */
type RefResolver = (name: string) => Shape;

/** What a standalone CRD schema replaces: ObjectMeta's shape under every `metadata` of a resource. */
interface Build {
  readonly ref: RefResolver;
  readonly metadata?: Shape;
}

function isNode(v: unknown): v is JsonSchemaNode {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function own(node: JsonSchemaNode, key: string): unknown {
  return Object.hasOwn(node, key) ? node[key] : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function stringList(v: unknown): readonly string[] | undefined {
  return Array.isArray(v) && v.every((k) => typeof k === "string") ? (v as string[]) : undefined;
}

/**
 * The schema a node stands for once a `$ref` (bare, or kube-openapi's `allOf: [{$ref}]` wrapper
 * that lets a property carry its own description and extensions) is taken out: the referenced
 * name, if any, and the node whose extensions apply on top of the referenced definition.
 */
function refOf(node: JsonSchemaNode): string | undefined {
  const ref = str(own(node, "$ref"));
  if (ref !== undefined) return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
  const allOf = own(node, "allOf");
  if (Array.isArray(allOf) && allOf.length === 1 && isNode(allOf[0])) return refOf(allOf[0]);
  return undefined;
}

/**
 * A list's element relationship the way kube-openapi's schemaconv (getListElementRelationship)
 * decides it for server-side apply: x-kubernetes-list-type when present; otherwise a patch
 * strategy of "merge" makes it associative, keyed by the patch merge key (a map) or by value (a
 * set); otherwise atomic.
 */
function listRelationship(node: JsonSchemaNode): {
  listType: ListShape["listType"];
  keys: readonly string[];
} {
  const listType = str(own(node, "x-kubernetes-list-type"));
  if (listType === "map")
    return { listType: "map", keys: stringList(own(node, "x-kubernetes-list-map-keys")) ?? [] };
  if (listType === "set") return { listType: "set", keys: [] };
  if (listType === "atomic") return { listType: "atomic", keys: [] };
  const strategy = str(own(node, "x-kubernetes-patch-strategy"));
  if (strategy === "merge" || strategy === "merge,retainKeys") {
    const key = str(own(node, "x-kubernetes-patch-merge-key"));
    return key === undefined ? { listType: "set", keys: [] } : { listType: "map", keys: [key] };
  }
  return { listType: "atomic", keys: [] };
}

function listShape(node: JsonSchemaNode, build: Build): Shape {
  const { listType, keys } = listRelationship(node);
  const patchStrategy = str(own(node, "x-kubernetes-patch-strategy"));
  const patchMergeKey = str(own(node, "x-kubernetes-patch-merge-key"));
  const itemsNode = own(node, "items");
  let items: Shape | undefined;
  const keyDefaults = listKeyDefaults(keys, itemsNode);
  const shape: ListShape = {
    kind: "list",
    listType,
    keys,
    ...(keyDefaults ? { keyDefaults } : {}),
    ...(patchStrategy !== undefined ? { patchStrategy } : {}),
    ...(patchMergeKey !== undefined ? { patchMergeKey } : {}),
    // Lazy: a list of a recursive type (JSONSchemaProps.allOf) resolves its items on first use.
    get items(): Shape {
      if (items === undefined) items = isNode(itemsNode) ? shapeOf(itemsNode, build) : UNTYPED;
      return items;
    },
  };
  return shape;
}

/**
 * Defaults of a keyed list's key fields: the item schema's own `default`s (a CRD's), and
 * `protocol: "TCP"` for the built-in port lists, whose default the generated schemas do not
 * carry (kube-openapi declares it, and structured-merge-diff keys a port without one by it).
 */
function listKeyDefaults(keys: readonly string[], itemsNode: unknown): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const props =
    isNode(itemsNode) && isNode(own(itemsNode, "properties"))
      ? (own(itemsNode, "properties") as JsonSchemaNode)
      : undefined;
  for (const k of keys) {
    const prop = props ? own(props, k) : undefined;
    const d = isNode(prop) ? own(prop, "default") : undefined;
    if (d !== undefined) out[k] = d;
    else if (k === "protocol") out[k] = "TCP";
  }
  return Object.keys(out).length ? out : undefined;
}

function objectShape(node: JsonSchemaNode, build: Build, embedded: boolean): Shape {
  const properties = own(node, "properties");
  const props = isNode(properties) ? properties : undefined;
  const additional = own(node, "additionalProperties");
  const preserve = own(node, "x-kubernetes-preserve-unknown-fields") === true;
  const patchStrategy = str(own(node, "x-kubernetes-patch-strategy"));
  const fields = new Map<string, Shape>();
  const field = (name: string): Shape => {
    const known = fields.get(name);
    if (known !== undefined) return known;
    let shape: Shape = UNTYPED;
    const prop = props !== undefined ? own(props, name) : undefined;
    if (embedded && name === "metadata" && build.metadata !== undefined) shape = build.metadata;
    else if (isNode(prop)) shape = shapeOf(prop, build);
    else if (isNode(additional)) shape = shapeOf(additional, build);
    else if (additional === true || preserve) shape = UNTYPED;
    fields.set(name, shape);
    return shape;
  };
  return {
    kind: "object",
    atomic: own(node, "x-kubernetes-map-type") === "atomic",
    ...(patchStrategy !== undefined ? { patchStrategy } : {}),
    field,
    named: (name) => (embedded && name === "metadata") || (props !== undefined && Object.hasOwn(props, name)),
  };
}

/** A property's own extensions laid over the definition it references. */
function overlay(target: Shape, node: JsonSchemaNode): Shape {
  const strategy = str(own(node, "x-kubernetes-patch-strategy"));
  const mapType = str(own(node, "x-kubernetes-map-type"));
  if (target.kind === "object" && (strategy !== undefined || mapType !== undefined)) {
    return {
      kind: "object",
      atomic: mapType !== undefined ? mapType === "atomic" : target.atomic,
      ...(strategy !== undefined
        ? { patchStrategy: strategy }
        : target.patchStrategy !== undefined
          ? { patchStrategy: target.patchStrategy }
          : {}),
      field: (name) => target.field(name),
      ...(target.named ? { named: target.named } : {}),
    };
  }
  if (
    target.kind === "list" &&
    (strategy !== undefined || own(node, "x-kubernetes-list-type") !== undefined)
  ) {
    const { listType, keys } = listRelationship(node);
    const mergeKey = str(own(node, "x-kubernetes-patch-merge-key")) ?? target.patchMergeKey;
    return {
      kind: "list",
      listType,
      keys,
      ...(strategy !== undefined ? { patchStrategy: strategy } : {}),
      ...(mergeKey !== undefined ? { patchMergeKey: mergeKey } : {}),
      ...(target.keyDefaults ? { keyDefaults: target.keyDefaults } : {}),
      get items(): Shape {
        return target.items;
      },
    };
  }
  return target;
}

function shapeOf(node: JsonSchemaNode, build: Build): Shape {
  const ref = refOf(node);
  if (ref !== undefined) return overlay(build.ref(ref), node);
  // int-or-string and other anyOf/oneOf of scalars (IntOrString, Quantity) are one scalar value.
  if (own(node, "x-kubernetes-int-or-string") === true) return SCALAR;
  const type = own(node, "type");
  if (type === "array" || (type === undefined && isNode(own(node, "items")))) return listShape(node, build);
  const embedded = own(node, "x-kubernetes-embedded-resource") === true;
  const hasFields = isNode(own(node, "properties")) || own(node, "additionalProperties") !== undefined;
  if (type === "object" || (type === undefined && hasFields) || embedded) {
    // An object schema that names nothing (RawExtension, FieldsV1, a CRD's `type: object` with
    // preserve-unknown-fields) holds arbitrary JSON: untyped.
    if (!hasFields && !embedded) return UNTYPED;
    return objectShape(node, build, embedded);
  }
  if (typeof type === "string" && SCALAR_TYPES.has(type)) return SCALAR;
  const branches = own(node, "anyOf") ?? own(node, "oneOf");
  if (Array.isArray(branches) && branches.length > 0) {
    const all = branches.every((b) => isNode(b) && typeof b.type === "string" && SCALAR_TYPES.has(b.type));
    return all ? SCALAR : UNTYPED;
  }
  return UNTYPED;
}

/**
 * The Shape of a generated API's definitions by name. `$ref: "#/$defs/<name>"` resolves lazily
 * and once per name (schemas are recursive: JSONSchemaProps refers to itself), so asking for a
 * kind walks only the fields a merge visits. An unknown name, or a reference cycle that never
 * reaches an object or list, is untyped.
 */
export function shapeResolver(
  definition: (name: string) => JsonSchemaNode | undefined,
): (name: string) => Shape {
  const memo = new Map<string, Shape>();
  const pending = new Set<string>();
  const resolve = (name: string): Shape => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (pending.has(name)) return UNTYPED;
    pending.add(name);
    try {
      const node = definition(name);
      const shape = isNode(node) ? shapeOf(node, build) : UNTYPED;
      memo.set(name, shape);
      return shape;
    } finally {
      pending.delete(name);
    }
  };
  const build: Build = { ref: resolve };
  return resolve;
}

/**
 * The Shape of a CRD version's standalone openAPIV3Schema (no $refs: a $ref there is untyped).
 * A custom resource's metadata is ObjectMeta whatever its schema says (the apiextensions
 * apiserver allows only `type: object` there), so `metadata` — ObjectMeta's shape, e.g. from a
 * generated API's resolver — replaces the schema's `metadata` field at the root and in every
 * x-kubernetes-embedded-resource, making labels and annotations granular maps, finalizers a set
 * and ownerReferences a map keyed by uid as for built-in kinds.
 */
export function shapeOfSchema(schema: JsonSchemaNode, metadata?: Shape): Shape {
  const build: Build = { ref: () => UNTYPED, ...(metadata !== undefined ? { metadata } : {}) };
  const root = shapeOf(schema, build);
  if (metadata === undefined) return root;
  if (root.kind === "untyped") {
    return { kind: "object", atomic: false, field: (name) => (name === "metadata" ? metadata : UNTYPED) };
  }
  if (root.kind !== "object") return root;
  return {
    ...root,
    field: (name: string) => (name === "metadata" ? metadata : root.field(name)),
  } satisfies ObjectShape;
}
