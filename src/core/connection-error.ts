/**
 * A request that got no HTTP answer: the connection or the TLS handshake failed. The message
 * names the request, the server and, for the usual causes, what to check.
 */
export class ConnectionError extends Error {
  /** "ConnectionError", as stack traces show it. */
  override readonly name = "ConnectionError";
  /** Node's or OpenSSL's code: ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ... */
  readonly code: string | undefined;
  /** The request's HTTP method. */
  readonly method: string;
  /** The server's URL, as the config names it. */
  readonly server: string;
  /** The request's path. */
  readonly path: string;

  constructor(init: { method: string; server: string; path: string; cause: unknown }) {
    const cause = init.cause as NodeJS.ErrnoException | undefined;
    const code = cause?.code;
    const hint = code ? HINTS[code] : undefined;
    const what = cause?.message ?? String(init.cause);
    super(`${init.method} ${init.server}${init.path}: ${what}${hint ? ` (${hint})` : ""}`, {
      cause: init.cause,
    });
    this.code = code;
    this.method = init.method;
    this.server = init.server;
    this.path = init.path;
  }

  /**
   * The server's certificate did not verify (wrong CA, name, expiry): retrying the same
   * certificate cannot succeed, so a watch gives up at once (kube-rs and client-go do too).
   */
  get tlsVerification(): boolean {
    const code = this.code;
    return (
      code !== undefined &&
      (TLS_VERIFY_CODES.has(code) || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_"))
    );
  }
}

const TLS_VERIFY_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "HOSTNAME_MISMATCH",
  "INVALID_CA",
]);

const NOT_OUR_CA =
  "the server's certificate is not signed by the configured CA: check certificate-authority(-data) in the kubeconfig, or ca.crt in a pod";

// The causes users meet most, in kubectl's terms.
const HINTS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: NOT_OUR_CA,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: NOT_OUR_CA,
  SELF_SIGNED_CERT_IN_CHAIN: NOT_OUR_CA,
  DEPTH_ZERO_SELF_SIGNED_CERT: NOT_OUR_CA,
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the server's certificate is not valid for this host name: use the name it was issued for, or set tls-server-name",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  ECONNREFUSED: "nothing listens at that address: is the cluster running, and is the server right?",
  ENOTFOUND: "the host name does not resolve",
  ETIMEDOUT: "no answer from the server: check the address, a firewall or a proxy",
  UND_ERR_CONNECT_TIMEOUT: "no answer from the server: check the address, a firewall or a proxy",
};
