// Events about objects, as client-go's recorders write them: events.k8s.io/v1 when the server
// serves it (tools/events), else core/v1 (tools/record). A repeat of the same event (same
// object, type, reason, action and note) within 6 minutes (tools/events' finishTime) updates
// the first Event: events.k8s.io's `series` {count, lastObservedTime}, core/v1's `count` and
// `lastTimestamp`, instead of creating another. Recording never blocks and never throws: events
// wait in a bounded queue written by one loop; when it is full, new events are dropped with
// one warning.

import { hostname } from "node:os";
import { isNotFound } from "../core/kube-error.js";
import { microTime, preciseNow } from "./micro-time.js";

/** The object an event is about: any Kubernetes object (apiVersion, kind, metadata). */
export interface EventSubject {
  /** The object's apiVersion. */
  apiVersion?: string;
  /** The object's kind. */
  kind?: string;
  /** The fields of its metadata an event's reference names. */
  metadata?: {
    /** The object's name. */
    name?: string;
    /** Its namespace; the event is written there ("default" for a cluster-scoped object). */
    namespace?: string;
    /** Its uid. */
    uid?: string;
    /** Its resourceVersion. */
    resourceVersion?: string;
  };
}

/** An event's type, as Kubernetes has only these two. */
export type EventType = "Normal" | "Warning";

/** Records events about objects, as `kubectl describe` shows them. */
export interface EventRecorder {
  /** Queues an event about `regarding`; returns at once. `action` defaults to `reason`. */
  event(regarding: EventSubject, type: EventType, reason: string, note: string, action?: string): void;
  /** Resolves once every queued event was written (or failed). */
  flush(): Promise<void>;
}

/**
 * The Events resource as the recorder uses it: create, and patch for a repeat.
 * @inline
 */
interface EventApi {
  /** Creates an Event. */
  create(object: Record<string, unknown>, options?: { namespace?: string }): Promise<unknown>;
  /** Patches a repeat's count into the first Event. */
  patch(
    ref: { name: string; namespace?: string },
    body: unknown,
    options: { type: "merge" | "strategic" },
  ): Promise<unknown>;
}

/** What the recorder needs of a client: core/v1 Events, events.k8s.io/v1 when generated, and discovery. */
export interface EventClient {
  /** core/v1 Events, the fallback. */
  core: {
    /** core/v1 */
    v1: {
      /** core/v1 Events. */
      events: EventApi;
    };
  };
  /** Absent from a client generated without the group: core/v1 is used. */
  events?: {
    /** events.k8s.io/v1 */
    v1: {
      /** events.k8s.io/v1 Events. */
      events: EventApi;
    };
  };
  /** Whether the server serves events.k8s.io/v1. */
  discovery: {
    /** Answers for a served group version, rejects (404) for another. */
    resources(groupVersion: string): Promise<unknown>;
  };
}

/** What createEventRecorder() takes. */
export interface EventRecorderOptions {
  /** The controller's name (reportingController / source.component). */
  component: string;
  /** This replica (reportingInstance is `${component}-${host}`; source.host). Default: the hostname. */
  host?: string;
  /** Most events waiting to be written (default 1000). */
  queueSize?: number;
  /** Where the one "queue full" warning and write failures go (default console.warn, once each). */
  onWarning?: (message: string) => void;
}

const SERIES_WINDOW_MS = 6 * 60_000;

interface Cached {
  name: string;
  namespace: string;
  count: number;
  first: number;
  last: number;
  /** Whether the first write succeeded (a repeat then patches it). */
  written: boolean;
}

