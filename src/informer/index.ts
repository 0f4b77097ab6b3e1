/**
 * A cache that stays equal to the server, and tells you what changed.
 * @packageDocumentation
 */

import { jitteredBackoff } from "../core/backoff.js";
import { ClientClosedError } from "../core/errors.js";
import { KubeError } from "../core/kube-error.js";
import { type KubeList, listPages, objectKey, type WatchEvent, type WatchOptions } from "../core/objects.js";
import type { ResourceIdentity } from "../core/registry.js";
import { checkScope } from "../core/request.js";
import { setLongInterval, sleepOrWake, type Timer } from "../core/timers.js";
import { WatchExpiredError } from "../core/watch-errors.js";

/**
 * What the informer reads of an object: its key and its version.
 * @inline
 */
interface Meta {
  /** The object's metadata. */
  metadata?: {
    /** The object's name. */
    name?: string;
    /** Its namespace. */
    namespace?: string;
    /** An update is emitted only when this changed. */
    resourceVersion?: string;
  };
}

/**
 * A namespace (omitted: the config's) or every namespace, as list and watch take it.
 * @inline
 */
type ListScope =
  | {
      /** Omitted: the config's namespace. */
      namespace?: string;
      /** Absent or false: one namespace. */
      allNamespaces?: false;
    }
  | {
      /** Every namespace. */
      allNamespaces: true;
      /** Never with allNamespaces. */
      namespace?: never;
    };

/**
 * What an informer needs of a resource: its typed `list` and `watch` (any
 * kube.<group>.<v>.<plural>, or kube.resource(...)). A kubefetch resource also has `info`
 * (who it is, so controllers share one informer per kind) and `warn` (its client's warning
 * handler); another implementation may leave them out.
 */
export interface ListWatch<T> {
  /** Lists one page (the informer pages with `limit` and `continue`). */
  list(
    options: ListScope & {
      labelSelector?: string;
      fieldSelector?: string;
      limit?: number;
      continue?: string;
      signal?: AbortSignal;
    },
  ): Promise<KubeList<T>>;
  /** Watches from `resourceVersion`, resuming itself when the stream drops. */
  watch(
    options: ListScope &
      WatchOptions & {
        labelSelector?: string;
        fieldSelector?: string;
        resourceVersion?: string;
      },
  ): AsyncIterable<WatchEvent<T>>;
  /** Who the resource is: controllers share one informer per kind by it. */
  info?(): Promise<ResourceIdentity>;
  /** The client's warning handler. */
  warn?(message: string): void;
}

/** What createInformer() takes: the scope, selectors, and the timings. */
export interface InformerOptions<T> {
  /** Omitted: the client config's namespace, as every namespaced call. */
  namespace?: string;
  /** Every namespace (never with `namespace`). */
  allNamespaces?: boolean;
  /** Only objects with these labels: "app=web,tier!=db". */
  labelSelector?: string;
  /** Only objects with these fields: "status.phase=Running". */
  fieldSelector?: string;
  /** Emit `update` (old === new) for every cached object this often; off by default. */
  resyncMs?: number;
  /** Page size of the list (default 500). */
  pageSize?: number;
  /** Extra indexes by function: `byIndex("app", "web")`. "namespace" is always there. */
  indexers?: Record<string, (obj: T) => string[]>;
  /** Backoff after a failure (ms), doubled each time with jitter. */
  minBackoffMs?: number;
  /** The longest backoff (ms). */
  maxBackoffMs?: number;
  /** The watch's liveness limit: no event or bookmark for this long resumes it (default 90 s). */
  idleTimeoutMs?: number;
  /**
   * Where an `error` with no listener goes, once: default the client's warning handler (the
   * resource's), else console.warn.
   */
  onWarning?: (message: string) => void;
}

/**
 * The informer's events and their handlers.
 * @inline
 */
type Handlers<T> = {
  /** An object entered the cache. */
  add: (obj: T) => void;
  /** An object changed (or a resync: `obj === old`). */
  update: (obj: T, old: T) => void;
  /** An object left the cache. */
  delete: (obj: T) => void;
  /** A list, watch or handler failed; the informer retries on its own. */
  error: (err: unknown) => void;
};

