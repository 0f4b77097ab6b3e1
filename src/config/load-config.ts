import type { KubeConfig } from "./config-value.js";
import { createConfig } from "./create-config.js";
import { ConfigError } from "./errors.js";
import { fromKubeconfig } from "./from-kubeconfig.js";
import {
  DEFAULT_SERVICE_ACCOUNT_DIR,
  fromInCluster,
  inClusterAvailable,
  inClusterLocation,
} from "./in-cluster.js";
import { defaultKubeconfigFiles, loadKubeconfig } from "./kubeconfig.js";

/** What loadConfig() takes: where to look, and what to override, as kubectl's flags do. */
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
  const inCluster = () => fromInCluster({ env, dir: saDir, tokenRefreshMs: options.tokenRefreshMs });
  if (mode === "in-cluster") return inCluster();
  const explicit =
    options.kubeconfigText !== undefined || options.kubeconfig !== undefined || options.context !== undefined;
  if (mode === "kubeconfig" || explicit) return viaKubeconfig();

  const found = await defaultKubeconfigFiles(env);
  if (found.hasContext) return viaKubeconfig();
  if (await inClusterAvailable(env, saDir)) return inCluster();
  const loc = inClusterLocation(env, saDir);
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
