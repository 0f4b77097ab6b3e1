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
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  [field: string]: unknown;
}

export interface KubeList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
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
  reconnectBackoff?: { minMs?: number; maxMs?: number };
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
