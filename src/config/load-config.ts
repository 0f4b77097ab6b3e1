import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import {
  type Authenticator,
  basicAuth,
  execAuth,
  noAuth,
  staticToken,
  tokenFile,
} from "../transport/auth.js";
import { ConfigError, fsReason } from "./errors.js";
import { validateExec } from "./exec-credential.js";
import { DEFAULT_SERVICE_ACCOUNT_DIR, inClusterAvailable, requireInCluster } from "./in-cluster.js";
import { loadKubeconfig } from "./kubeconfig.js";
import type { ClusterEntry, UserEntry } from "./kubeconfig-file.js";

export interface LoadConfigOptions {
  /** auto: in-cluster when its environment and token exist, else kubeconfig. */
  mode?: "auto" | "in-cluster" | "kubeconfig";
  /** One file (must exist) or a list merged like KUBECONFIG. Default: $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string | string[];
  /** Overrides the kubeconfig's current-context. */
  context?: string;
  /** Default /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
  /** An explicit server and nothing else, e.g. "http://127.0.0.1:8001" for kubectl proxy. */
  server?: string;
  /** With `server`: the namespace to use (default "default"). */
  namespace?: string;
  /** Environment to read (default process.env): KUBECONFIG, KUBERNETES_SERVICE_*, HTTPS_PROXY, ... */
  env?: NodeJS.ProcessEnv;
  /** Kill an exec credential plugin that has not answered after this long (default 60 s). */
  execTimeoutMs?: number;
  /** How often a token file is re-read at most (default 60 s, as client-go). */
  tokenRefreshMs?: number;
}

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

