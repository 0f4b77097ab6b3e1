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
   */
  | {
      readonly kind: "object";
      readonly atomic: boolean;
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
