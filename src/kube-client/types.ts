// The client's types, computed from a generated registry (R), its definitions (S) and its
// paths (P). Nothing here exists at run time.

import type { Discovery } from "../client/discovery-types.js";
import type { LogStream } from "../client/log.js";
import type { KubeConfig } from "../config/config-value.js";
import type { CopyApi } from "../connect/cp.js";
import type { AttachMethod, ExecMethod } from "../connect/exec.js";
import type { PortForward, PortForwardConnectOptions, PortForwardOptions } from "../connect/port-forward.js";
import type { ProxyOptions } from "../connect/proxy.js";
import type { CallOptions, KubeList, KubeObject, WatchEvent, WatchOptions } from "../core/objects.js";
import type { ResourceIdentity, SubresourceEntry } from "../core/registry.js";

type Verbs<E> = E extends { readonly verbs: readonly (infer V)[] } ? V : never;
type Has<E, V extends string> = V extends Verbs<E> ? true : false;

// Lookups below match a property by name (`S extends { [K in N]: infer T }`) rather than
// test `N extends keyof S`: keyof of every definition or path is a union that grows with the
// API, and building it cost a consumer's tsc more than the rest of one call's types.

/** The object type of an entry (or subresource) from its schema name. */
export type ObjectOf<E, S> = E extends { readonly schema: infer N extends string }
  ? S extends { readonly [K in N]: infer T }
    ? T
    : KubeObject
  : KubeObject;

/** A path's operation's query parameters, as the spec declares them (generated queries.d.ts). */
type QueryOf<Q, Path, M extends string> = Path extends string
  ? Q extends { readonly [K in Path]: infer Ops }
    ? Ops extends { readonly [K in M]: infer X }
      ? X
      : object
    : object
  : object;

type CollectionPath<E> = E extends { readonly paths: { readonly collection: infer C } } ? C : never;
type ItemPath<E> = E extends { readonly paths: { readonly item: infer I } } ? I : never;

/** A spec's `dryRun: string` ("All") as a boolean, the way callers think of it. */
type WithDryRun<Q> = Omit<Q, "dryRun" | "pretty"> & { dryRun?: boolean };

/** Only a resource known to be cluster-scoped refuses a namespace (a dynamic one may take it). */
type Namespaced<E> = E extends { readonly namespaced: false } ? false : true;

/** Which object: a name, and a namespace for namespaced kinds only (default: the config's). */
export type Ref<E> =
  Namespaced<E> extends true ? { name: string; namespace?: string } : { name: string; namespace?: never };
/** Where a collection verb acts: a namespace (omitted: the config's), for namespaced kinds only. */
type Scope<E> = Namespaced<E> extends true ? { namespace?: string } : { namespace?: never };
/**
 * Where list and watch look: a namespace (omitted: the config's), or every namespace with
 * `allNamespaces: true`, never both (as `kubectl get -n x` and `kubectl get -A`).
 */
type ListScope<E> =
  Namespaced<E> extends true
    ? { namespace?: string; allNamespaces?: false } | { allNamespaces: true; namespace?: never }
    : { namespace?: never; allNamespaces?: never };

/** What create and replace take: the object, apiVersion and kind optional (filled in). */
export type Input<T> = Omit<T, "apiVersion" | "kind"> &
  Partial<Pick<T, Extract<keyof T, "apiVersion" | "kind">>>;

/** A merge or strategic-merge patch: any part of the object; null deletes a field. */
export type MergePatch<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: MergePatch<T[K]> | null }
    : T;

/** One operation of a JSON patch (RFC 6902). */
export interface JsonPatchOperation {
  /** What to do at `path`. */
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  /** A JSON pointer: "/spec/replicas", "/metadata/labels/app". */
  path: string;
  /** The value to add, replace with, or test for. */
  value?: unknown;
  /** Where move and copy take the value from (a JSON pointer). */
  from?: string;
}

export type PatchOptions<Q> = CallOptions &
  WithDryRun<Q> &
  ({ type: "json"; body?: never } | { type: "merge" | "strategic" });

export type PatchBody<T, O> = O extends { type: "json" } ? JsonPatchOperation[] : MergePatch<T>;

