import { access } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { ConfigError } from "./errors.js";

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

export function requireInCluster(env: NodeJS.ProcessEnv, dir: string): InClusterLocation {
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
