// `kubefetch/transport`: HTTP to a cluster on undici, for callers that want raw requests
// with the config's TLS, proxy and credentials.
export type { RequestOptions, Transport } from "./transport.js";
export { createTransport } from "./transport.js";
