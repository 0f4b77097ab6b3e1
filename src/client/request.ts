// The one request layer: every verb, subresource, stream and the dynamic client describe their
// request here, and this is the only place that turns a description into a path. The name and
// namespace rules (client-go's rest.Request.Name/Namespace and IsValidPathSegmentName) and the
// namespace policy are written once, below.

import type { KubeConfig } from "../config/load-config.js";
import { type CallInit, type CallOptions, call, type HttpContext, json } from "./http.js";
import { checkObject, type ObjectValidators } from "./object-check.js";

/** What the runtime needs to know of a resource: from the registry, or found by discovery. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: readonly string[];
  paths: { collection?: string; item?: string; allNamespaces?: string };
  /** The generated definition of the kind's objects, when a generated API knows it. */
  schema?: string;
  subresources: Readonly<
    Record<
      string,
      { apiVersion: string; kind: string; verbs: readonly string[]; path: string; schema?: string }
    >
  >;
}

export interface ClientContext extends HttpContext {
  config: KubeConfig;
  /** A generated API's validators: whole objects are checked before they are sent. */
  validators?: ObjectValidators | undefined;
}

/** One request, described: which resource, where, which object, how. */
export interface RequestSpec extends CallOptions {
  /** The caller's verb, for messages: "get", "deleteCollection", "status.patch", "log", ... */
  verb: string;
  resource: ResourceInfo;
  /** The collection (list, create, deletecollection, watch) or one object. */
  target: "collection" | "item";
  /** A subresource of the item ("status", "scale", "log", ...). */
  subresource?: string;
  /** Omitted: the config's namespace (namespaced resources only). */
  namespace?: string | undefined;
  /** Every namespace: list and watch only, never with `namespace`. */
  allNamespaces?: boolean | undefined;
  name?: string | undefined;
  method: CallInit["method"];
  query?: Record<string, unknown>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** A long-lived stream (log follow, watch). */
  stream?: boolean;
}

/** A request refused before anything was sent: an unusable name or namespace, or a scope conflict. */
export class InvalidRequestError extends TypeError {
  override name = "InvalidRequestError";
  readonly verb: string;
  readonly resource: string;
  readonly field: "name" | "namespace" | "allNamespaces" | "path";
  readonly value: unknown;
  constructor(
    verb: string,
    resource: string,
    field: InvalidRequestError["field"],
    value: unknown,
    problem: string,
  ) {
    super(`${resource}.${verb}: ${field} ${JSON.stringify(value)} ${problem}; nothing was sent`);
    this.verb = verb;
    this.resource = resource;
    this.field = field;
    this.value = value;
  }
}

/**
 * A name or namespace as one path segment, as client-go: "may not be empty"
 * (rest.Request.Name), not "." or "..", no "/" or "%" (IsValidPathSegmentName). The URL
 * parser would fold "..", and "" would turn an item path into its collection: DELETE on it is
 * deletecollection.
 */
export function pathSegmentProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a string";
  if (value === "") return "may not be empty";
  if (value === "." || value === "..") return `may not be "${value}"`;
  if (value.includes("/")) return 'may not contain "/"';
  if (value.includes("%")) return 'may not contain "%"';
  return undefined;
}

function checked(spec: RequestSpec, field: "name" | "namespace", value: unknown): string {
  return checkSegment(spec.verb, spec.resource.plural, field, value);
}

function checkSegment(verb: string, resource: string, field: "name" | "namespace", value: unknown): string {
  const problem = pathSegmentProblem(value);
  if (problem) throw new InvalidRequestError(verb, resource, field, value, problem);
  return value as string;
}

/**
 * The same rule before the resource is known (the dynamic client resolves it through
 * discovery): a bad name, or a bad explicit namespace, sends not even the discovery request.
 */
export function checkEarly(
  verb: string,
  resource: string,
  given: { name?: unknown; namespace?: unknown; hasName: boolean },
): void {
  if (given.hasName) checkSegment(verb, resource, "name", given.name);
  if (given.namespace !== undefined) checkSegment(verb, resource, "namespace", given.namespace);
}

/**
 * The namespace policy, as kubectl: a namespaced verb acts in the given namespace, else the
 * config's (the context's, the pod's, else "default"); all namespaces only with
 * `allNamespaces: true`, for list and watch. Cluster-scoped resources have none.
 */
function namespaceOf(ctx: ClientContext, spec: RequestSpec): string | undefined {
  if (!spec.resource.namespaced) return undefined;
  if (spec.allNamespaces) {
    if (spec.namespace !== undefined) {
      throw new InvalidRequestError(
        spec.verb,
        spec.resource.plural,
        "allNamespaces",
        true,
        `cannot be combined with namespace "${spec.namespace}"`,
      );
    }
    if (spec.target !== "collection" || spec.method !== "GET" || spec.subresource) {
      throw new InvalidRequestError(
        spec.verb,
        spec.resource.plural,
        "allNamespaces",
        true,
        "is for list and watch only",
      );
    }
    return undefined;
  }
  return checked(spec, "namespace", spec.namespace ?? ctx.config.namespace);
}

/** The request's path: the only place a registry path template is filled. */
export function requestPath(ctx: ClientContext, spec: RequestSpec): string {
  const info = spec.resource;
  const namespace = namespaceOf(ctx, spec);
  let template: string | undefined;
  if (spec.subresource) template = info.subresources[spec.subresource]?.path;
  else if (spec.target === "item") template = info.paths.item;
  else if (info.namespaced && namespace === undefined) template = info.paths.allNamespaces;
  else template = info.paths.collection;
  if (!template) {
    const what =
      spec.subresource ?? (namespace === undefined && info.namespaced ? "all-namespaces" : spec.target);
    throw new InvalidRequestError(spec.verb, info.plural, "path", what, `is not a path of ${info.kind}`);
  }
  let path = template;
  if (path.includes("{namespace}")) path = path.replace("{namespace}", encodeURIComponent(namespace ?? ""));
  if (path.includes("{name}"))
    path = path.replace("{name}", encodeURIComponent(checked(spec, "name", spec.name)));
  return path;
}

/** Builds the path and checks the object (refusing bad ones before anything is sent), then calls. */
export async function send(ctx: ClientContext, spec: RequestSpec) {
  const path = requestPath(ctx, spec);
  checkObject(ctx.validators, spec);
  const res = await call(ctx, {
    method: spec.method,
    path,
    ...(spec.query ? { query: spec.query } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(spec.contentType ? { contentType: spec.contentType } : {}),
    ...(spec.accept ? { accept: spec.accept } : {}),
    ...(spec.stream ? { stream: true } : {}),
    ...(spec.signal ? { signal: spec.signal } : {}),
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
  });
  return { path, res };
}

/** send(), then the JSON answer. */
export async function sendJson<T>(ctx: ClientContext, spec: RequestSpec): Promise<T> {
  const { path, res } = await send(ctx, spec);
  return json<T>(res, spec.method, path);
}
