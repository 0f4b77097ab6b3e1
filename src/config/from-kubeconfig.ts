import { type Impersonation, type KubeConfig, makeConfig } from "./config-value.js";
import { type AuthSpec, TOKEN_REFRESH_MS } from "./credentials.js";
import { ConfigError } from "./errors.js";
import { EXEC_TIMEOUT_MS, validateExec } from "./exec-credential.js";
import type { KubeconfigSelection } from "./kubeconfig.js";
import type { ClusterEntry, UserEntry } from "./kubeconfig-file.js";
import { checkPem, pairCert, readPem } from "./pem.js";
import { envProxy } from "./proxy-env.js";
import { checkProxy, normalizeServer, refuseCleartext, usesTls as tlsFor } from "./server-url.js";

/** What of the loader's options the kubeconfig path reads; an absent number is its default. */
export interface FromKubeconfigOptions {
  env: NodeJS.ProcessEnv;
  tokenRefreshMs?: number | undefined;
  execTimeoutMs?: number | undefined;
}

/**
 * The config of the context kubectl would use: TLS material checked (never read for an http://
 * server), the user's one way to authenticate chosen as kubectl chooses it, impersonation and
 * the proxy (the cluster's proxy-url, else the environment's).
 */
export async function fromKubeconfig(
  sel: KubeconfigSelection,
  options: FromKubeconfigOptions,
): Promise<KubeConfig> {
  const refresh = options.tokenRefreshMs ?? TOKEN_REFRESH_MS;
  const c: ClusterEntry = sel.cluster.value;
  const clusterAt = { file: sel.cluster.file, field: sel.cluster.field };
  const u: UserEntry = sel.user?.value ?? {};
  const userAt = sel.user
    ? { file: sel.user.file, field: sel.user.field }
    : { file: clusterAt.file, field: "user" };
  const server = normalizeServer(c.server as string, { ...clusterAt, field: `${clusterAt.field}.server` });
  // kubectl never reads TLS material for a plain http:// server; neither do we (it may be a placeholder).
  const usesTls = tlsFor(server);
  const insecure = c.insecureSkipTlsVerify === true;
  let ca: string | undefined;
  if (usesTls && c.certificateAuthorityData) {
    ca = checkPem(c.certificateAuthorityData.toString("utf8"), "certificate", {
      ...clusterAt,
      field: `${clusterAt.field}.certificate-authority-data`,
    });
  } else if (usesTls && c.certificateAuthority) {
    ca = await readPem(c.certificateAuthority, "certificate", {
      ...clusterAt,
      field: `${clusterAt.field}.certificate-authority`,
    });
  }
  if (insecure && ca && usesTls) {
    // As client-go: a CA with insecure-skip-tls-verify is a contradiction, not a choice.
    throw new ConfigError("certificate-authority and insecure-skip-tls-verify cannot both be set", {
      ...clusterAt,
      field: `${clusterAt.field}.insecure-skip-tls-verify`,
    });
  }
  const proxyUrl = c.proxyUrl
    ? checkProxy(c.proxyUrl, { ...clusterAt, field: `${clusterAt.field}.proxy-url` })
    : envProxy(server, options.env);

  const clientCert = usesTls ? await loadClientCert(u, userAt) : undefined;
  const auth = userAuth(u, userAt, c, server, refresh, options.execTimeoutMs ?? EXEC_TIMEOUT_MS);
  refuseCleartext(server, auth.kind !== "none", { ...clusterAt, field: `${clusterAt.field}.server` });
  const impersonate = impersonation(u, userAt);
  return makeConfig(
    {
      source: "kubeconfig",
      server,
      namespace: sel.namespace,
      context: sel.contextName,
      cluster: sel.clusterName,
      ...(sel.userName ? { user: sel.userName } : {}),
      files: sel.files,
    },
    {
      ...(ca ? { ca } : {}),
      ...(c.tlsServerName ? { serverName: c.tlsServerName } : {}),
      insecureSkipTlsVerify: insecure,
    },
    { auth, ...(clientCert ? { clientCert } : {}), ...(proxyUrl ? { proxyUrl } : {}) },
    impersonate,
  );
}

