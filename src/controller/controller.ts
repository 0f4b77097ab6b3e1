// A controller: informers for the primary kind (`for`) and its children (`owns`), a work
// queue of "namespace/name" keys, and workers that reconcile one key at a time.
//   primary add/update/delete/resync -> its key        child event -> its controller owner's key
//   reconcile ok -> forget backoff (+ addAfter on requeueAfterMs)
//   reconcile throws -> addRateLimited (backoff), `error` handlers, a Warning event on the object
//   signal aborts -> no new keys are taken; start() resolves once in-flight reconciles end
// The informers survive apiserver restarts and compaction (src/informer): a key whose
// reconcile failed while the server was down is retried by backoff until it succeeds.

import { isConflict, isNotFound } from "../core/kube-error.js";
import { objectKey } from "../core/objects.js";
import type { ResourceIdentity } from "../core/registry.js";
import { checkScope } from "../core/request.js";
import { setLongInterval, sleepOrWake, type Timer } from "../core/timers.js";
import type { Informer, ListWatch } from "../informer/index.js";
import { createEventRecorder, type EventClient, type EventRecorder } from "./event-recorder.js";
import { CONTROLLER_OWNER_INDEX, controllerOwnerRequest, type KubeObjectLike } from "./owners.js";
import { acquireInformer, resourceIdentity } from "./shared-informers.js";
import { createWorkQueue, type WorkQueue, type WorkQueueOptions } from "./work-queue.js";

/** Which object to reconcile. */
export interface ReconcileRequest {
  /** Absent for a cluster-scoped kind. */
  namespace?: string;
  /** The object's name. */
  name: string;
}

/** What reconcile may return: when to come back (nothing: when something changes). */
export interface ReconcileResult {
  /** Reconcile this object again after this long (the backoff is reset). */
  requeueAfterMs?: number;
}

/**
 * What reconcile returns: a ReconcileResult, or nothing.
 * @inline
 */
// biome-ignore lint/suspicious/noConfusingVoidType: an async reconcile with nothing to say returns Promise<void>
type ReconcileOutcome = ReconcileResult | undefined | void;

/** What a primary resource offers beyond list and watch: get and patch, and maybe a status subresource. */
export interface PrimaryResource<T> extends ListWatch<T> {
  /** Reads the object from the server: after a 409 Conflict, to try again on the latest. */
  get(ref: { name: string; namespace?: string }, options?: { signal?: AbortSignal }): Promise<T>;
  /** A merge patch: how finalize() adds and removes its finalizer. */
  patch(
    ref: { name: string; namespace?: string },
    body: unknown,
    options: { type: "merge"; signal?: AbortSignal },
  ): Promise<T>;
  /** The status subresource, which updateStatus() writes. */
  status?: {
    /** Replaces the object's status. */
    replace(object: T, options?: { signal?: AbortSignal }): Promise<T>;
  };
}

