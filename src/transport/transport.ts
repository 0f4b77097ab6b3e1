import { Readable } from "node:stream";
import {
  Agent,
  type Dispatcher,
  Headers,
  ProxyAgent,
  type RequestInit,
  Response,
  request as undiciRequest,
} from "undici";
import { type ConfigSecrets, configSecrets, type KubeConfig } from "../config/load-config.js";
import { proxyFromEnv } from "./proxy-env.js";

export type RequestOptions = Omit<Dispatcher.RequestOptions, "origin" | "path" | "method"> & {
  method?: Dispatcher.HttpMethod;
};

/** HTTP to one cluster: its TLS, proxy, credentials and impersonation, on one connection pool. */
export interface Transport {
  readonly config: KubeConfig;
  /**
   * A WHATWG fetch on this transport (for openapi-fetch): a path ("/api/v1/...") resolves
   * against the server. Built on undici.request: faster than undici's fetch, and it can send
   * a header several times (Impersonate-Group), which fetch's Headers cannot.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** undici.request on the same pool: the fast path for typed calls. */
  request(path: string, options?: RequestOptions): Promise<Dispatcher.ResponseData>;
  /** The dispatcher in use now (an exec plugin's new client certificate replaces it). */
  dispatcher(): Promise<Dispatcher>;
  close(): Promise<void>;
}

const transports = new WeakMap<KubeConfig, Transport>();

/** One transport, and so one keep-alive pool, per resolved config. */
export function createTransport(config: KubeConfig, env: NodeJS.ProcessEnv = process.env): Transport {
  let t = transports.get(config);
  if (!t) {
    t = makeTransport(config, configSecrets(config), env);
    transports.set(config, t);
  }
  return t;
}

function makeTransport(config: KubeConfig, s: ConfigSecrets, env: NodeJS.ProcessEnv): Transport {
  const base = config.server.replace(/\/+$/, "");
  // A cluster's proxy-url wins over the environment, as in client-go.
  const proxy = s.proxyUrl ?? proxyFromEnv(config.server, env);
  const staticHeaders = impersonationHeaders(config);
  let current: { dispatcher: Dispatcher; identity: string } | undefined;
  let closed = false;

  const build = (identity: { cert: string; key: string } | undefined): Dispatcher => {
    const tls = {
      ...(config.tls.ca ? { ca: config.tls.ca } : {}),
      ...(identity ? { cert: identity.cert, key: identity.key } : {}),
      ...(config.tls.serverName ? { servername: config.tls.serverName } : {}),
      rejectUnauthorized: !config.tls.insecureSkipTlsVerify,
    };
    const pool = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 64 };
    return proxy
      ? new ProxyAgent({ uri: proxy, requestTls: tls, ...pool })
      : new Agent({ connect: tls, ...pool });
  };

  const dispatcher = async (): Promise<Dispatcher> => {
    if (closed) throw new Error("transport is closed");
    const identity = s.clientCert ?? (await s.auth.tlsIdentity?.());
    const key = identity ? identity.cert : "";
    if (!current || current.identity !== key) {
      const old = current;
      current = { dispatcher: build(identity), identity: key };
      // Let requests in flight on the old pool finish.
      if (old) void old.dispatcher.close().catch(() => {});
    }
    return current.dispatcher;
  };

  type HeaderMap = Record<string, string | string[]>;
  const headersFor = async (given: HeaderMap | undefined): Promise<HeaderMap> => ({
    ...staticHeaders,
    ...(await s.auth.headers()),
    ...given,
  });

  const replayable = (body: unknown) =>
    body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;

  const request = async (path: string, options: RequestOptions = {}) => {
    const given = (options.headers ?? {}) as HeaderMap;
    const attempt = async () =>
      undiciRequest(`${base}${path}`, {
        ...options,
        headers: await headersFor(given),
        dispatcher: await dispatcher(),
      });
    const res = await attempt();
    // After a 401, fresh credentials (a re-read token, a re-run plugin) get one more try.
    if (res.statusCode === 401 && replayable(options.body) && (await s.auth.unauthorized())) {
      await res.body.dump();
      return attempt();
    }
    return res;
  };

  return {
    config,
    dispatcher,
    request,
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
      const full = typeof input === "string" && input.startsWith("/") ? `${base}${input}` : String(input);
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
    async close() {
      closed = true;
      transports.delete(config);
      if (current) await current.dispatcher.close();
    },
  };
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
