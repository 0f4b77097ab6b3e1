import type { Duplex } from "node:stream";
import { Readable } from "node:stream";
import type { KubeConfig } from "../config/config-value.js";
import { type Credentials, credentialsOf } from "../config/credentials.js";
import { proxyAuthorization, withoutCredentials } from "../config/server-url.js";
import { ClientClosedError } from "../core/errors.js";
import { sleepOrWake } from "../core/timers.js";
import { authenticator } from "./auth.js";
import { httpUpgrade, type Upgraded, type UpgradeOptions, UpgradeRefusedError } from "./http-upgrade.js";
import { checkRuntime } from "./runtime.js";
import {
  Agent,
  type Dispatcher,
  Headers,
  ProxyAgent,
  type RequestInit,
  Response,
  Socks5ProxyAgent,
  request as undiciRequest,
} from "./undici.js";

export { type Upgraded, type UpgradeOptions, UpgradeRefusedError };

/** What `transport.request()` takes: undici's request options, but origin and path are the transport's. */
export type RequestOptions = Omit<Dispatcher.RequestOptions, "origin" | "path" | "method"> & {
  /** Default GET. */
  method?: Dispatcher.HttpMethod;
  /**
   * A long-lived stream (watch, log follow): sent on the streaming pool, so streams never take
   * the connections unary calls need, and with no body timeout (liveness is the caller's).
   */
  stream?: boolean;
};

/**
 * What createTransport() takes besides the config.
 * @inline
 */
export interface TransportOptions {
  /** Unary calls: the longest silence while reading an answer (default 300 s, undici's). */
  bodyTimeoutMs?: number;
}

/** HTTP to one cluster: its TLS, proxy, credentials and impersonation, on one connection pool. */
export interface Transport {
  /** The config it connects with. */
  readonly config: KubeConfig;

  /**
   * A WHATWG fetch on this transport (for openapi-fetch): a path ("/api/v1/...") resolves
   * against the server. Built on undici.request: faster than undici's fetch, and it can send
   * a header several times (Impersonate-Group), which fetch's Headers cannot.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** undici.request on the same pool: the fast path for typed calls. */
  request(path: string, options?: RequestOptions): Promise<Dispatcher.ResponseData>;
  /**
   * An HTTP upgrade (a WebSocket handshake's request) on the streaming pool, with this
   * client's TLS, proxy, credentials and impersonation; resolves with the upgraded socket,
   * rejects with UpgradeRefusedError (status and body) when the server answers anything but
   * 101. What the upgraded protocol requires of the answer is the caller's to check.
   */
  upgrade(path: string, options: UpgradeOptions): Promise<Upgraded>;
  /** The dispatcher in use now (an exec plugin's new client certificate replaces it). */
  dispatcher(): Promise<Dispatcher>;
  /** Aborts, with a ClientClosedError, when close() is called: what a long-lived part (a port-forward listener) ends on. */
  readonly signal: AbortSignal;
  /**
   * Ends every stream at once (watches, log follows, exec and port-forward sockets, with a
   * ClientClosedError), lets unary calls in flight finish for up to a second, then frees the
   * pools. Every later call rejects with ClientClosedError.
   */
  close(): Promise<void>;
}

/**
 * A new transport with its own keep-alive pool: each client owns one, so closing a client
 * never touches another's connections, and a config can serve any number of clients.
 */
export function createTransport(config: KubeConfig, options: TransportOptions = {}): Transport {
  checkRuntime("transport");
  return makeTransport(config, credentialsOf(config), options);
}

