// The request layer: every verb, subresource and stream of the client sends through here. A
// description (core/request.ts) becomes a path and a checked object before anything is sent.

import { type RequestSpec, requestPath } from "../core/request.js";
import { callWithRetries, type HttpContext, json } from "./http.js";
import { checkObject, type ObjectValidators } from "./object-check.js";

export interface ClientContext extends HttpContext {
  /** A generated API's validators: whole objects are checked before they are sent. */
  validators?: ObjectValidators | undefined;
}

/** The path of a description, in the client's default namespace. */
export function pathOf(ctx: HttpContext, spec: RequestSpec): string {
  return requestPath(spec, ctx.transport.config.namespace);
}

/** Builds the path and checks the object (refusing bad ones before anything is sent), then calls. */
export async function sendRequest(ctx: ClientContext, spec: RequestSpec) {
  const path = pathOf(ctx, spec);
  checkObject(ctx.validators, spec);
  const res = await callWithRetries(ctx, {
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

/** sendRequest(), then the JSON answer. */
export async function sendJson<T>(ctx: ClientContext, spec: RequestSpec): Promise<T> {
  const { path, res } = await sendRequest(ctx, spec);
  return json<T>(res, spec.method, path);
}