/** What reconcile gets beside the request: the cache, events, and the status and finalizer helpers. */
export interface ReconcileContext<T> {
  /** From the informer's cache: the request's object (no argument), or another of the primary kind. */
  get(ref?: ReconcileRequest): T | undefined;
  /** From the cache: the objects of an `owns` kind whose controller is the request's object. */
  owned<C>(resource: ListWatch<C>): C[];
  /** Records events on objects (the controller's own recorder). */
  recorder: EventRecorder;
  /** Aborts when the controller stops (leadership lost): pass it to your calls. */
  signal: AbortSignal;
  /**
   * Finalizer handling in one call: adds `finalizer` to a live object (patch with its
   * resourceVersion as precondition, read again and retried on 409 Conflict, 5 tries); on an
   * object being deleted, runs `cleanup` and removes the finalizer the same way. Returns true when the object is being deleted (or gone): reconcile then stops.
   */
  finalize(finalizer: string, cleanup: (object: T) => Promise<void>): Promise<boolean>;
  /**
   * Writes the status through the status subresource: mutate a copy of the object and replace
   * it; on 409 Conflict, read it again and mutate again (client-go's RetryOnConflict: 5 tries,
   * 10 ms apart with jitter).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a mutate that only assigns returns void
  updateStatus(mutate: (object: T) => T | undefined | void): Promise<T>;
}

/** What createController() takes: what to watch, and the reconcile function. */
export interface ControllerOptions<T> {
  /** The primary kind: each of its objects is a key to reconcile. */
  for: PrimaryResource<T>;
  /** Child kinds: an event on a child reconciles its controller owner. */
  owns?: ListWatch<KubeObjectLike>[];
  /** Omitted: the client config's namespace. */
  namespace?: string;
  /** Every namespace (never with `namespace`). */
  allNamespaces?: boolean;
  /** Workers reconciling different keys at once (default 1). */
  concurrency?: number;
  /**
   * Makes the world match one object, and is safe to run again: a throw requeues the key with
   * backoff, a `requeueAfterMs` brings it back after that long.
   */
  reconcile(
    request: ReconcileRequest,
    context: ReconcileContext<T>,
  ): Promise<ReconcileOutcome> | ReconcileOutcome;
  /** Reconcile every cached primary object this often (default: never). */
  resyncMs?: number;
  /** The controller's name: the events' reporting component (default "kubefetch-controller"). */
  name?: string;
  /** Default: an events recorder of `kube` with `name` as component. */
  recorder?: EventRecorder;
  /** The queue's backoff and rate limit (client-go's defaults). */
  queue?: WorkQueueOptions<string>;
}

/**
 * Hears a reconcile's failure, with the key it was for.
 * @inline
 */
type ErrorHandler = (err: unknown, request: ReconcileRequest) => void;

/** A running (or startable) controller. */
export interface Controller {
  /** Lists and watches, then reconciles until `signal` aborts; resolves once in-flight reconciles ended. */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** Hears each failed reconcile (without a handler, the first is said once as a warning). */
  on(event: "error", handler: ErrorHandler): this;
  /** Stops hearing them. */
  off(event: "error", handler: ErrorHandler): this;
  /** Adds a key by hand (e.g. from an external event source). */
  enqueue(request: ReconcileRequest): void;
}

const keyOf = (r: ReconcileRequest) => objectKey(r.namespace, r.name);
const requestOf = (key: string): ReconcileRequest => {
  const i = key.indexOf("/");
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
};
const requestFor = (o: KubeObjectLike): ReconcileRequest | undefined => {
  const name = o.metadata?.name;
  if (!name) return undefined;
  return o.metadata?.namespace ? { namespace: o.metadata.namespace, name } : { name };
};

/** A finalizer write to an object already gone has nothing left to do. */
async function patchGone(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * A controller: informers for `for` and `owns` (shared by kind), a work queue of keys, and
 * `concurrency` workers calling `reconcile`, as controller-runtime composes them.
 */
export function createController<T extends KubeObjectLike>(
  kube: EventClient,
  options: ControllerOptions<T>,
): Controller {
  checkScope("createController", "controller", options, true);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`createController: concurrency must be a whole number >= 1, not ${concurrency}`);
  }
  const name = options.name ?? "kubefetch-controller";
  const recorder = options.recorder ?? createEventRecorder(kube, { component: name });
  const scope = options.allNamespaces
    ? { allNamespaces: true }
    : options.namespace !== undefined
      ? { namespace: options.namespace }
      : {};
  const errorHandlers: ErrorHandler[] = [];
  let warnedUnheard = false;
  let queue: WorkQueue<string> | undefined;
  let running = false;

  const emitError = (err: unknown, request: ReconcileRequest) => {
    if (errorHandlers.length === 0) {
      if (!warnedUnheard) {
        warnedUnheard = true;
        console.warn(
          `Warning: controller ${name}: reconcile of ${keyOf(request)} failed: ${(err as Error)?.message ?? String(err)} (add an "error" handler to see every failure)`,
        );
      }
      return;
    }
    for (const h of errorHandlers) {
      try {
        h(err, request);
      } catch {
        // A throwing error handler must not stop the workers.
      }
    }
  };

