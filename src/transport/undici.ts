// The one undici every runtime gets. Bun answers the bare "undici" specifier with a built-in
// stand-in whose Agent ignores its options (a CA, a client certificate, a pool) and which has
// no Socks5ProxyAgent: the package's own entry file, imported by path, is the module Node and
// Deno resolve "undici" to, so each runtime runs the same transport. undici 7 has no "exports"
// map, which keeps this path public; .dependency-cruiser.cjs makes this file its only importer.
export {
  Agent,
  type Dispatcher,
  Headers,
  ProxyAgent,
  Request,
  type RequestInit,
  Response,
  request,
  Socks5ProxyAgent,
} from "undici/index.js";
