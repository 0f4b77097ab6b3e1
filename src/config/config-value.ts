import {
  type AuthSpec,
  CREDENTIALS_KEY,
  type Credentials,
  credentialsOf,
  sealConfig,
} from "./credentials.js";
import { normalizeServer, redactUrl, refuseCleartext } from "./server-url.js";

/** How the connection is verified, as the config decided; the CA is here, keys never are. */
export interface TlsSettings {
  /** PEM CA bundle; absent means the system's trust store. */
  ca?: string;
  /** SNI and certificate name to verify instead of the server's host (tls-server-name). */
  serverName?: string;
  /** Only when the kubeconfig says insecure-skip-tls-verify. */
  insecureSkipTlsVerify: boolean;
  /** Whether a client certificate is used (its key is never on this object). */
  clientCertificate: boolean;
}

/** Who requests act as (kubectl's --as, --as-uid, --as-group; a kubeconfig's as-* fields). */
export interface Impersonation {
  /** The user to act as (Impersonate-User). */
  user: string;
  /** Their uid (Impersonate-Uid). */
  uid?: string;
  /** Their groups (Impersonate-Group). */
  groups: string[];
  /** Extra fields of their user info (Impersonate-Extra-*). */
  extra: Record<string, string[]>;
}

/**
 * A resolved configuration: a plain value. Its credentials travel with it, hidden (see
 * credentials.ts), so `{ ...config, namespace: "x" }` or withNamespace() is a working copy.
 */
export interface KubeConfig {
  /** Where it came from: a pod's service account, kubeconfig files, or createConfig(). */
  readonly source: "in-cluster" | "kubeconfig" | "explicit";
  /** The API server's URL, normalised. */
  readonly server: string;
  /** The namespace calls use when they name none. */
  readonly namespace: string;
  /** The kubeconfig context used. */
  readonly context?: string;
  /** The kubeconfig cluster's name. */
  readonly cluster?: string;
  /** The kubeconfig user's name. */
  readonly user?: string;
  /** The kubeconfig files that were read, in precedence order. */
  readonly files?: string[];
  /** How the connection is verified. */
  readonly tls: TlsSettings;
  /** The proxy requests go through (password removed), if any. */
  readonly proxy?: string;
  /** Who requests act as, if anyone else. */
  readonly impersonate?: Impersonation;

  /** How requests authenticate: for display and diagnostics. */
  readonly auth: AuthSpec["kind"] | "client-certificate";
}

/**
 * The config of what a source decided. The fields that describe the credentials (the proxy
 * shown redacted, whether a client certificate is used, how requests authenticate) are
 * derived from the credentials themselves, so what a config shows cannot disagree with what
 * the transport sends.
 */
export function makeConfig(
  identity: Omit<KubeConfig, "tls" | "proxy" | "impersonate" | "auth">,
  tls: Omit<TlsSettings, "clientCertificate">,
  credentials: Credentials,
  impersonate?: Impersonation,
): KubeConfig {
  const { auth, clientCert, proxyUrl } = credentials;
  return sealConfig(
    {
      ...identity,
      tls: { ...tls, clientCertificate: clientCert !== undefined },
      ...(proxyUrl ? { proxy: redactUrl(proxyUrl) } : {}),
      ...(impersonate ? { impersonate } : {}),
      auth: auth.kind === "none" && clientCert ? "client-certificate" : auth.kind,
    },
    credentials,
  );
}

/**
 * The same credentials, TLS settings and proxy, sent to another address of the same cluster
 * (a TCP proxy, a load balancer, a tunnel), as kubectl's `--server` override does. The new
 * server is normalised and held to the same rule as any: credentials over plain http:// only
 * to loopback. A spread copy with another server is refused when used, so this is the one way.
 */
export function withServer(config: KubeConfig, server: string): KubeConfig {
  const c = credentialsOf(config);
  const where = { field: "withServer: server" };
  const next = normalizeServer(server, where);
  refuseCleartext(next, c.auth.kind !== "none" || c.clientCert !== undefined, where);
  const auth: AuthSpec =
    c.auth.kind === "exec"
      ? { ...c.auth, context: { ...c.auth.context, cluster: { ...c.auth.context.cluster, server: next } } }
      : c.auth;
  const { [CREDENTIALS_KEY]: _sealed, ...plain } = config as KubeConfig & { [CREDENTIALS_KEY]?: unknown };
  return sealConfig({ ...plain, server: next }, { ...c, auth });
}

/** The same cluster and credentials, another default namespace. */
export function withNamespace(config: KubeConfig, namespace: string): KubeConfig {
  if (typeof namespace !== "string" || namespace === "") {
    throw new TypeError(`withNamespace: namespace ${JSON.stringify(namespace)} must be a non-empty string`);
  }
  return Object.freeze({ ...config, namespace });
}