/** A cache of one resource kept equal to the server by list and watch, with change events. */
export interface Informer<T> {
  /** Hears `add`, `update` (new, old), `delete` or `error`; a throwing handler is an `error` event. */
  on<E extends keyof Handlers<T>>(event: E, handler: Handlers<T>[E]): this;
  /** Stops hearing it. */
  off<E extends keyof Handlers<T>>(event: E, handler: Handlers<T>[E]): this;
  /** Starts listing and watching; `synced` resolves once the first list is in the cache. */
  start(): Promise<void>;
  /**
   * Resolves once the first list is in the cache. Rejects with the KubeError when the first
   * list fails in a way retrying cannot fix (401 after a credential refresh, 403, 404): the
   * informer has then stopped. Retryable failures keep retrying as `error` events.
   */
  readonly synced: Promise<void>;
  /** Whether the first list is in the cache. */
  hasSynced(): boolean;
  /** Every cached object. */
  list(): T[];
  /** The cached object of that name, if any. */
  get(ref: { namespace?: string; name: string }): T | undefined;
  /** The cached objects whose indexer `index` gave `value`; throws RangeError for an unknown index. */
  byIndex(index: string, value: string): T[];

  /** Stops the watch (closing its connection) and every timer. */
  stop(): Promise<void>;
}

/** A watch that lived this long resets the backoff (client-go's reflector: 2 minutes). */
const HEALTHY_MS = 120_000;

const keyOf = (o: Meta) => objectKey(o.metadata?.namespace, o.metadata?.name);

/**
 * The reflector's state machine:
 *   list (paged) -> replace cache, emit the differences -> watch from the list's resourceVersion
 *   watch event -> apply to cache, emit           watch dropped -> resumed by the watch itself (error event)
 *   410 Gone / malformed event / list failure -> error event -> backoff -> list again
 *   stop() -> abort: the watch's socket closes, the loop ends
 */