/** An event recorder writing through `kube`: events.k8s.io/v1 when served, else core/v1. */
export function createEventRecorder(kube: EventClient, options: EventRecorderOptions): EventRecorder {
  if (!options.component) throw new TypeError("createEventRecorder: component must not be empty");
  const host = options.host ?? hostname();
  const instance = `${options.component}-${host}`;
  const limit = options.queueSize ?? 1000;
  const warned = new Set<string>();
  const warn = (kind: string, message: string) => {
    if (warned.has(kind)) return;
    warned.add(kind);
    (options.onWarning ?? ((m: string) => console.warn(`Warning: ${m}`)))(message);
  };
  const cache = new Map<string, Cached>();
  const queue: (() => Promise<void>)[] = [];
  let draining: Promise<void> | undefined;
  let api: Promise<"events" | "core"> | undefined;

  /** events.k8s.io/v1 when served (a 404 on its discovery says it is not), decided once. */
  const whichApi = () => {
    if (!kube.events) return Promise.resolve("core" as const);
    api ??= kube.discovery.resources("events.k8s.io/v1").then(
      () => "events" as const,
      (err) => {
        if (isNotFound(err)) return "core" as const;
        api = undefined; // not known yet: ask again next time
        throw err;
      },
    );
    return api;
  };

  const write = async (
    subject: EventSubject,
    type: EventType,
    reason: string,
    note: string,
    action: string,
  ) => {
    const md = subject.metadata ?? {};
    const namespace = md.namespace || "default";
    const key = JSON.stringify([
      subject.apiVersion,
      subject.kind,
      md.namespace,
      md.name,
      md.uid,
      type,
      reason,
      action,
      note,
    ]);
    const now = preciseNow();
    for (const [k, c] of cache) if (now - c.last > SERIES_WINDOW_MS) cache.delete(k);
    const which = await whichApi();
    const seen = cache.get(key);
    if (seen?.written) {
      seen.count++;
      seen.last = now;
      if (which === "events" && kube.events) {
        await kube.events.v1.events.patch(
          { namespace: seen.namespace, name: seen.name },
          { series: { count: seen.count, lastObservedTime: microTime(now) } },
          { type: "merge" },
        );
      } else {
        await kube.core.v1.events.patch(
          { namespace: seen.namespace, name: seen.name },
          { count: seen.count, lastTimestamp: seconds(now) },
          { type: "strategic" },
        );
      }
      return;
    }
    // As client-go names them: "<object>.<time in ns, hex>".
    const name = `${md.name ?? "unknown"}.${(BigInt(Math.floor(now)) * 1_000_000n + BigInt(Math.floor((now % 1) * 1e6))).toString(16)}`;
    const ref = {
      apiVersion: subject.apiVersion,
      kind: subject.kind,
      ...(md.namespace ? { namespace: md.namespace } : {}),
      name: md.name,
      ...(md.uid ? { uid: md.uid } : {}),
      ...(md.resourceVersion ? { resourceVersion: md.resourceVersion } : {}),
    };
    const entry: Cached = { name, namespace, count: 1, first: now, last: now, written: false };
    cache.set(key, entry);
    if (which === "events" && kube.events) {
      await kube.events.v1.events.create(
        {
          metadata: { name, namespace },
          eventTime: microTime(now),
          reportingController: options.component,
          reportingInstance: instance,
          action,
          reason,
          regarding: ref,
          note: note.slice(0, 1024),
          type,
        },
        { namespace },
      );
    } else {
      await kube.core.v1.events.create(
        {
          metadata: { name, namespace },
          involvedObject: ref,
          reason,
          message: note,
          source: { component: options.component, host },
          firstTimestamp: seconds(now),
          lastTimestamp: seconds(now),
          count: 1,
          type,
          reportingComponent: options.component,
          reportingInstance: host,
        },
        { namespace },
      );
    }
    entry.written = true;
  };

  const drain = async () => {
    while (queue.length) {
      const job = queue.shift() as () => Promise<void>;
      try {
        await job();
      } catch (err) {
        warn(
          "write",
          `event recorder: an event could not be written: ${(err as Error)?.message ?? String(err)}`,
        );
      }
    }
    draining = undefined;
  };

  return {
    event(regarding, type, reason, note, action) {
      if (queue.length >= limit) {
        warn("full", `event recorder: ${limit} events are waiting to be written; dropping new ones`);
        return;
      }
      queue.push(() => write(regarding, type, reason, note, action ?? reason));
      draining ??= drain();
    },
    flush: async () => {
      while (draining) await draining;
    },
  };
}

/** metav1.Time: RFC3339 in whole seconds. */
function seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
