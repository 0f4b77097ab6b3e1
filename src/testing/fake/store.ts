// The fake's storage: objects per resource, one resourceVersion counter for all of them (as
// etcd's revision), and the recent events a watch can resume from. Objects are kept as
// frozen wire JSON: handlers copy before they change one.

/** A stored object: wire JSON. */
export type Obj = Record<string, unknown> & { metadata: Meta };
/** The metadata fields the fake reads. */
export type Meta = Record<string, unknown> & {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  labels?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  ownerReferences?: { uid: string; kind?: string; name?: string; blockOwnerDeletion?: boolean }[];
};

/** A change, as a watch sends it. */
export interface StoreEvent {
  readonly rv: number;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly storage: string;
  readonly object: Obj;
  /** The object before the change (for a watch whose selector it left). */
  readonly previous?: Obj;
}

type Listener = (e: StoreEvent) => void;

export const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ""}/${name}`;

/** Objects per storage key ("apps/deployments"), in key order when listed. */
export class Store {
  #rv: number;
  readonly #objects = new Map<string, Map<string, Obj>>();
  readonly #events: StoreEvent[] = [];
  readonly #listeners = new Set<Listener>();
  readonly #window: number;
  /** The oldest resourceVersion a watch may start from; older ones get 410 Gone. */
  #oldest: number;

  constructor(window: number, start = 1) {
    this.#window = window;
    this.#rv = start;
    this.#oldest = start;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get oldest(): number {
    return this.#oldest;
  }

  /** The next resourceVersion, for an object about to be written. */
  next(): string {
    this.#rv += 1;
    return String(this.#rv);
  }

  get(storage: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.#objects.get(storage)?.get(keyOf(namespace, name));
  }

  /** Every object of a resource, of one namespace or all, in key order (as etcd lists them). */
  list(storage: string, namespace?: string): Obj[] {
    const all = this.#objects.get(storage);
    if (!all) return [];
    const keys = [...all.keys()].sort();
    const out: Obj[] = [];
    for (const k of keys) {
      const o = all.get(k) as Obj;
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(o);
    }
    return out;
  }

  /** Every resource's objects in one namespace: for the namespace's deletion. */
  inNamespace(namespace: string): { storage: string; object: Obj }[] {
    const out: { storage: string; object: Obj }[] = [];
    for (const [storage, objs] of this.#objects) {
      for (const o of objs.values()) if (o.metadata.namespace === namespace) out.push({ storage, object: o });
    }
    return out;
  }

  /** Every object that names `uid` among its owners. */
  dependents(uid: string): { storage: string; object: Obj }[] {
    const out: { storage: string; object: Obj }[] = [];
    for (const [storage, objs] of this.#objects) {
      for (const o of objs.values()) {
        if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) out.push({ storage, object: o });
      }
    }
    return out;
  }

  /** Whether any object has this uid (an owner that still exists). */
  hasUid(uid: string): boolean {
    for (const objs of this.#objects.values())
      for (const o of objs.values()) if (o.metadata.uid === uid) return true;
    return false;
  }

  /** Writes an object whose metadata.resourceVersion came from next(). */
  put(storage: string, object: Obj): void {
    let objs = this.#objects.get(storage);
    if (!objs) {
      objs = new Map();
      this.#objects.set(storage, objs);
    }
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    const previous = objs.get(key);
    deepFreeze(object);
    objs.set(key, object);
    this.#emit({
      rv: Number(object.metadata.resourceVersion),
      type: previous ? "MODIFIED" : "ADDED",
      storage,
      object,
      ...(previous ? { previous } : {}),
    });
  }

  /** Rewrites a stored object without a new resourceVersion or event (a detail of the last write). */
  replace(storage: string, object: Obj): void {
    const objs = this.#objects.get(storage);
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    if (objs?.has(key)) objs.set(key, deepFreeze(object));
  }

  /** Removes an object; the DELETED event carries a new resourceVersion, as etcd's delete revision. */
  remove(storage: string, object: Obj): Obj {
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    this.#objects.get(storage)?.delete(key);
    const rv = this.next();
    const gone = deepFreeze({ ...object, metadata: { ...object.metadata, resourceVersion: rv } }) as Obj;
    this.#emit({ rv: Number(rv), type: "DELETED", storage, object: gone, previous: object });
    return gone;
  }

  /** Events after `rv` of one resource, or undefined when `rv` is older than the window holds. */
  since(storage: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.#oldest) return undefined;
    return this.#events.filter((e) => e.rv > rv && e.storage === storage);
  }

  /** Forgets every event up to now: a watch or continue from an older resourceVersion gets 410. */
  compact(): void {
    this.#events.length = 0;
    this.#oldest = this.#rv;
  }

  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  #emit(e: StoreEvent) {
    this.#events.push(e);
    if (this.#events.length > this.#window) {
      const dropped = this.#events.splice(0, this.#events.length - this.#window);
      this.#oldest = (dropped.at(-1) as StoreEvent).rv;
    }
    for (const l of [...this.#listeners]) l(e);
  }
}

export function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A writable deep copy. */
export const copy = <T>(v: T): T => structuredClone(v) as T;
