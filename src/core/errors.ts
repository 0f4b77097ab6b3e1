/**
 * A call on a client after its close(): never retried (a closed client does not come back),
 * and the error every stream of that client (watch, log follow, exec, port-forward) ends with.
 */
export class ClientClosedError extends Error {
  override readonly name = "ClientClosedError";
  readonly code = "KUBEFETCH_CLIENT_CLOSED";
  constructor() {
    super("this client was closed; make a new client from the config");
  }
}