function userAuth(
  u: UserEntry,
  where: { file: string; field: string },
  c: ClusterEntry,
  server: string,
  refresh: number,
  execTimeoutMs: number,
): AuthSpec {
  const hasToken = u.token !== undefined || u.tokenFile !== undefined;
  const hasBasic = u.username !== undefined || u.password !== undefined;
  if (hasToken && hasBasic) {
    throw new ConfigError("username/password and a token cannot both be set", where);
  }
  if (u.exec && u.authProvider) {
    throw new ConfigError("exec and auth-provider cannot both be set", where);
  }
  if (u.exec) {
    validateExec(u.exec, { ...where, field: `${where.field}.exec` });
    return {
      kind: "exec",
      exec: u.exec,
      context: {
        file: where.file,
        field: `${where.field}.exec`,
        timeoutMs: execTimeoutMs,
        cluster: {
          server,
          ...(c.tlsServerName ? { "tls-server-name": c.tlsServerName } : {}),
          ...(c.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
          ...(c.certificateAuthorityData
            ? { "certificate-authority-data": c.certificateAuthorityData.toString("base64") }
            : {}),
          ...(c.proxyUrl ? { "proxy-url": c.proxyUrl } : {}),
          ...(c.execExtension !== undefined ? { config: c.execExtension } : {}),
        },
      },
    };
  }
  if (u.authProvider) {
    const { name, config } = u.authProvider;
    if (name !== "oidc") {
      throw new ConfigError(`auth-provider "${name}" is not supported; use an exec credential plugin`, {
        ...where,
        field: `${where.field}.auth-provider.name`,
      });
    }
    const idToken = config["id-token"];
    if (!idToken) {
      throw new ConfigError("oidc auth-provider has no id-token", {
        ...where,
        field: `${where.field}.auth-provider.config`,
      });
    }
    return { kind: "token", token: idToken };
  }
  // A token file rotates; it wins over a static token, which client-go only uses until the first read.
  if (u.tokenFile) {
    return {
      kind: "token-file",
      path: u.tokenFile,
      periodMs: refresh,
      file: where.file,
      field: `${where.field}.tokenFile`,
    };
  }
  if (u.token) return { kind: "token", token: u.token };
  if (hasBasic) return { kind: "basic", username: u.username ?? "", password: u.password ?? "" };
  return { kind: "none" };
}

async function loadClientCert(
  u: UserEntry,
  where: { file: string; field: string },
): Promise<{ cert: string; key: string } | undefined> {
  const f = (name: string) => ({ ...where, field: `${where.field}.${name}` });
  const cert = u.clientCertificateData
    ? checkPem(u.clientCertificateData.toString("utf8"), "certificate", f("client-certificate-data"))
    : u.clientCertificate
      ? await readPem(u.clientCertificate, "certificate", f("client-certificate"))
      : undefined;
  const key = u.clientKeyData
    ? checkPem(u.clientKeyData.toString("utf8"), "key", f("client-key-data"))
    : u.clientKey
      ? await readPem(u.clientKey, "key", f("client-key"))
      : undefined;
  return pairCert(cert, key, {
    cert: f("client-certificate"),
    key: f(u.clientKeyData ? "client-key-data" : "client-key"),
    pair: where,
  });
}

/**
 * A user's as/as-uid/as-groups/as-user-extra as the Impersonation a config shows: groups, a
 * uid or extras without a user to act as are refused, as client-go's clientcmd validation does.
 */
export function impersonation(
  u: UserEntry,
  where: { file: string; field: string },
): Impersonation | undefined {
  const any = u.as || u.asUid || u.asGroups?.length || (u.asUserExtra && Object.keys(u.asUserExtra).length);
  if (!any) return undefined;
  if (!u.as)
    throw new ConfigError("as-groups, as-uid and as-user-extra need `as` (a user to impersonate)", where);
  return {
    user: u.as,
    ...(u.asUid ? { uid: u.asUid } : {}),
    groups: u.asGroups ?? [],
    extra: u.asUserExtra ?? {},
  };
}
