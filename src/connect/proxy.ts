// Proxy subresources (pods, services, nodes): plain HTTP through the apiserver to the target,
// as `kubectl get --raw .../proxy/...`. The path is built by the request layer (request.ts),
// which checks the name, the port and the trailing path.

import type { Readable } from "node:stream";
import { ConnectionError } from "../core/connection-error.js";
import type { CallOptions } from "../core/objects.js";
import type { ResourceInfo } from "../core/registry.js";
import { queryString, type RequestSpec } from "../core/request.js";
import { callSignal } from "../core/timers.js";
import { type ConnectContext, connectPath } from "./context.js";

/** One HTTP call through a proxy subresource (pods, services, nodes). */
export interface ProxyOptions extends CallOptions {
  /** The pod, service or node. */
  name: string;
  /** Omitted: the config's namespace (nodes have none). */
  namespace?: string;
  /** The target's port, a number or a port name; omitted: the default (a service's only port, the kubelet's). */
  port?: string | number;
  /** The scheme from the apiserver to the target (default http; the kubelet's own). */
  scheme?: "http" | "https";
  /** The path at the target, as text ("/healthz"): each segment is percent-encoded for you. */
  path?: string;
  /** Default GET. */
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  /** Sent on to the target; credentials and impersonation stay the client's. */
  headers?: Record<string, string>;
  /** The request body. */
  body?: string | Uint8Array;
  /** The target's query parameters. */
  query?: Record<string, unknown>;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Headers the client owns: credentials and impersonation are the client's, sent to the
 * apiserver, never the caller's to replace through a proxy call.
 */
function ownHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === "authorization" || n.startsWith("impersonate-") || n === "host" || n === "content-length";
}

/**
 * One call through the proxy: a WHATWG Response, whatever its status, as fetch answers. The
 * status is the target's (or the apiserver's own, e.g. 503 "no endpoints available", with a
 * Status JSON body): a proxied 404 is an answer, not a failure of the call. Only a connection
 * that fails throws (ConnectionError); a bad name, port or path throws before anything is sent.
 */
export async function proxy(
  ctx: ConnectContext,
  parent: ResourceInfo,
  options: ProxyOptions,
): Promise<Response> {
  const {
    name,
    namespace,
    port,
    scheme,
    path,
    method = "GET",
    headers,
    body,
    query,
    signal,
    timeoutMs,
  } = options ?? ({} as ProxyOptions);
  const spec: RequestSpec = {
    verb: "proxy",
    resource: parent,
    target: "item",
    subresource: "proxy",
    method: "GET",
    name,
    namespace,
    port,
    scheme,
    subpath: path ?? "/",
  };
  const upper = String(method).toUpperCase();
  if (!METHODS.has(upper))
    throw new TypeError(
      `${parent.plural}.proxy: method ${JSON.stringify(method)} is not an HTTP method of proxy; nothing was sent`,
    );
  const given: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (ownHeader(k))
      throw new TypeError(`${parent.plural}.proxy: header ${k} is the client's to set; nothing was sent`);
    given[k] = String(v);
  }
  const full = `${connectPath(ctx, spec)}${queryString(query)}`;
  const aborter = callSignal(signal, timeoutMs);
  let res: Awaited<ReturnType<ConnectContext["transport"]["request"]>>;
  try {
    res = await ctx.transport.request(full, {
      method: upper as "GET",
      headers: given,
      ...(body !== undefined ? { body } : {}),
      ...(aborter ? { signal: aborter } : {}),
    });
  } catch (err) {
    if (aborter?.aborted) throw err;
    throw new ConnectionError({ method: upper, server: ctx.transport.config.server, path: full, cause: err });
  }
  const out = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    for (const one of Array.isArray(v) ? v : [v ?? ""]) out.append(k, one);
  }
  if (res.statusCode === 204 || res.statusCode === 304 || upper === "HEAD") {
    await res.body.dump();
    return new Response(null, { status: res.statusCode, headers: out });
  }
  return new Response(webBody(res.body), { status: res.statusCode, headers: out });
}

/**
 * The body as a web stream, read only as the caller reads (backpressure), and cancel()
 * closes the connection. Readable.toWeb is not used: after a cancel it can still enqueue
 * and throw ERR_INVALID_STATE from an event handler, where no caller can catch it.
 */
function webBody(body: Readable): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value as Buffer));
      },
      cancel() {
        // undici reports its own abort as an error on the body: nobody is reading any more.
        body.on("error", () => {});
        body.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}