export interface ApplyOptions extends CallOptions {
  /** Who owns the applied fields (required by server-side apply). */
  fieldManager: string;
  /** Take fields other managers own instead of failing with 409. */
  force?: boolean;
  /** The server checks and answers, but stores nothing. */
  dryRun?: boolean;
  /** What the server does with unknown or duplicate fields (default Strict for apply). */
  fieldValidation?: "Ignore" | "Warn" | "Strict";
}

/** What apply takes: any part of the object with its name. */
export type ApplyInput<T> = MergePatch<Input<T>> & {
  /** The object's name, and its namespace (omitted: the config's). */
  metadata: {
    /** The object's name. */
    name: string;
    /** Omitted: the config's namespace. */
    namespace?: string;
  };
};

type ListQuery<E, P> = Omit<QueryOf<P, CollectionPath<E>, "get">, "watch" | "pretty">;

type GetMethods<E, S, P> =
  Has<E, "get"> extends true
    ? {
        get(
          ref: Ref<E>,
          options?: CallOptions & Omit<QueryOf<P, ItemPath<E>, "get">, "pretty">,
        ): Promise<ObjectOf<E, S>>;
      }
    : unknown;

type ListMethods<E, S, P> =
  Has<E, "list"> extends true
    ? {
        list(options?: CallOptions & ListScope<E> & ListQuery<E, P>): Promise<KubeList<ObjectOf<E, S>>>;
        /** Every object, page by page (`limit` is the page size). */
        listAll(
          options?: CallOptions & ListScope<E> & Omit<ListQuery<E, P>, "continue">,
        ): AsyncIterable<ObjectOf<E, S>>;
      }
    : unknown;

type CreateMethods<E, S, P> =
  Has<E, "create"> extends true
    ? {
        create(
          object: Input<ObjectOf<E, S>>,
          options?: CallOptions & Scope<E> & WithDryRun<QueryOf<P, CollectionPath<E>, "post">>,
        ): Promise<ObjectOf<E, S>>;
      }
    : unknown;

type UpdateMethods<E, S, P> =
  Has<E, "update"> extends true
    ? {
        replace(
          object: Input<ObjectOf<E, S>>,
          options?: CallOptions & Scope<E> & WithDryRun<QueryOf<P, ItemPath<E>, "put">>,
        ): Promise<ObjectOf<E, S>>;
      }
    : unknown;

type PatchMethods<E, S, P> =
  Has<E, "patch"> extends true
    ? {
        patch<O extends PatchOptions<QueryOf<P, ItemPath<E>, "patch">>>(
          ref: Ref<E>,
          body: PatchBody<ObjectOf<E, S>, O>,
          options: O,
        ): Promise<ObjectOf<E, S>>;
        /** Server-side apply. */
        apply(object: ApplyInput<ObjectOf<E, S>>, options: ApplyOptions): Promise<ObjectOf<E, S>>;
      }
    : unknown;

type DeleteMethods<E, S, P> =
  Has<E, "delete"> extends true
    ? {
        delete(
          ref: Ref<E>,
          options?: CallOptions & WithDryRun<QueryOf<P, ItemPath<E>, "delete">>,
        ): Promise<ObjectOf<E, S> | import("../core/kube-error.js").Status>;
      }
    : unknown;

type DeleteCollectionMethods<E, P> =
  Has<E, "deletecollection"> extends true
    ? {
        deleteCollection(
          options?: CallOptions & Scope<E> & WithDryRun<QueryOf<P, CollectionPath<E>, "delete">>,
        ): Promise<unknown>;
      }
    : unknown;

type WatchMethods<E, S, P> =
  Has<E, "watch"> extends true
    ? {
        /** Resumes from the last resourceVersion after a dropped connection; 410 throws WatchExpiredError. */
        watch(
          options?: WatchOptions & ListScope<E> & Omit<ListQuery<E, P>, "limit" | "continue">,
        ): AsyncIterable<WatchEvent<ObjectOf<E, S>>>;
      }
    : unknown;

type SubresourceOf<E, N extends string> = E extends { readonly subresources: { readonly [K in N]: infer X } }
  ? X
  : never;

