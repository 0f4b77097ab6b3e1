/**
 * HTTP to a cluster on undici, for callers that want raw requests with the config's TLS,
 * proxy and credentials.
 * @packageDocumentation
 */
export { type Runtime, UnsupportedRuntimeError } from "./runtime.js";
export type { RequestOptions, Transport, Upgraded, UpgradeOptions } from "./transport.js";
export { createTransport, UpgradeRefusedError } from "./transport.js";
