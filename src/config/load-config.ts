import { access, readFile } from "node:fs/promises";
import { type KubeConfig, makeConfig } from "./config-value.js";
import { type AuthSpec, TOKEN_REFRESH_MS } from "./credentials.js";
import { ConfigError, fsReason } from "./errors.js";
import { fromKubeconfig, impersonation } from "./from-kubeconfig.js";
import { DEFAULT_SERVICE_ACCOUNT_DIR, inClusterLocation } from "./in-cluster.js";
import { defaultKubeconfigFiles, loadKubeconfig } from "./kubeconfig.js";
import { checkPem, pairCert, readPem } from "./pem.js";
import { envProxy } from "./proxy-env.js";
import { checkProxy, normalizeServer, refuseCleartext } from "./server-url.js";

export interface LoadConfigOptions {
  /**
   * Which source to use. Default "auto", client-go's deferred loading (kubectl's rule): the
   * kubeconfig the default rules find when it names a context, else in-cluster, else an error.
   */
  mode?: "auto" | "in-cluster" | "kubeconfig";
  /** One file (must exist) or a list merged like KUBECONFIG. Always wins over in-cluster. */
  kubeconfig?: string | string[];
  /** A kubeconfig held in memory (a secret, a test); relative paths resolve against the cwd. */
  kubeconfigText?: string;
  /** Overrides the kubeconfig's current-context. Always means a kubeconfig. */
  context?: string;
  /** Default /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
  /** An explicit server and nothing else, e.g. "http://127.0.0.1:8001" for kubectl proxy. */
  server?: string;
  /** With `server`: the namespace to use (default "default"). */
  namespace?: string;
  /** Environment to read (default process.env): KUBECONFIG, HOME, KUBERNETES_SERVICE_*, HTTPS_PROXY, NO_PROXY. */
  env?: NodeJS.ProcessEnv;
  /** Kill an exec credential plugin that has not answered after this long (default 60 s). */
  execTimeoutMs?: number;
  /** How often a token file is re-read at most (default 60 s, as client-go). */
  tokenRefreshMs?: number;
}

/**
 * Which source, as client-go's deferred loading (kubectl, client-node's loadFromDefault):
 *   1. explicit options: `server`, `kubeconfigText`, `mode`, `kubeconfig`, `context`;
 *   2. the kubeconfig the default rules find ($KUBECONFIG, else ~/.kube/config) when it names a
 *      current-context (an empty or missing one is not a choice);
 *   3. in-cluster, when KUBERNETES_SERVICE_HOST/PORT and the service-account token are there;
 *   4. else a ConfigError that lists what was looked at.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<KubeConfig> {
  const env = options.env ?? process.env;
  const mode = options.mode ?? "auto";
  const saDir = options.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR;
  if (options.server !== undefined) {
    return createConfig({
      server: options.server,
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      env,
    });
  }
  const viaKubeconfig = async () =>
    fromKubeconfig(await loadKubeconfig(kcOptions(options, env)), {
      env,
      tokenRefreshMs: options.tokenRefreshMs,
      execTimeoutMs: options.execTimeoutMs,
    });
  if (mode === "in-cluster") return fromInCluster(options, env, saDir);
  const explicit =
    options.kubeconfigText !== undefined || options.kubeconfig !== undefined || options.context !== undefined;
  if (mode === "kubeconfig" || explicit) return viaKubeconfig();

  const found = await defaultKubeconfigFiles(env);
  if (found.hasContext) return viaKubeconfig();
  const loc = inClusterLocation(env, saDir);
  const tokenThere = loc
    ? await access(loc.tokenFile).then(
        () => true,
        () => false,
      )
    : false;
  if (loc && tokenThere) return fromInCluster(options, env, saDir);
  const looked = [
    `${found.describe} (${found.files.length ? "no current-context" : "not found"})`,
    loc
      ? `in-cluster (no token at ${loc.tokenFile})`
      : "in-cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)",
  ];
  throw new ConfigError(`no configuration found; looked at: ${looked.join("; ")}`);
}

function kcOptions(options: LoadConfigOptions, env: NodeJS.ProcessEnv) {
  return {
    ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.kubeconfigText !== undefined ? { text: options.kubeconfigText } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
    env,
  };
}

async function fromInCluster(options: LoadConfigOptions, env: NodeJS.ProcessEnv, saDir: string) {
  const loc = inClusterLocation(env, saDir);
  if (!loc) {
    throw new ConfigError(
      "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set",
      {
        field: "in-cluster",
      },
    );
  }
  const ca = await readPem(loc.caFile, "certificate", { file: loc.caFile, field: "ca.crt" });
  const namespace = (await readFile(loc.namespaceFile, "utf8").catch(() => "")).trim() || "default";
  // Fail now, not on the first request, when the token is unreadable or empty.
  let token = "";
  try {
    token = (await readFile(loc.tokenFile, "utf8")).trim();
  } catch (err) {
    throw new ConfigError(`cannot read token file ${loc.tokenFile} (${fsReason(err)})`, {
      file: loc.tokenFile,
      field: "token",
      cause: err,
    });
  }
  if (!token)
    throw new ConfigError(`token file ${loc.tokenFile} is empty`, { file: loc.tokenFile, field: "token" });
  const auth: AuthSpec = {
    kind: "token-file",
    path: loc.tokenFile,
    periodMs: options.tokenRefreshMs ?? TOKEN_REFRESH_MS,
    file: loc.tokenFile,
    field: "token",
  };
  const server = normalizeServer(loc.server, { field: "KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT" });
  const proxyUrl = envProxy(server, env);
  return makeConfig(
    { source: "in-cluster", server, namespace },
    { ca, insecureSkipTlsVerify: false },
    { auth, ...(proxyUrl ? { proxyUrl } : {}) },
  );
}

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
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  /** Default "default". */
  namespace?: string;
  impersonate?: { user: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
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