type SubApi<E, X, S> = X extends SubresourceEntry
  ? ("get" extends Verbs<X>
      ? { get(ref: Ref<E>, options?: CallOptions): Promise<ObjectOf<X, S>> }
      : unknown) &
      ("update" extends Verbs<X>
        ? {
            replace(
              object: Input<ObjectOf<X, S>>,
              options?: CallOptions & { dryRun?: boolean; fieldManager?: string },
            ): Promise<ObjectOf<X, S>>;
          }
        : unknown) &
      ("patch" extends Verbs<X>
        ? {
            patch<O extends PatchOptions<object>>(
              ref: Ref<E>,
              body: PatchBody<ObjectOf<X, S>, O>,
              options: O,
            ): Promise<ObjectOf<X, S>>;
          }
        : unknown) &
      ("create" extends Verbs<X>
        ? {
            create(
              ref: Ref<E>,
              body: Input<ObjectOf<X, S>>,
              options?: CallOptions & { dryRun?: boolean },
            ): Promise<unknown>;
          }
        : unknown)
  : never;

/** Subresources with a body (status, scale, eviction, ...); connect ones (exec, attach, proxy) are not here. */
type SubresourceMethods<E, S, P> = E extends { readonly subresources: infer Subs }
  ? {
      [N in keyof Subs as N extends "log"
        ? never
        : Subs[N] extends { readonly schema: string }
          ? N
          : never]: SubApi<E, SubresourceOf<E, N & string>, S>;
    } & ("log" extends keyof Subs
      ? {
          /** Lines as they come (`follow: true`), or `.text()` for the whole log. */
          log(options: Ref<E> & CallOptions & Omit<QueryOf<P, LogPath<Subs>, "get">, "pretty">): LogStream;
        }
      : unknown) &
      ("exec" extends keyof Subs ? { exec: ExecMethod } : unknown) &
      ("attach" extends keyof Subs ? { attach: AttachMethod } : unknown)
  : unknown;

type ProxyMethods<E, Subs> = "proxy" extends keyof Subs
  ? {
      /** HTTP through the apiserver to the target: a WHATWG Response, any status (as fetch). */
      proxy(options: Ref<E> & ProxyOptions): Promise<Response>;
    }
  : unknown;

type PortForwardMethods<E, Subs> = "portforward" extends keyof Subs
  ? {
      /**
       * Like `kubectl port-forward`: a listener on 127.0.0.1 per port, each connection a new
       * stream to the pod; `onError` hears each connection's failure.
       */
      portForward: ((options: Ref<E> & PortForwardOptions) => Promise<PortForward>) & {
        /** One stream to a pod port as a Node Duplex, no listener. */
        connect(options: Ref<E> & PortForwardConnectOptions): Promise<import("node:stream").Duplex>;
      };
    }
  : unknown;

/** Connect subresources with a method of their own here: proxy and portforward. */
type ConnectMethods<E> = E extends { readonly subresources: infer Subs }
  ? ProxyMethods<E, Subs> & PortForwardMethods<E, Subs>
  : unknown;

type LogPath<Subs> = Subs extends { readonly log: { readonly path: infer L } } ? L : never;

/** What every resource has, whatever its verbs. */
export interface ResourceMembers {
  /**
   * Who the resource is: its apiVersion, kind, plural, scope and verbs (the dynamic client's
   * as discovery found it). Controllers share one informer per kind by it.
   */
  info(): Promise<ResourceIdentity>;
  /** Reports a message through the client's `onWarning` handler, as a server's Warning header is. */
  warn(message: string): void;
}

/** The API of one resource: exactly the methods its verbs allow. */
export type ResourceApi<E, S, P> = ResourceMembers &
  GetMethods<E, S, P> &
  ListMethods<E, S, P> &
  CreateMethods<E, S, P> &
  UpdateMethods<E, S, P> &
  PatchMethods<E, S, P> &
  DeleteMethods<E, S, P> &
  DeleteCollectionMethods<E, P> &
  WatchMethods<E, S, P> &
  SubresourceMethods<E, S, P> &
  ConnectMethods<E>;

/** The query parameters any resource takes, for the dynamic client (the server checks them). */
export interface DynamicQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  dryRun?: string;
  fieldManager?: string;
  fieldValidation?: string;
  force?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  orphanDependents?: boolean;
  [parameter: string]: unknown;
}

type DynamicEntry = {
  readonly namespaced: boolean;
  readonly verbs: readonly [
    "get",
    "list",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "watch",
  ];
  readonly subresources: Record<string, never>;
  readonly paths: { readonly collection: "collection"; readonly item: "item" };
};
type DynamicQueries = {
  collection: { get: DynamicQuery; post: DynamicQuery; delete: DynamicQuery };
  item: { get: DynamicQuery; put: DynamicQuery; patch: DynamicQuery; delete: DynamicQuery };
};