export function createInformer<T extends Meta>(
  resource: ListWatch<T>,
  options: InformerOptions<T> = {},
): Informer<T> {
  const handlers: { [E in keyof Handlers<T>]: Handlers<T>[E][] } = {
    add: [],
    update: [],
    delete: [],
    error: [],
  };
  const store = new Map<string, T>();
  const indexers: Record<string, (obj: T) => string[]> = {
    namespace: (o) => (o.metadata?.namespace ? [o.metadata.namespace] : []),
    ...options.indexers,
  };
  const indexes = new Map<string, Map<string, Set<string>>>(Object.keys(indexers).map((n) => [n, new Map()]));
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let resync: Timer | undefined;
  let markSynced: () => void = () => {};
  let failSync: (err: unknown) => void = () => {};
  let isSynced = false;
  const synced = new Promise<void>((resolve, reject) => {
    markSynced = () => {
      isSynced = true;
      resolve();
    };
    failSync = reject;
  });
  // A program that never awaits `synced` must not die of an unhandled rejection.
  synced.catch(() => {});
  const warn =
    options.onWarning ??
    (resource.warn ? (m: string) => resource.warn?.(m) : (m: string) => console.warn(`Warning: ${m}`));
  let warnedUnheard = false;
  checkScope("createInformer", "informer", options, true);
  const where: ListScope = options.allNamespaces
    ? { allNamespaces: true }
    : options.namespace !== undefined
      ? { namespace: options.namespace }
      : {};
  const scope = {
    ...where,
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };

  const emit = <E extends keyof Handlers<T>>(event: E, ...args: Parameters<Handlers<T>[E]>) => {
    if (event === "error" && handlers.error.length === 0) {
      // An error nobody listens to is said once, not lost and not repeated every backoff.
      if (!warnedUnheard) {
        warnedUnheard = true;
        warn(`informer: ${String(args[0])} (add an "error" listener to see every failure)`);
      }
      return;
    }
    for (const h of handlers[event]) {
      try {
        (h as (...a: unknown[]) => void)(...args);
      } catch (err) {
        // A throwing handler must not stop the informer.
        if (event !== "error") emit("error", err);
      }
    }
  };

  const index = (key: string, obj: T | undefined, add: boolean) => {
    if (!obj) return;
    for (const [name, fn] of Object.entries(indexers)) {
      const idx = indexes.get(name) as Map<string, Set<string>>;
      for (const value of fn(obj)) {
        const set = idx.get(value) ?? new Set();
        if (add) set.add(key);
        else set.delete(key);
        if (set.size) idx.set(value, set);
        else idx.delete(value);
      }
    }
  };

  const put = (obj: T) => {
    const key = keyOf(obj);
    const old = store.get(key);
    index(key, old, false);
    store.set(key, obj);
    index(key, obj, true);
    if (!old) emit("add", obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) emit("update", obj, old);
  };

  const remove = (obj: T) => {
    const key = keyOf(obj);
    const old = store.get(key);
    if (!old) return;
    index(key, old, false);
    store.delete(key);
    emit("delete", obj);
  };

  const listAll = async () => {
    const items: T[] = [];
    let rv = "";
    const page = (token: string | undefined) =>
      resource.list({
        ...scope,
        limit: options.pageSize ?? 500,
        ...(token ? { continue: token } : {}),
        signal: abort.signal,
      });
    for await (const p of listPages(page)) {
      items.push(...p.items);
      rv = p.metadata.resourceVersion ?? rv;
    }
    return { items, rv };
  };

  const loop = async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      let watching: number | undefined;
      try {
        const { items, rv } = await listAll();
        // Relist: what is gone was deleted while we were not watching.
        const seen = new Set(items.map(keyOf));
        for (const [key, obj] of [...store]) if (!seen.has(key)) remove(obj);
        for (const obj of items) put(obj);
        markSynced();
        // stop() during the list: no watch is opened.
        if (abort.signal.aborted) return;
        watching = Date.now();
        for await (const ev of resource.watch({
          ...scope,
          resourceVersion: rv,
          signal: abort.signal,
          onReconnect: (cause) => emit("error", cause),
          reconnectBackoff: { minMs: options.minBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 30_000 },
          ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
        })) {
          if (ev.type === "DELETED") remove(ev.object);
          else if (ev.type !== "BOOKMARK") put(ev.object);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        // Retrying cannot fix RBAC or a missing resource before the first sync, nor a closed
        // client ever: say so instead of hanging `synced` or looping.
        if (err instanceof ClientClosedError || (!isSynced && permanent(err))) {
          abort.abort();
          resync?.clear();
          failSync(err);
          emit("error", err);
          return;
        }
        emit("error", err);
        // As client-go's reflector (its backoff manager resets after 2 min without failure):
        // a watch that ran that long was healthy, so this failure starts a new series.
        if (watching !== undefined && Date.now() - watching > HEALTHY_MS) failures = 0;
        // The first 410 of a series is the usual compaction: list again at once. Every other
        // failure, and a 410 after a failure, backs off, so a server that answers each watch
        // with 410 is not sent thousands of lists a second.
        if (err instanceof WatchExpiredError && failures === 0) {
          failures++;
          continue;
        }
        await sleepOrWake(backoff(options, failures++), abort.signal);
      }
    }
  };

  const informer: Informer<T> = {
    on(event, handler) {
      (handlers[event] as unknown[]).push(handler);
      return informer;
    },
    off(event, handler) {
      const list = handlers[event] as unknown[];
      const i = list.indexOf(handler);
      if (i >= 0) list.splice(i, 1);
      return informer;
    },
    hasSynced: () => isSynced,
    async start() {
      if (running) return;
      running = loop();
      if (options.resyncMs) {
        resync = setLongInterval(() => {
          for (const obj of store.values()) emit("update", obj, obj);
        }, options.resyncMs).unref();
      }
    },
    synced,
    list: () => [...store.values()],
    get: (ref) => store.get(objectKey(ref.namespace, ref.name)),
    byIndex(name, value) {
      const idx = indexes.get(name);
      if (!idx) throw new RangeError(`no index named ${name}`);
      return [...(idx.get(value) ?? [])].map((k) => store.get(k) as T);
    },
    async stop() {
      abort.abort();
      resync?.clear();
      await running;
    },
  };
  return informer;
}

/** A first-list failure retrying cannot fix: 401 (the transport already refreshed once), 403, 404. */
function permanent(err: unknown): boolean {
  return err instanceof KubeError && (err.status === 401 || err.status === 403 || err.status === 404);
}

function backoff(o: { minBackoffMs?: number; maxBackoffMs?: number }, failures: number): number {
  return jitteredBackoff(o.minBackoffMs ?? 500, o.maxBackoffMs ?? 30_000, failures);
}
