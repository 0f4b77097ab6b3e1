import { jitteredBackoff } from "../core/backoff.js";
import { ConnectionError } from "../core/connection-error.js";
import { ClientClosedError } from "../core/errors.js";
import { KubeError, type Status } from "../core/kube-error.js";
import type { WatchEvent, WatchOptions } from "../core/objects.js";
import type { ResourceInfo } from "../core/registry.js";
import type { RequestSpec } from "../core/request.js";
import { callSignal, setLongTimeout, sleepOrWake, type Timer } from "../core/timers.js";
import { WatchError, WatchExpiredError } from "../core/watch-errors.js";
import { callWithRetries } from "./http.js";
import { LineSplitter, LineTooLongError } from "./lines.js";
import { type ClientContext, pathOf } from "./request.js";

export { WatchError, WatchExpiredError };

/** What watchStream takes: how the watch behaves, and the rest of its query. */
export type WatchStreamOptions = WatchOptions & { resourceVersion?: string; [query: string]: unknown };

export interface WatchTuning {
  /** Backoff after a dropped connection: first wait and cap (ms). */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** A connection that lived this long resets the backoff. */
  healthyMs: number;
  /** A watch that ends sooner than this with no event is "very short": it backs off. */
  shortMs: number;
  idleMs: number;
}

const DEFAULT_TUNING: WatchTuning = {
  minBackoffMs: 500,
  maxBackoffMs: 30_000,
  healthyMs: 60_000,
  shortMs: 1_000,
  idleMs: 90_000,
};

/** Why a stream is resumed rather than ended: the watch backs off, then reconnects. */
class Resume extends Error {}

/**
 * The watch state machine (as client-go's reflector and RetryWatcher, without the list):
 *   connect(rv) -> [the first connection fails, or any TLS verification failure] -> thrown, as a get's
 *   connect(rv) -> streaming -> [server timeout: stream end after events] -> connect(rv)
 *                            -> [very short watch: ended within 1 s, no event] -> backoff -> connect(rv)
 *                            -> [silent for idleTimeoutMs] -> backoff -> connect(rv)
 *                            -> [dropped connection, 5xx, ERROR 500/504, Timeout] -> backoff -> connect(rv)
 *                            -> [410 / ERROR 410] -> WatchExpiredError (the caller relists)
 *                            -> [other ERROR event, malformed line] -> WatchError
 *                            -> [the client closed] -> ClientClosedError
 *                            -> [abort, or timeoutMs passed] -> done, socket closed
 * rv is the last resourceVersion seen (events and bookmarks), so a resumed watch misses nothing.
 * Every reconnect goes to onReconnect with its cause; without one, the client's warning
 * handler hears the first failure of each outage, so a watch is never silently retrying.
 */