  const controller: Controller = {
    on(_event, handler) {
      errorHandlers.push(handler);
      return controller;
    },
    off(_event, handler) {
      const i = errorHandlers.indexOf(handler);
      if (i >= 0) errorHandlers.splice(i, 1);
      return controller;
    },
    enqueue(request) {
      queue?.add(keyOf(request));
    },
    async start({ signal } = {}) {
      if (running) throw new Error(`controller ${name} is already running`);
      if (signal?.aborted) return;
      running = true;
      const q = createWorkQueue<string>(options.queue);
      queue = q;
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      const releases: (() => Promise<void>)[] = [];
      const unhook: (() => void)[] = [];
      let resync: Timer | undefined;
      try {
        const primaryShare = await acquireInformer(kube, options.for as ListWatch<KubeObjectLike>, scope);
        releases.push(primaryShare.release);
        const primary = primaryShare.informer as unknown as Informer<T>;
        const enqueueObj = (o: KubeObjectLike) => {
          const r = requestFor(o);
          if (r) q.add(keyOf(r));
        };
        const onUpdate = (o: T) => enqueueObj(o);
        primary.on("add", enqueueObj).on("update", onUpdate).on("delete", enqueueObj);
        unhook.push(() => primary.off("add", enqueueObj).off("update", onUpdate).off("delete", enqueueObj));

        // The primary kind's identity, for owner references: from the client, else the cache.
        let forKind: Pick<ResourceIdentity, "apiVersion" | "kind" | "plural"> | undefined =
          await resourceIdentity(options.for);
        const ownerKind = () => {
          if (forKind) return forKind;
          const any = primary.list()[0];
          if (any?.apiVersion && any.kind)
            forKind = { apiVersion: any.apiVersion, kind: any.kind, plural: "" };
          return forKind;
        };
        const children = new Map<ListWatch<unknown>, Informer<KubeObjectLike>>();
        for (const res of options.owns ?? []) {
          const share = await acquireInformer(kube, res, scope);
          releases.push(share.release);
          const inf = share.informer;
          children.set(res as ListWatch<unknown>, inf);
          const toOwner = (o: KubeObjectLike) => {
            const kind = ownerKind();
            const r = kind && controllerOwnerRequest(o, kind);
            if (r) q.add(keyOf(r));
          };
          const onChildUpdate = (o: KubeObjectLike, old: KubeObjectLike) => {
            toOwner(o);
            toOwner(old);
          };
          inf.on("add", toOwner).on("update", onChildUpdate).on("delete", toOwner);
          unhook.push(() => inf.off("add", toOwner).off("update", onChildUpdate).off("delete", toOwner));
        }
        // Reconcile only from a complete cache; a permanent list failure (403, 404) ends start().
        const aborted = new Promise<void>((r) =>
          stop.signal.addEventListener("abort", () => r(), { once: true }),
        );
        await Promise.race([
          Promise.all([primary.synced, ...[...children.values()].map((i) => i.synced)]),
          aborted,
        ]);
        if (stop.signal.aborted) return;
        // A shared informer synced earlier announced its objects to the other controller only.
        for (const o of primary.list()) enqueueObj(o);
        if (options.resyncMs) {
          resync = setLongInterval(() => {
            for (const o of primary.list()) enqueueObj(o);
          }, options.resyncMs);
        }

        const contextFor = (request: ReconcileRequest): ReconcileContext<T> => {
          const current = () => primary.get(request);
          return {
            get: (ref) => primary.get(ref ?? request),
            owned<C>(resource: ListWatch<C>) {
              const inf = children.get(resource as ListWatch<unknown>);
              if (!inf) throw new TypeError("owned(): the resource is not one of the controller's `owns`");
              const uid = current()?.metadata?.uid;
              return uid ? (inf.byIndex(CONTROLLER_OWNER_INDEX, uid) as C[]) : [];
            },
            recorder,
            signal: stop.signal,
            async finalize(finalizer, cleanup) {
              const obj = current();
              if (!obj?.metadata) return true;
              const ref = {
                name: request.name,
                ...(request.namespace ? { namespace: request.namespace } : {}),
              };
              // A merge patch of the whole list, with the resourceVersion it was read at as
              // precondition (another writer's finalizers are never lost); a 409 (the object
              // changed meanwhile, e.g. its status) reads it again and retries, as updateStatus.
              const write = async (change: (list: string[]) => string[] | undefined) => {
                let md = obj.metadata ?? {};
                for (let attempt = 0; ; attempt++) {
                  const next = change(md.finalizers ?? []);
                  if (!next) return;
                  try {
                    await patchGone(
                      options.for.patch(
                        ref,
                        { metadata: { finalizers: next, resourceVersion: md.resourceVersion } },
                        { type: "merge", signal: stop.signal },
                      ),
                    );
                    return;
                  } catch (err) {
                    if (!isConflict(err) || attempt >= 4) throw err;
                    const fresh = await options.for.get(ref, { signal: stop.signal }).catch((e: unknown) => {
                      if (isNotFound(e)) return undefined;
                      throw e;
                    });
                    if (!fresh?.metadata) return;
                    md = fresh.metadata;
                  }
                }
              };
              if (!obj.metadata.deletionTimestamp) {
                await write((list) => (list.includes(finalizer) ? undefined : [...list, finalizer]));
                return false;
              }
              if ((obj.metadata.finalizers ?? []).includes(finalizer)) {
                // A stale cache can run cleanup twice: it must be idempotent (as in controller-runtime).
                await cleanup(obj);
                await write((list) =>
                  list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined,
                );
              }
              return true;
            },
            async updateStatus(mutate) {
              const status = options.for.status;
              if (!status)
                throw new TypeError(`updateStatus: ${name}'s primary resource has no status subresource`);
              let obj = current();
              for (let attempt = 0; ; attempt++) {
                if (!obj || attempt > 0) obj = await options.for.get(request, { signal: stop.signal });
                const copy = structuredClone(obj);
                const next = mutate(copy) ?? copy;
                try {
                  return await status.replace(next, { signal: stop.signal });
                } catch (err) {
                  if (!isConflict(err) || attempt >= 4) throw err;
                  await sleepOrWake(10 * (1 + Math.random() * 0.1), stop.signal);
                }
              }
            },
          };
        };

        const worker = async () => {
          for (;;) {
            const key = await q.get();
            if (key === undefined) return;
            try {
              // After a stop the queue is only emptied: nothing more is reconciled.
              if (stop.signal.aborted) continue;
              const request = requestOf(key);
              try {
                const result = await options.reconcile(request, contextFor(request));
                q.forget(key);
                if (result?.requeueAfterMs !== undefined) q.addAfter(key, result.requeueAfterMs);
              } catch (err) {
                if (stop.signal.aborted) continue;
                q.addRateLimited(key);
                emitError(err, request);
                const obj = primary.get(request);
                if (obj) {
                  recorder.event(
                    obj,
                    "Warning",
                    "ReconcileError",
                    (err as Error)?.message ?? String(err),
                    "Reconcile",
                  );
                }
              }
            } finally {
              q.done(key);
            }
          }
        };
        const workers = Array.from({ length: concurrency }, worker);
        await aborted;
        q.shutdown();
        await Promise.all(workers);
      } finally {
        resync?.clear();
        signal?.removeEventListener("abort", onAbort);
        q.shutdown();
        for (const u of unhook) u();
        await Promise.all(releases.map((r) => r()));
        running = false;
      }
    },
  };
  return controller;
}
