// The registry entry: what the runtime knows of one resource. Declared once; codegen's model
// (a mutable form), the request layer's `ResourceInfo` and the controller's identity are views
// of it, and a generated registry.ts is data of this shape.

/** A subresource with its own verbs: status, scale, eviction, log, exec, proxy, ... */
export interface SubresourceEntry {
  /** apiVersion/kind of the object it takes and returns (Scale, Eviction, ...). */
  readonly apiVersion: string;
  /** The kind of the object it takes and returns. */
  readonly kind: string;
  /** What it allows: "get", "update", "patch", "create", ... */
  readonly verbs: readonly string[];
  /** Its path, with `{namespace}` and `{name}` to fill in. */
  readonly path: string;
  /** The generated definition of its body, when it has one. */
  readonly schema?: string;
}

/** One resource of a generated registry, or of discovery. */
export interface RegistryEntry {
  /** The API group: "" for the core group, "apps", "batch", ... */
  readonly group: string;
  /** "v1", "v1beta1", ... */
  readonly version: string;
  /** group/version, or the version alone for the core group. */
  readonly apiVersion: string;
  /** "Deployment" */
  readonly kind: string;
  /** The resource's name in paths: "deployments". */
  readonly plural: string;
  /** Whether its objects live in a namespace. */
  readonly namespaced: boolean;
  /** What the server allows on it: "get", "list", "watch", "create", ... */
  readonly verbs: readonly string[];
  /** The generated definition of the kind's objects, when a generated API knows it. */
  readonly schema?: string;
  /** The generated definition of its lists, when a generated API knows it. */
  readonly listSchema?: string;
  /** "DeploymentList" */
  readonly listKind?: string;
  /** Its paths, with `{namespace}` and `{name}` to fill in. */
  readonly paths: {
    /** Where list, create and deletecollection go. */
    readonly collection?: string;
    /** Where get, replace, patch and delete go. */
    readonly item?: string;
    /** The list across every namespace, for a namespaced kind. */
    readonly allNamespaces?: string;
  };
  /** Its subresources by name: "status", "scale", "log", ... */
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
