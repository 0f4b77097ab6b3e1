// The registry entry: what the runtime knows of one resource. Declared once; codegen's model
// (a mutable form), the request layer's `ResourceInfo` and the controller's identity are views
// of it, and a generated registry.ts is data of this shape.

/** A subresource with its own verbs: status, scale, eviction, log, exec, proxy, ... */
export interface SubresourceEntry {
  /** apiVersion/kind of the object it takes and returns (Scale, Eviction, ...). */
  readonly apiVersion: string;
  readonly kind: string;
  readonly verbs: readonly string[];
  readonly path: string;
  /** The generated definition of its body, when it has one. */
  readonly schema?: string;
}

/** One resource of a generated registry, or of discovery. */
export interface RegistryEntry {
  readonly group: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  /** The generated definition of the kind's objects, when a generated API knows it. */
  readonly schema?: string;
  readonly listSchema?: string;
  readonly listKind?: string;
  readonly paths: { readonly collection?: string; readonly item?: string; readonly allNamespaces?: string };
  readonly subresources: { readonly [name: string]: SubresourceEntry };
}

/** group key -> version -> plural -> entry, as a generated registry.ts holds it. */
export type Registry = {
  readonly [group: string]: { readonly [version: string]: { readonly [plural: string]: RegistryEntry } };
};

/** What a request needs of a resource: the entry without its list and group fields. */
export type ResourceInfo = Pick<
  RegistryEntry,
  "apiVersion" | "kind" | "plural" | "namespaced" | "verbs" | "paths" | "schema" | "subresources"
>;

/** Who a resource is, as `info()` tells it: enough to name it and to share an informer per kind. */
export type ResourceIdentity = Pick<RegistryEntry, "apiVersion" | "kind" | "plural" | "namespaced" | "verbs">;

/** A view of an entry as writable data: what codegen builds before it writes registry.ts. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