function makeTransport(config: KubeConfig, c: Credentials, options: TransportOptions): Transport {
  const base = config.server.replace(/\/+$/, "");
  const s = { auth: authenticator(c.auth), clientCert: c.clientCert };
  // The loader chose the proxy: the cluster's proxy-url, else its environment's (client-go's rule).
  const proxy = c.proxyUrl;
  const staticHeaders = impersonationHeaders(config);
  let current: { dispatcher: Dispatcher; streams: Dispatcher; identity: string } | undefined;
  const closing = new AbortController();
  // Upgraded sockets leave undici's pool: close() ends them from here.
  const upgradedSockets = new Set<Duplex>();

  const build = (identity: { cert: string; key: string } | undefined, streams: boolean): Dispatcher => {
    const tls = {
      ...(config.tls.ca ? { ca: config.tls.ca } : {}),
      ...(identity ? { cert: identity.cert, key: identity.key } : {}),
      ...(config.tls.serverName ? { servername: config.tls.serverName } : {}),
      rejectUnauthorized: !config.tls.insecureSkipTlsVerify,
    };
    // TCP keep-alive on every connection (probes after 30 s idle, as Go's dialer): a peer that
    // vanished without a FIN is noticed by the kernel, not only by a timeout.
    const connect = { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 };
    const pool = {
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      // Unary calls share 64 connections; every stream holds one of its own pool's.
      connections: streams ? null : 64,
      bodyTimeout: streams ? 0 : (options.bodyTimeoutMs ?? 300_000),
    };
    if (!proxy) return new Agent({ connect, ...pool });
    if (new URL(proxy).protocol === "socks5:") {
      // requestTls (TLS to the server through the tunnel) is read at run time; undici 7's types omit it.
      const options = { requestTls: tls, ...pool } as Socks5ProxyAgent.Options;
      return new Socks5ProxyAgent(proxy, options);
    }
    // Go's transport sends a proxy URL's userinfo as Basic auth, a username alone too (a token);
    // undici sends it only with both parts, and would keep it in the agent's inspectable state.
    const token = proxyAuthorization(proxy);
    return new ProxyAgent({
      uri: withoutCredentials(proxy),
      requestTls: tls,
      ...(token ? { token } : {}),
      ...pool,
    });
  };

  const dispatchers = async (): Promise<{ dispatcher: Dispatcher; streams: Dispatcher }> => {
    if (closing.signal.aborted) throw new ClientClosedError();
    const identity = s.clientCert ?? (await s.auth.tlsIdentity?.());
    const key = identity ? identity.cert : "";
    if (!current || current.identity !== key) {
      const old = current;
      current = { dispatcher: build(identity, false), streams: build(identity, true), identity: key };
      // Let requests in flight on the old pools finish.
      if (old) {
        void old.dispatcher.close().catch(() => {});
        void old.streams.close().catch(() => {});
      }
    }
    return current;
  };
  const dispatcher = async () => (await dispatchers()).dispatcher;

  type HeaderMap = Record<string, string | string[]>;
  const headersFor = async (given: HeaderMap | undefined): Promise<HeaderMap> => ({
    ...staticHeaders,
    ...(await s.auth.headers()),
    ...given,
  });

  const replayable = (body: unknown) =>
    body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;

  const request = async (path: string, { stream, ...options }: RequestOptions = {}) => {
    const given = (options.headers ?? {}) as HeaderMap;
    const attempt = async () => {
      const d = await dispatchers();
      return undiciRequest(`${base}${path}`, {
        ...options,
        ...(stream ? { bodyTimeout: 0 } : {}),
        headers: await headersFor(given),
        dispatcher: stream ? d.streams : d.dispatcher,
      });
    };
    const res = await attempt();
    // After a 401, fresh credentials (a re-read token, a re-run plugin) get one more try.
    if (res.statusCode === 401 && replayable(options.body) && (await s.auth.unauthorized())) {
      await res.body.dump();
      return attempt();
    }
    return res;
  };

  const upgrade = async (path: string, options: UpgradeOptions): Promise<Upgraded> => {
    const attempt = async () => {
      const d = await dispatchers();
      return httpUpgrade(d.streams, base, path, await headersFor({}), options);
    };
    let up: Upgraded;
    try {
      up = await attempt();
    } catch (err) {
      // After a 401, fresh credentials (a re-read token, a re-run plugin) get one more try.
      if (!(err instanceof UpgradeRefusedError && err.statusCode === 401 && (await s.auth.unauthorized())))
        throw err;
      up = await attempt();
    }
    if (closing.signal.aborted) {
      up.socket.destroy();
      throw new ClientClosedError();
    }
    upgradedSockets.add(up.socket);
    up.socket.once("close", () => upgradedSockets.delete(up.socket));
    return up;
  };

  return {
    config,
    dispatcher,
    request,
    upgrade,
    async fetch(input, given) {
      let init: RequestInit = given ?? {};
      // Any WHATWG Request (undici's or Node's global one), by shape: class identity differs
      // between the two, and openapi-fetch may construct either.
      if (typeof input === "object" && !(input instanceof URL) && "url" in input && "method" in input) {
        const body = input.body ? Buffer.from(await input.arrayBuffer()) : undefined;
        const headers: Record<string, string> = {};
        input.headers.forEach((v, k) => {
          headers[k] = v;
        });
        init = { method: input.method, headers, signal: input.signal, ...(body ? { body } : {}), ...given };
        input = input.url;
      }
      // An absolute URL is compared in the normalised form the config's server has (scheme and
      // host lower-case, no default port): "https://HOST:443/api" is on "https://host".
      const full =
        typeof input === "string" && input.startsWith("/") ? `${base}${input}` : normalizedUrl(String(input));
      if (!full.startsWith(`${base}/`))
        throw new TypeError(`${full} is not on this transport's server ${base}`);
      const headers: HeaderMap = {};
      new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => {
        headers[k] = v;
      });
      const body = init.body as RequestOptions["body"];
      const res = await request(full.slice(base.length), {
        method: (init.method ?? "GET").toUpperCase() as Dispatcher.HttpMethod,
        headers,
        ...(body !== undefined && body !== null ? { body } : {}),
        ...(init.signal ? { signal: init.signal as AbortSignal } : {}),
      });
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        for (const one of Array.isArray(v) ? v : [v ?? ""]) out.append(k, one);
      }
      const nullBody =
        res.statusCode === 204 || res.statusCode === 304 || init.method?.toUpperCase() === "HEAD";
      if (nullBody) await res.body.dump();
      return new Response(nullBody ? null : (Readable.toWeb(res.body) as ReadableStream), {
        status: res.statusCode,
        headers: out,
      });
    },
    signal: closing.signal,
    async close() {
      if (closing.signal.aborted) return;
      const err = new ClientClosedError();
      closing.abort(err);
      for (const socket of upgradedSockets) socket.destroy(err);
      if (!current) return;
      const { dispatcher, streams } = current;
      // undici's close() waits for every request in flight, so a watch would hold it forever.
      const grace = new AbortController();
      const unary = dispatcher.close().then(
        () => grace.abort(),
        () => grace.abort(),
      );
      await Promise.all([
        streams.destroy(err).catch(() => {}),
        Promise.race([unary, sleepOrWake(1000, grace.signal)]).then(() =>
          dispatcher.destroy(err).catch(() => {}),
        ),
      ]);
    },
  };
}

function normalizedUrl(text: string): string {
  try {
    return new URL(text).href;
  } catch {
    return text;
  }
}

/**
 * Impersonate-* headers as client-go sends them: each group and each extra value its own
 * header line (the API server does not split on commas), extra keys percent-escaped.
 */
function impersonationHeaders(config: KubeConfig): Record<string, string | string[]> {
  const imp = config.impersonate;
  if (!imp) return {};
  const h: Record<string, string | string[]> = { "impersonate-user": imp.user };
  if (imp.uid) h["impersonate-uid"] = imp.uid;
  if (imp.groups.length) h["impersonate-group"] = imp.groups;
  for (const [k, v] of Object.entries(imp.extra)) h[`impersonate-extra-${encodeURIComponent(k)}`] = v;
  return h;
}
