import { jitteredBackoff } from "../core/backoff.js";
import { ConnectionError } from "../core/connection-error.js";
import { ClientClosedError } from "../core/errors.js";
import { KubeError, type Status } from "../core/kube-error.js";
import type { CallOptions, RetryPolicy } from "../core/objects.js";
import { type HttpMethod, queryString } from "../core/request.js";
import { callSignal, sleepOrThrow } from "../core/timers.js";
import type { Transport } from "../transport/transport.js";
import type { Dispatcher } from "../transport/undici.js";

export interface HttpContext {
  transport: Transport;
  retry: RetryPolicy;
  onWarning: (message: string) => void;
}

export interface CallInit extends CallOptions {
  method: HttpMethod;
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** A watch or a log follow: its own pool, no body timeout. */
  stream?: boolean;
}

const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** `299 - "message"` -> message */
function warnings(h: string | string[] | undefined): string[] {
  if (!h) return [];
  const out: string[] = [];
  for (const v of Array.isArray(h) ? h : [h]) {
    const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(v);
    out.push(m ? (m[1] as string).replace(/\\(.)/g, "$1") : v);
  }
  return out;
}

/**
 * One API call with the retry rules: 429 and 503 with Retry-After for any verb (the server did
 * not act on it), other 5xx and connection resets only for GET, which is safe to repeat.
 * Returns the response with its body unread; throws KubeError for a non-2xx answer.
 */
export async function callWithRetries(ctx: HttpContext, init: CallInit): Promise<Dispatcher.ResponseData> {
  const signal = callSignal(init.signal, init.timeoutMs);
  const path = `${init.path}${queryString(init.query)}`;
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === "string"
        ? init.body
        : JSON.stringify(init.body);
  const headers: Record<string, string> = { accept: init.accept ?? "application/json" };
  if (body !== undefined) headers["content-type"] = init.contentType ?? "application/json";
  const idempotent = init.method === "GET" || init.method === "HEAD";
  for (let attempt = 0; ; attempt++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await ctx.transport.request(path, {
        method: init.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
        ...(init.stream ? { stream: true } : {}),
      });
    } catch (err) {
      // An abort is the caller's, not the connection's: it stays as it is; so does a closed client.
      if (signal?.aborted || err instanceof ClientClosedError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (!idempotent || attempt >= ctx.retry.maxRetries || !code || !RETRYABLE_CODES.has(code)) {
        throw new ConnectionError({
          method: init.method,
          server: ctx.transport.config.server,
          path,
          cause: err,
        });
      }
      await sleepOrThrow(backoff(ctx.retry, attempt), signal);
      continue;
    }
    for (const w of warnings(res.headers.warning)) ctx.onWarning(w);
    if (res.statusCode < 300) return res;
    const after = retryAfterMs(res.headers["retry-after"]);
    const retryable =
      ((res.statusCode === 429 || res.statusCode === 503) && after !== undefined) ||
      (idempotent && (res.statusCode === 429 || res.statusCode >= 500));
    if (retryable && attempt < ctx.retry.maxRetries) {
      await res.body.dump();
      await sleepOrThrow(Math.min(after ?? backoff(ctx.retry, attempt), ctx.retry.maxDelayMs), signal);
      continue;
    }
    throw await errorFrom(res, init.method, path);
  }
}

function backoff(p: RetryPolicy, attempt: number): number {
  return jitteredBackoff(p.baseDelayMs, p.maxDelayMs, attempt);
}

export async function errorFrom(
  res: Dispatcher.ResponseData,
  method: string,
  path: string,
): Promise<KubeError> {
  let text = "";
  try {
    // An error body is small; read at most 64 KiB of it.
    text = (await readAtMost(res, 65_536)).text;
  } catch {}
  try {
    const s = JSON.parse(text) as Status;
    if (s && typeof s === "object" && (s.kind === "Status" || typeof s.message === "string")) {
      return new KubeError({ status: res.statusCode, method, path, body: s });
    }
  } catch {}
  return new KubeError({ status: res.statusCode, method, path, bodyPrefix: text.slice(0, 200).trim() });
}

/**
 * The body as text, up to `limit` bytes: `whole` is false when there was more, and the rest is
 * never read (the stream is destroyed), so a huge answer costs no more than the limit.
 */
async function readAtMost(
  res: Dispatcher.ResponseData,
  limit: number,
): Promise<{ text: string; whole: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > limit) return { text: Buffer.concat(chunks).toString("utf8", 0, limit), whole: false };
  }
  return { text: Buffer.concat(chunks).toString("utf8"), whole: true };
}

/**
 * Reads a JSON body; a body that is not JSON is a KubeError, never an unhandled throw. With
 * `maxBytes`, a longer body is a KubeError too, refused after reading that many bytes.
 */
export async function json<T>(
  res: Dispatcher.ResponseData,
  method: string,
  path: string,
  maxBytes?: number,
): Promise<T> {
  let text: string;
  if (maxBytes === undefined) text = await res.body.text();
  else {
    const declared = Number(res.headers["content-length"]);
    const read = declared > maxBytes ? { text: "", whole: false } : await readAtMost(res, maxBytes);
    if (!read.whole) {
      res.body.destroy();
      throw new KubeError({
        status: res.statusCode,
        method,
        path,
        message: `the answer is larger than the ${maxBytes} bytes this client reads of it`,
      });
    }
    text = read.text;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new KubeError({
      status: res.statusCode,
      method,
      path,
      message: "the answer is not JSON",
      bodyPrefix: text.slice(0, 200),
    });
  }
}
