import { type KubeConfig, makeConfig } from "./config-value.js";
import { type AuthSpec, TOKEN_REFRESH_MS } from "./credentials.js";
import { ConfigError } from "./errors.js";
import { impersonation } from "./from-kubeconfig.js";
import { checkPem, pairCert } from "./pem.js";
import { envProxy } from "./proxy-env.js";
import { checkProxy, normalizeServer, refuseCleartext } from "./server-url.js";

/** What createConfig() takes: a server and credentials a program already has. */
export interface CreateConfigOptions {
  /** https://host:port, or http:// for loopback (kubectl proxy). */
  server: string;
  /** PEM CA bundle to trust (default: the system's). */
  ca?: string;
  /** A bearer token. */
  token?: string;
  /** A bearer token file, re-read as it rotates (as a service-account token). */
  tokenFile?: string;
  /** PEM client certificate and key. */
  clientCert?: string;
  /** The PEM key of `clientCert`; it must match the certificate. */
  clientKey?: string;
  /** Skip verifying the server's certificate (never with `ca`): for test clusters only. */
  insecureSkipTlsVerify?: boolean;
  /** The name to verify the server's certificate for, instead of the server's host. */
  tlsServerName?: string;
  /** Default "default". */
  namespace?: string;
  /** Who requests act as, as {@link Impersonation} (groups and extra default to none). */
  impersonate?: {
    /** The user to act as. */
    user: string;
    /** Their uid. */
    uid?: string;
    /** Their groups. */
    groups?: string[];
    /** Extra fields of their user info. */
    extra?: Record<string, string[]>;
  };

  /** http://, https:// or socks5:// proxy; default HTTPS_PROXY/HTTP_PROXY/NO_PROXY of `env`. */
  proxyUrl?: string;
  /** Environment for the proxy variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** How often a token file is re-read at most (default 60 s). */
  tokenRefreshMs?: number;
}

/**
 * A config from credentials a program already has: no files, no environment but the proxy
 * variables. Checked as a kubeconfig is: PEM shapes, the key matching the certificate, no
 * credentials over plain http to a non-loopback server.
 */
export function createConfig(o: CreateConfigOptions): KubeConfig {
  const where = (field: string) => ({ field: `createConfig: ${field}` });
  if (o === null || typeof o !== "object" || typeof o.server !== "string") {
    throw new ConfigError("server is required", where("server"));
  }
  const server = normalizeServer(o.server, where("server"));
  if (o.token !== undefined && o.tokenFile !== undefined) {
    throw new ConfigError("token and tokenFile cannot both be set", where("token"));
  }
  const ca = o.ca !== undefined ? checkPem(o.ca, "certificate", where("ca")) : undefined;
  if (o.insecureSkipTlsVerify && ca) {
    throw new ConfigError("ca and insecureSkipTlsVerify cannot both be set", where("insecureSkipTlsVerify"));
  }
  const clientCert = pairCert(
    o.clientCert !== undefined ? checkPem(o.clientCert, "certificate", where("clientCert")) : undefined,
    o.clientKey !== undefined ? checkPem(o.clientKey, "key", where("clientKey")) : undefined,
    { cert: where("clientCert"), key: where("clientKey"), pair: where("clientCert") },
  );
  const auth: AuthSpec =
    o.tokenFile !== undefined
      ? {
          kind: "token-file",
          path: o.tokenFile,
          periodMs: o.tokenRefreshMs ?? TOKEN_REFRESH_MS,
          field: "createConfig: tokenFile",
        }
      : o.token !== undefined
        ? { kind: "token", token: o.token }
        : { kind: "none" };
  refuseCleartext(server, auth.kind !== "none", where("server"));
  const proxyUrl =
    o.proxyUrl !== undefined
      ? checkProxy(o.proxyUrl, where("proxyUrl"))
      : envProxy(server, o.env ?? process.env);
  const impersonate = o.impersonate
    ? impersonation(
        {
          as: o.impersonate.user,
          ...(o.impersonate.uid ? { asUid: o.impersonate.uid } : {}),
          ...(o.impersonate.groups ? { asGroups: o.impersonate.groups } : {}),
          ...(o.impersonate.extra ? { asUserExtra: o.impersonate.extra } : {}),
        },
        { file: "", field: "createConfig: impersonate" },
      )
    : undefined;
  return makeConfig(
    { source: "explicit", server, namespace: o.namespace ?? "default" },
    {
      ...(ca ? { ca } : {}),
      ...(o.tlsServerName ? { serverName: o.tlsServerName } : {}),
      insecureSkipTlsVerify: o.insecureSkipTlsVerify === true,
    },
    { auth, ...(clientCert ? { clientCert } : {}), ...(proxyUrl ? { proxyUrl } : {}) },
    impersonate,
  );
}