export interface Impersonation {
  user: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** A resolved configuration. It holds no secret: credentials live with the transport. */
export interface KubeConfig {
  readonly source: "in-cluster" | "kubeconfig" | "explicit";
  readonly server: string;
  readonly namespace: string;
  readonly context?: string;
  readonly cluster?: string;
  readonly user?: string;
  /** The kubeconfig files that were read, in precedence order. */
  readonly files?: string[];
  readonly tls: TlsSettings;
  /** The cluster's proxy-url (userinfo removed); HTTPS_PROXY is applied by the transport. */
  readonly proxy?: string;
  readonly impersonate?: Impersonation;
  /** How requests authenticate: for display and diagnostics. */
  readonly auth: Authenticator["kind"] | "client-certificate";
}

/** What the transport needs and the config must not show. */
export interface ConfigSecrets {
  auth: Authenticator;
  clientCert?: { cert: string; key: string };
  proxyUrl?: string;
}

const secrets = new WeakMap<KubeConfig, ConfigSecrets>();

/** Internal: the credentials of a config made by loadConfig. */
export function configSecrets(cfg: KubeConfig): ConfigSecrets {
  const s = secrets.get(cfg);
  if (!s) throw new ConfigError("this config was not made by loadConfig()");
  return s;
}

function finish(cfg: KubeConfig, s: ConfigSecrets): KubeConfig {
  const frozen = Object.freeze(cfg);
  secrets.set(frozen, s);
  return frozen;
}

/** explicit server > in-cluster > kubeconfig > a clear error. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<KubeConfig> {
  const env = options.env ?? process.env;
  const mode = options.mode ?? "auto";
  const saDir = options.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR;
  const refresh = options.tokenRefreshMs ?? 60_000;
  if (options.server !== undefined) {
    const server = checkServer(options.server, { field: "server (option)" });
    return finish(
      {
        source: "explicit",
        server,
        namespace: options.namespace ?? "default",
        tls: { insecureSkipTlsVerify: false, clientCertificate: false },
        auth: "none",
      },
      { auth: noAuth },
    );
  }
  if (mode === "in-cluster" || (mode === "auto" && (await inClusterAvailable(env, saDir)))) {
    const loc = requireInCluster(env, saDir);
    const ca = await readPem(loc.caFile, "certificate", { file: loc.caFile, field: "ca.crt" });
    const namespace = (await readFile(loc.namespaceFile, "utf8").catch(() => "")).trim() || "default";
    const auth = tokenFile(loc.tokenFile, { periodMs: refresh, field: "token", file: loc.tokenFile });
    // Fail now, not on the first request, when the token is unreadable.
    await auth.headers();
    return finish(
      {
        source: "in-cluster",
        server: loc.server,
        namespace,
        tls: { ca, insecureSkipTlsVerify: false, clientCertificate: false },
        auth: auth.kind,
      },
      { auth },
    );
  }
  return fromKubeconfig(options, env, refresh);
}

async function fromKubeconfig(
  options: LoadConfigOptions,
  env: NodeJS.ProcessEnv,
  refresh: number,
): Promise<KubeConfig> {
  const sel = await loadKubeconfig({
    ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
    env,
  });
  const c: ClusterEntry = sel.cluster.value;
  const cw = { file: sel.cluster.file, field: sel.cluster.field };
  const server = checkServer(c.server as string, { ...cw, field: `${cw.field}.server` });
  const insecure = c.insecureSkipTlsVerify === true;
  let ca: string | undefined;
  if (c.certificateAuthorityData) {
    ca = checkPem(c.certificateAuthorityData.toString("utf8"), "certificate", {
      ...cw,
      field: `${cw.field}.certificate-authority-data`,
    });
  } else if (c.certificateAuthority) {
    ca = await readPem(c.certificateAuthority, "certificate", {
      ...cw,
      field: `${cw.field}.certificate-authority`,
    });
  }
  if (insecure && ca && server.startsWith("https:")) {
    // As client-go: a CA with insecure-skip-tls-verify is a contradiction, not a choice.
    throw new ConfigError("certificate-authority and insecure-skip-tls-verify cannot both be set", {
      ...cw,
      field: `${cw.field}.insecure-skip-tls-verify`,
    });
  }
  let proxyUrl: string | undefined;
  if (c.proxyUrl) proxyUrl = checkProxy(c.proxyUrl, { ...cw, field: `${cw.field}.proxy-url` });

  const u: UserEntry = sel.user?.value ?? {};
  const uw = sel.user ? { file: sel.user.file, field: sel.user.field } : { file: cw.file, field: "user" };
  const clientCert = await loadClientCert(u, uw);
  const auth = userAuth(u, uw, c, server, refresh, options.execTimeoutMs ?? 60_000);
  if (server.startsWith("http:") && auth.kind !== "none" && !isLoopback(new URL(server).hostname)) {
    throw new ConfigError("refusing to send credentials over plain http:// to a non-loopback server", {
      ...cw,
      field: `${cw.field}.server`,
    });
  }
  const impersonate = impersonation(u, uw);
  const cfg: KubeConfig = {
    source: "kubeconfig",
    server,
    namespace: sel.namespace,
    context: sel.contextName,
    cluster: sel.clusterName,
    ...(sel.userName ? { user: sel.userName } : {}),
    files: sel.files,
    tls: {
      ...(ca ? { ca } : {}),
      ...(c.tlsServerName ? { serverName: c.tlsServerName } : {}),
      insecureSkipTlsVerify: insecure,
      clientCertificate: clientCert !== undefined,
    },
    ...(proxyUrl ? { proxy: redactUrl(proxyUrl) } : {}),
    ...(impersonate ? { impersonate } : {}),
    auth: auth.kind === "none" && clientCert ? "client-certificate" : auth.kind,
  };
  return finish(cfg, { auth, ...(clientCert ? { clientCert } : {}), ...(proxyUrl ? { proxyUrl } : {}) });
}

function userAuth(
  u: UserEntry,
  where: { file: string; field: string },
  c: ClusterEntry,
  server: string,
  refresh: number,
  execTimeoutMs: number,
): Authenticator {
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
    return execAuth(u.exec, {
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
    });
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
    return staticToken(idToken);
  }
  // A token file rotates; it wins over a static token, which client-go only uses until the first read.
  if (u.tokenFile)
    return tokenFile(u.tokenFile, { periodMs: refresh, file: where.file, field: `${where.field}.tokenFile` });
  if (u.token) return staticToken(u.token);
  if (hasBasic) return basicAuth(u.username ?? "", u.password ?? "");
  return noAuth;
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
  if (!cert && !key) return undefined;
  if (!cert) throw new ConfigError("client-key is set without client-certificate", f("client-certificate"));
  if (!key) throw new ConfigError("client-certificate is set without client-key", f("client-key"));
  let matches = false;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new ConfigError(
      "client key cannot be read as a private key",
      f(u.clientKeyData ? "client-key-data" : "client-key"),
    );
  }
  if (!matches) throw new ConfigError("client certificate and client key do not match", where);
  return { cert, key };
}

async function readPem(path: string, what: "certificate" | "key", where: { file?: string; field: string }) {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${path} (${fsReason(err)})`, { ...where, cause: err });
  }
  return checkPem(text, what, { ...where, field: `${where.field} (${path})` });
}

/** Checks the PEM shape without ever echoing the content. */
function checkPem(
  text: string,
  what: "certificate" | "key",
  where: { file?: string; field: string },
): string {
  if (what === "certificate") {
    if (!text.includes("-----BEGIN CERTIFICATE-----"))
      throw new ConfigError("is not a PEM certificate", where);
    try {
      new X509Certificate(text);
    } catch {
      throw new ConfigError("holds a PEM certificate that cannot be parsed", where);
    }
  } else if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ConfigError("is not a PEM private key", where);
  }
  return text;
}

function checkServer(server: string, where: { file?: string; field: string }): string {
  // As client-go: a server without a scheme is https.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`server "${server}" is not a URL`, where);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`server scheme ${url.protocol} is not http or https`, where);
  }
  if (url.username || url.password) throw new ConfigError("server URL must not carry credentials", where);
  return withScheme;
}

function checkProxy(proxy: string, where: { file: string; field: string }): string {
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    throw new ConfigError("proxy-url is not a URL", where);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`proxy-url scheme ${url.protocol} is not supported (use http or https)`, where);
  }
  return proxy;
}

function impersonation(u: UserEntry, where: { file: string; field: string }): Impersonation | undefined {
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

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h === "::1";
}

/** The URL as written, its password (if any) replaced. */
function redactUrl(u: string): string {
  const url = new URL(u);
  if (!url.password) return u;
  url.password = "***";
  return url.toString();
}