/** A resource known only at run time: every method, objects as KubeObject; the server decides. */
export type DynamicResource = ResourceApi<DynamicEntry, Record<string, never>, DynamicQueries> & {
  /** HTTP through the proxy subresource, for kinds that have one (the server says). */
  proxy(options: ProxyOptions): Promise<Response>;
  /** Port-forward, for kinds that have it (pods). */
  portForward: PortForwardMethods<
    {
      /** Pods live in a namespace. */
      readonly namespaced: true;
    },
    {
      /** Pods have the portforward subresource. */
      portforward: unknown;
    }
  >["portForward"];
  /** Only for resources whose discovery lists an exec subresource (pods); else a TypeError. */
  exec: ExecMethod;
  /** Only for resources whose discovery lists an attach subresource (pods); else a TypeError. */
  attach: AttachMethod;
};

type Groups<R, S, P> = {
  [G in keyof R]: { [V in keyof R[G]]: { [Pl in keyof R[G][V]]: ResourceApi<R[G][V][Pl], S, P> } };
};

/** What `kube.raw` calls take: openapi-fetch's init, loosely typed. */
export interface RawInit {
  /** The path's parameters (`{namespace}`, `{name}`), the query and headers. */
  params?: {
    /** Fills `{name}` placeholders of the path. */
    path?: Record<string, string | number>;
    /** The query string's parameters. */
    query?: Record<string, unknown>;
    /** Request headers. */
    header?: Record<string, string>;
  };
  /** The request body, sent as JSON. */
  body?: unknown;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** How to read the answer's body (default json). */
  parseAs?: "json" | "text" | "blob" | "arrayBuffer" | "stream";
}

/** What a `kube.raw` call resolves to: openapi-fetch's result, loosely typed. */
export interface RawResult {
  /** The body of a 2xx answer. */
  data?: unknown;
  /** The body of any other answer. */
  error?: unknown;
  /** The answer itself. */
  response: Response;
}

/**
 * One HTTP method of `kube.raw`.
 * @inline
 */
type RawMethod = (path: string, init?: RawInit) => Promise<RawResult>;

/**
 * `kube.raw`: openapi-fetch on the client's connections, any path, loosely typed. Declared
 * here rather than as openapi-fetch's Client type: checking those declarations costs every
 * consumer a second of tsc (measured); `typedRaw(kube)` from the generated raw.ts gives the
 * fully typed openapi-fetch client when wanted.
 */
export interface RawClient {
  /** GET `path`. */
  GET: RawMethod;
  /** PUT `path`. */
  PUT: RawMethod;
  /** POST `path`. */
  POST: RawMethod;
  /** DELETE `path`. */
  DELETE: RawMethod;
  /** PATCH `path`: give the patch's Content-Type (application/merge-patch+json, ...) in headers. */
  PATCH: RawMethod;
  /** HEAD `path`. */
  HEAD: RawMethod;
  /** OPTIONS `path`. */
  OPTIONS: RawMethod;
}

/**
 * The client of a registry `R` (schemas `S`, queries `P`): `kube.<group>.<version>.<plural>`
 * per resource, and discovery, the dynamic client, raw HTTP, cp, its config and close().
 */
export type KubeClient<R, S, P extends {}> = Omit<Groups<R, S, P>, "discovery" | "resource" | "raw"> & {
  /** What the server serves (and, for a registry with a discovery group, its resources). */
  discovery: Discovery & ("discovery" extends keyof R ? Groups<R, S, P>["discovery"] : unknown);
  /** A resource known only at run time, found by discovery from its apiVersion and kind. */
  resource: ((ref: { apiVersion: string; kind: string }) => DynamicResource) &
    ("resource" extends keyof R ? Groups<R, S, P>["resource"] : unknown);
  /** openapi-fetch on the same connection pool and credentials: any path of the API. */
  raw: RawClient;
  /** Files to and from a container, as `kubectl cp` copies them (a tar through exec). */
  cp: CopyApi;
  /** The config this client uses. */
  config: KubeConfig;
  /** Closes the connection pool. */
  close(): Promise<void>;
};
