import createOpenApiClient from "openapi-fetch";
import { createDiscovery } from "../client/discovery.js";
import type { ObjectValidators } from "../client/object-check.js";
import type { ClientContext } from "../client/request.js";
import { logApi, resourceApi, subresourceApi } from "../client/resource.js";
import type { KubeConfig } from "../config/config-value.js";
import { cpApi } from "../connect/cp.js";
import { attachApi, execApi } from "../connect/exec.js";
import { portForwardApi } from "../connect/port-forward.js";
import { type ProxyOptions, proxy } from "../connect/proxy.js";
import type { RetryPolicy } from "../core/objects.js";
import type { Registry, RegistryEntry, ResourceInfo } from "../core/registry.js";
import { createTransport } from "../transport/transport.js";
import { Request } from "../transport/undici.js";
import type { KubeClient } from "./types.js";

/** What createKubeClient() (and a generated createClient()) takes besides the config. */
export interface ClientOptions {
  /** When failed calls are retried; each field defaults as {@link RetryPolicy} says. */
  retry?: Partial<RetryPolicy>;

  /** Called with each Warning header's text. Default: printed once per distinct message. */
  onWarning?: (message: string) => void;
  /**
   * Unary calls: the longest silence while reading an answer (default 300 s). Watches and log
   * follows have no body timeout; a watch has `idleTimeoutMs` instead.
   */
  bodyTimeoutMs?: number;
  /**
   * A generated API's validators (`import { validators } from "./generated/.../schemas.js"`):
   * create and replace then refuse, before sending, an object that does not match its
   * generated schema (InvalidObjectError), on the typed client and on `kube.resource()` for
   * every kind the generated registry knows, CRDs generated with `--crd` included.
   */
  validators?: ObjectValidators;
}

function defaultWarnings(): (message: string) => void {
  const seen = new Set<string>();
  return (m) => {
    if (seen.has(m)) return;
    seen.add(m);
    console.warn(`Warning: ${m}`);
  };
}

/**
 * Binds the runtime to one generated API. Generated `index.ts` files call this with their
 * registry; the types come from that registry (R, its literal type), its definitions (S) and
 * its paths (P). R is not constrained to the runtime's Registry: relating the two would cost
 * every build that compiles a generated index.ts type work that grows with the API. The value
 * is of both types instead, and kubefetch's tests check that the literal type fits the shape.
 */
export function createKubeClient<R, S, P extends {}>(
  config: KubeConfig,
  registry: R & Registry,
  options: ClientOptions = {},
): KubeClient<R, S, P> {
  const transport = createTransport(
    config,
    options.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: options.bodyTimeoutMs } : {},
  );
  const ctx: ClientContext = {
    transport,
    retry: { maxRetries: 3, maxDelayMs: 10_000, baseDelayMs: 200, ...options.retry },
    onWarning: options.onWarning ?? defaultWarnings(),
    validators: options.validators,
  };
  const byKind = new Map<string, RegistryEntry>();
  const client: Record<string, unknown> = {};
  for (const [groupKey, versions] of Object.entries(registry)) {
    const g: Record<string, unknown> = {};
    for (const [version, plurals] of Object.entries(versions)) {
      const v: Record<string, unknown> = {};
      for (const [plural, entry] of Object.entries(plurals)) {
        const info: ResourceInfo = entry;
        byKind.set(`${entry.apiVersion} ${entry.kind}`, entry);
        const ready = Promise.resolve(info);
        const api = resourceApi(ctx, entry.plural, () => ready, entry.verbs);
        for (const [name, sub] of Object.entries(entry.subresources)) {
          if (name === "log") api.log = logApi(ctx, info);
          else if (name === "exec") api.exec = execApi(ctx, info);
          else if (name === "attach") api.attach = attachApi(ctx, info);
          else if (sub.schema) api[name] = subresourceApi(ctx, info, name);
        }
        if (entry.subresources.proxy) api.proxy = (o: ProxyOptions) => proxy(ctx, info, o);
        if (entry.subresources.portforward) api.portForward = portForwardApi(ctx, () => ready);
        v[plural] = api;
      }
      g[version] = v;
    }
    client[groupKey] = g;
  }
  const discovery = createDiscovery(ctx);
  const { resolve, ...discoveryApi } = discovery;
  // discovery.k8s.io and resource.k8s.io share their keys with these members: merge them.
  client.discovery = Object.assign(discoveryApi, client.discovery);
  const dynamic = (ref: { apiVersion: string; kind: string }) => {
    let info: Promise<ResourceInfo> | undefined;
    const getInfo = () => {
      // The server says where the kind lives; the generated registry, when it knows the kind,
      // gives its schema for checking objects.
      info ??= resolve(ref.apiVersion, ref.kind).then((i) => {
        const schema = byKind.get(`${i.apiVersion} ${i.kind}`)?.schema;
        return schema ? { ...i, schema } : i;
      });
      const pending = info;
      // A failed lookup is not kept: the next call asks again.
      pending.catch(() => {
        if (info === pending) info = undefined;
      });
      return pending;
    };
    const api = resourceApi(ctx, `${ref.kind} (${ref.apiVersion})`, getInfo);
    api.exec = execApi(ctx, getInfo);
    api.attach = attachApi(ctx, getInfo);
    api.proxy = async (o: ProxyOptions) => proxy(ctx, await getInfo(), o);
    api.portForward = portForwardApi(ctx, getInfo);
    return api;
  };
  client.resource = Object.assign(dynamic, client.resource);
  client.raw = createOpenApiClient({
    baseUrl: config.server.replace(/\/+$/, ""),
    fetch: (req) =>
      transport.fetch(
        req as unknown as Parameters<typeof transport.fetch>[0],
      ) as unknown as Promise<Response>,
    Request: Request as unknown as typeof globalThis.Request,
  });
  client.cp = cpApi(ctx);
  client.config = config;
  client.close = () => transport.close();
  return client as KubeClient<R, S, P>;
}
