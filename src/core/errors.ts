/**
 * A call on a client after its close(): never retried (a closed client does not come back),
 * and the error every stream of that client (watch, log follow, exec, port-forward) ends with.
 */
export class ClientClosedError extends Error {
  /** "ClientClosedError", as stack traces show it. */
  override readonly name = "ClientClosedError";
  /** A code to test for, as Node's errors have one. */
  readonly code = "KUBEFETCH_CLIENT_CLOSED";

  constructor() {
    super("this client was closed; make a new client from the config");
  }
}
