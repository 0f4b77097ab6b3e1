// A watch as the apiserver streams one: JSON lines of {type, object}, from a resourceVersion
// (410 Gone as an ERROR event when the window no longer holds it), synthetic ADDED events for a
// watch without one, streaming lists (sendInitialEvents) ending in the initial-events-end
// bookmark, periodic bookmarks, and a timeout.

import type { ServerResponse } from "node:http";
import { setLongInterval, setLongTimeout } from "../../core/timers.js";
import { failure } from "./status.js";
import type { Obj, Store, StoreEvent } from "./store.js";

/** What a watch request asked for, already parsed. */
export interface WatchRequest {
  readonly storage: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly resourceVersion: string | undefined;
  readonly sendInitialEvents: boolean;
  readonly bookmarks: boolean;
  readonly timeoutMs: number;
  readonly bookmarkIntervalMs: number;
  /** Whether an object is in the watch's view (namespace and selectors). */
  readonly matches: (o: Obj) => boolean;
  /** The initial state: every object in view, in key order. */
  readonly initial: () => Obj[];
  /** The object as this endpoint's apiVersion shows it. */
  readonly view: (o: Obj) => Obj;
}

/** Streams a watch until it times out, the client leaves, or `drop` ends it. Returns the closer. */
export function serveWatch(
  store: Store,
  w: WatchRequest,
  res: ServerResponse,
  headers: Record<string, string>,
): () => void {
  res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked", ...headers });
  res.flushHeaders();
  const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);
  let lastRv = store.resourceVersion;
  const timers: { clear(): void }[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) t.clear();
    res.end();
  };
  const bookmark = (rv: number, annotations?: Record<string, string>) =>
    send("BOOKMARK", {
      kind: w.kind,
      apiVersion: w.apiVersion,
      metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) },
    });

  // Events that arrive while the backlog is written wait in order behind it.
  const pending: StoreEvent[] = [];
  let live = false;
  const deliver = (e: StoreEvent) => {
    if (e.storage !== w.storage) return;
    const now = w.matches(e.object);
    const before = e.previous ? w.matches(e.previous) : false;
    lastRv = e.rv;
    if (e.type === "DELETED") {
      if (before || now) send("DELETED", w.view(e.object));
    } else if (now && !before) send("ADDED", w.view(e.object));
    else if (now) send("MODIFIED", w.view(e.object));
    // An object leaving the view is a DELETED to this watch, as the watch cache filters.
    else if (before && e.previous) {
      send(
        "DELETED",
        w.view({ ...e.previous, metadata: { ...e.previous.metadata, resourceVersion: String(e.rv) } }),
      );
    }
  };
  const unsubscribe = store.subscribe((e) => (live ? deliver(e) : pending.push(e)));
  res.on("close", close);

  const rv = w.resourceVersion;
  if (w.sendInitialEvents || rv === undefined || rv === "" || rv === "0") {
    for (const o of w.initial()) send("ADDED", w.view(o));
    lastRv = store.resourceVersion;
    if (w.sendInitialEvents) bookmark(lastRv, { "k8s.io/initial-events-end": "true" });
  } else {
    const n = Number(rv);
    const backlog = Number.isSafeInteger(n) ? store.since(w.storage, n) : undefined;
    if (!backlog) {
      const gone = failure(410, `too old resource version: ${rv} (${store.oldest})`, "Expired");
      send("ERROR", gone.body);
      close();
      return close;
    }
    for (const e of backlog) deliver(e);
    if (!backlog.length) lastRv = Math.max(n, lastRv);
  }
  live = true;
  for (const e of pending.splice(0)) if (e.rv > lastRv || e.storage !== w.storage) deliver(e);
  if (w.bookmarks && w.bookmarkIntervalMs > 0) {
    timers.push(
      setLongInterval(() => bookmark(Math.max(lastRv, store.resourceVersion)), w.bookmarkIntervalMs),
    );
  }
  if (w.timeoutMs > 0) timers.push(setLongTimeout(close, w.timeoutMs));
  return close;
}