export async function* watchStream(
  ctx: ClientContext,
  describe: () => Promise<RequestSpec>,
  options: WatchStreamOptions,
  tuning: WatchTuning = DEFAULT_TUNING,
): AsyncGenerator<WatchEvent<never>> {
  const {
    signal: given,
    timeoutMs,
    resourceVersion,
    onReconnect,
    reconnectBackoff,
    idleTimeoutMs,
    ...rest
  } = options;
  tuning = {
    ...tuning,
    minBackoffMs: reconnectBackoff?.minMs ?? tuning.minBackoffMs,
    maxBackoffMs: reconnectBackoff?.maxMs ?? tuning.maxBackoffMs,
    idleMs: idleTimeoutMs ?? tuning.idleMs,
  };
  // timeoutMs bounds the whole watch, reconnects included; it ends the loop as an abort does.
  const signal = callSignal(given, timeoutMs);
  const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : undefined;
  const spec = await describe();
  // The path is built (and its namespace checked) once, before the first request.
  const path = pathOf(ctx, spec);
  const info = spec.resource;
  let rv = resourceVersion;
  let failures = 0;
  let connected = false;
  let outage = false;
  const retry = async (cause: unknown, started: number) => {
    if (Date.now() - started > tuning.healthyMs) failures = 0;
    if (onReconnect) onReconnect(cause);
    else if (!outage) ctx.onWarning(`watch ${path}: reconnecting after ${describeCause(cause)}`);
    outage = true;
    await sleepOrWake(backoff(tuning, failures++), signal);
  };
  const closed = () => ctx.transport.signal.aborted;
  while (!signal?.aborted) {
    // Randomised 5-10 min server-side timeout, as the reflector does: the server ends the
    // watch cleanly and we resume, instead of a client abort killing a healthy stream.
    let timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    if (deadline !== undefined)
      timeoutSeconds = Math.max(1, Math.min(timeoutSeconds, Math.ceil((deadline - Date.now()) / 1000)));
    const query = {
      allowWatchBookmarks: true,
      ...rest,
      watch: 1,
      timeoutSeconds,
      ...(rv ? { resourceVersion: rv } : {}),
    };
    const started = Date.now();
    let res: Awaited<ReturnType<typeof callWithRetries>>;
    try {
      res = await callWithRetries(ctx, {
        method: "GET",
        path,
        query,
        stream: true,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof KubeError && err.status === 410) {
        throw new WatchExpiredError(`${path}: resourceVersion ${rv} is too old (410 Gone)`, { cause: err });
      }
      if (err instanceof KubeError && err.status < 500 && err.status !== 429) throw err;
      // Not transient: a closed client, a certificate that does not verify. And the first
      // connection's failure is the caller's to see, as a get's is (callWithRetries already retried it).
      if (
        err instanceof ClientClosedError ||
        (err instanceof ConnectionError && err.tlsVerification) ||
        !connected
      )
        throw err;
      await retry(err, started);
      continue;
    }
    connected = true;
    const body = res.body;
    let events = 0;
    // Liveness: no event and no bookmark for idleMs means a connection that went silent. One
    // timer per connection, re-armed only when it fires: a chunk just stamps the time.
    let lastData = Date.now();
    let idle: Timer | undefined;
    const check = () => {
      const quiet = Date.now() - lastData;
      if (quiet >= tuning.idleMs) {
        body.destroy(new Resume(`${path}: no event or bookmark for ${tuning.idleMs} ms`));
        return;
      }
      idle = setLongTimeout(check, tuning.idleMs - quiet).unref();
    };
    const take = (raw: Buffer) => {
      const ev = decode(raw, info, path);
      events++;
      outage = false;
      // Resume from the last version seen, bookmarks included.
      rv = (ev.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? rv;
      return ev;
    };
    try {
      idle = setLongTimeout(check, tuning.idleMs).unref();
      const splitter = new LineSplitter();
      for await (const chunk of body) {
        lastData = Date.now();
        for (const raw of splitter.push(chunk)) yield take(raw);
      }
      // A last line without "\n": decode() refuses a truncated object, and a whole one counts
      // as any other (its resourceVersion too, or every resume would replay it).
      const last = splitter.end();
      if (last) yield take(last);
      idle?.clear();
      if (signal?.aborted) return;
      // A watch that ends at once with nothing (an empty 200) would loop: client-go's reflector
      // calls it a "very short watch" and backs off as after an error.
      if (events === 0 && Date.now() - started < tuning.shortMs) {
        await retry(new Resume(`${path}: very short watch (ended with no event)`), started);
      } else if (Date.now() - started > tuning.healthyMs) {
        // The server ended a healthy watch (its timeout): resume at once.
        failures = 0;
      }
    } catch (err) {
      idle?.clear();
      if (signal?.aborted) return;
      if (closed()) throw new ClientClosedError();
      if (err instanceof WatchError) throw err;
      if (err instanceof LineTooLongError) throw new WatchError(`${path}: ${err.message}`, { cause: err });
      // A dropped or silent connection, or an ERROR the server may recover from: back off and
      // resume from the last resourceVersion.
      await retry(err, started);
    } finally {
      idle?.clear();
      body.destroy();
    }
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** ERROR events client-go's RetryWatcher resumes after: the server's, not the request's, trouble. */
function resumable(status: Status): boolean {
  return (
    status.code === 500 ||
    status.code === 504 ||
    status.reason === "Timeout" ||
    status.reason === "InternalError" ||
    status.reason === "ServerTimeout"
  );
}

/** One watch line -> a typed event; ERROR events and malformed lines throw. */
function decode(raw: Buffer, info: ResourceInfo, path: string): WatchEvent<never> {
  let ev: { type?: string; object?: Record<string, unknown> };
  try {
    ev = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new WatchError(`${path}: malformed watch event (${raw.length} bytes, not JSON)`);
  }
  if (
    !ev ||
    typeof ev !== "object" ||
    typeof ev.type !== "string" ||
    !ev.object ||
    typeof ev.object !== "object"
  ) {
    throw new WatchError(`${path}: malformed watch event (no type or object)`);
  }
  switch (ev.type) {
    case "ADDED":
    case "MODIFIED":
    case "DELETED":
      ev.object.apiVersion ??= info.apiVersion;
      ev.object.kind ??= info.kind;
      return ev as WatchEvent<never>;
    case "BOOKMARK":
      return ev as WatchEvent<never>;
    case "ERROR": {
      const status = ev.object as Status;
      if (status.code === 410)
        throw new WatchExpiredError(`${path}: ${status.message ?? "410 Gone"}`, { status });
      const text = `${path}: watch error ${status.code ?? ""} ${status.reason ?? ""}: ${status.message ?? ""}`;
      if (resumable(status)) throw new Resume(text);
      throw new WatchError(text, { status });
    }
    default:
      throw new WatchError(`${path}: unknown watch event type ${JSON.stringify(ev.type)}`);
  }
}

function backoff(t: WatchTuning, failures: number): number {
  return jitteredBackoff(t.minBackoffMs, t.maxBackoffMs, failures);
}
