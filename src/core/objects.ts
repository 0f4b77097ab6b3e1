// The shapes every layer passes around: call options, objects, lists, watch events and the
// options of a watch. Nothing here exists at run time except objectKey and listPages.

// CallOptions and WatchOptions are type aliases, not interfaces: an alias of an object type
// is assignable to a query type with an index signature (the dynamic client's), an interface
// is not.

/** Every call takes these. */
export type CallOptions = {
  /** Cancels the call, its retries and their waits. */
  signal?: AbortSignal;
  /** Gives up after this long, retries included (a watch: the whole watch, reconnects included). */
  timeoutMs?: number;
};

/** When a failed call is tried again, and how long the client waits between tries. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 3). */
  maxRetries: number;
  /** The longest single wait, Retry-After included (default 10 s). */
  maxDelayMs: number;
  /** First backoff for 5xx/resets on GET, doubled each time, with jitter (default 200 ms). */
  baseDelayMs: number;
}

/** Any Kubernetes object, as the dynamic client returns it. */
export interface KubeObject {
  /** "v1", "apps/v1", ... */
  apiVersion: string;
  /** "Pod", "Deployment", ... */
  kind: string;
  /** Name, namespace, labels and the rest every object has. */
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** The metadata every object has: the fields kubefetch reads, and any other. */
export interface ObjectMeta {
  /** Unique in its namespace (or the cluster, for a cluster-scoped kind). */
  name?: string;
  /** Absent for a cluster-scoped kind. */
  namespace?: string;
  /** Key-value pairs that selectors match. */
  labels?: Record<string, string>;
  /** Key-value pairs for tools; not selectable. */
  annotations?: Record<string, string>;
  /** The version the server last wrote: a replace with it fails with 409 if the object changed. */
  resourceVersion?: string;
  /** Unique across time: a recreated object of the same name gets a new one. */
  uid?: string;
  [field: string]: unknown;
}

/** A list as the server sends it: one page of items, and where the list stands. */
export interface KubeList<T> {
  /** The list's apiVersion, the items' own. */
  apiVersion: string;
  /** "PodList", ... */
  kind: string;
  /** Where the list stands. */
  metadata: {
    /** The version of the list as a whole: watch from it to miss nothing. */
    resourceVersion?: string;
    /** The token for the next page; absent on the last. */
    continue?: string;
    /** About how many items the later pages hold. */
    remainingItemCount?: number;
  };
  /** The page's objects. */
  items: T[];
}

/** One change as a watch reports it. */
export interface WatchEvent<T> {
  /** What happened; a BOOKMARK carries only a newer resourceVersion. */
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  /** The object after the change (before it, for DELETED). */
  object: T;
}

/**
 * How a watch behaves, beside what it asks the server (selectors, resourceVersion): the typed
 * watch, the dynamic one, the informer and `ListWatch` all take these.
 */
export type WatchOptions = CallOptions & {
  /** Called when the stream dropped (or failed to connect) and the watch will resume. */
  onReconnect?: (cause: unknown) => void;
  /** Backoff between reconnects (ms): first wait and cap; default 500 and 30000. */
  reconnectBackoff?: {
    /** The first wait. */
    minMs?: number;
    /** The longest wait. */
    maxMs?: number;
  };

  /**
   * A stream that brings neither an event nor a bookmark for this long is taken for dead (a
   * NAT or load balancer that dropped it silently) and resumed from the last resourceVersion.
   * Default 90 s: a little over the server's bookmark interval (about a minute).
   */
  idleTimeoutMs?: number;
};

/** The cache key of an object: `namespace/name`, or `name` for a cluster-scoped one. */
export function objectKey(namespace: string | undefined, name: string | undefined): string {
  return namespace ? `${namespace}/${name ?? ""}` : (name ?? "");
}

/**
 * The pages of a list, following `continue` tokens until the server gives none. `page`
 * fetches one page from a token (undefined: the first).
 */
export async function* listPages<T>(
  page: (token: string | undefined) => Promise<KubeList<T>>,
): AsyncGenerator<KubeList<T>> {
  let token: string | undefined;
  do {
    const list = await page(token);
    yield list;
    token = list.metadata?.continue || undefined;
  } while (token);
}
