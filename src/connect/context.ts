// What a connection (exec, attach, port-forward, proxy, cp) needs of the client: its transport
// and where warnings go. Paths come from the one path builder, in the config's namespace.

import { type RequestSpec, requestPath } from "../core/request.js";
import type { Transport } from "../transport/transport.js";

export interface ConnectContext {
  transport: Transport;
  onWarning: (message: string) => void;
}

/** The path of a description, in the client's default namespace. */
export function connectPath(ctx: ConnectContext, spec: RequestSpec): string {
  return requestPath(spec, ctx.transport.config.namespace);
}
