import { access, readFile } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { type KubeConfig, makeConfig } from "./config-value.js";
import { type AuthSpec, TOKEN_REFRESH_MS } from "./credentials.js";
import { ConfigError, fsReason } from "./errors.js";
import { readPem } from "./pem.js";
import { envProxy } from "./proxy-env.js";
import { normalizeServer } from "./server-url.js";

export const DEFAULT_SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface InClusterLocation {
  server: string;
  caFile: string;
  tokenFile: string;
  namespaceFile: string;
}

/**
 * As client-go's InClusterConfig: the server from KUBERNETES_SERVICE_HOST/PORT (an IPv6 host
 * bracketed), the CA, token and namespace from the service-account folder. Undefined when the
 * environment does not say we are in a pod.
 */
export function inClusterLocation(env: NodeJS.ProcessEnv, dir: string): InClusterLocation | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  const h = isIPv6(host) ? `[${host}]` : host;
  return {
    server: `https://${h}:${port}`,
    caFile: join(dir, "ca.crt"),
    tokenFile: join(dir, "token"),
    namespaceFile: join(dir, "namespace"),
  };
}

/** `auto` mode takes in-cluster only when the environment is set and the token exists. */
export async function inClusterAvailable(env: NodeJS.ProcessEnv, dir: string): Promise<boolean> {
  const loc = inClusterLocation(env, dir);
  if (!loc) return false;
  return access(loc.tokenFile).then(
    () => true,
    () => false,
  );
}

function requireInCluster(env: NodeJS.ProcessEnv, dir: string): InClusterLocation {
  const loc = inClusterLocation(env, dir);
  if (!loc) {
    throw new ConfigError(
      "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set",
      {
        field: "in-cluster",
      },
    );
  }
  return loc;
}

/**
 * The pod's own service account: the CA, the namespace (else "default"), and the token as a
 * file re-read as the kubelet rotates it. An unreadable or empty token fails now, not on the
 * first request.
 */
export async function fromInCluster(options: {
  env: NodeJS.ProcessEnv;
  dir: string;
  tokenRefreshMs?: number | undefined;
}): Promise<KubeConfig> {
  const loc = requireInCluster(options.env, options.dir);
  const ca = await readPem(loc.caFile, "certificate", { file: loc.caFile, field: "ca.crt" });
  const namespace = (await readFile(loc.namespaceFile, "utf8").catch(() => "")).trim() || "default";
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
  const proxyUrl = envProxy(server, options.env);
  return makeConfig(
    { source: "in-cluster", server, namespace },
    { ca, insecureSkipTlsVerify: false },
    { auth, ...(proxyUrl ? { proxyUrl } : {}) },
  );
}
