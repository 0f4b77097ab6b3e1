import { ConfigError } from "../src/config/errors.js";
import { type KubeConfig, loadConfig } from "../src/config/load-config.js";
import { createTransport } from "../src/transport/transport.js";
import { GenerateError } from "./errors.js";
import { kubernetesVersionOf } from "./generate.js";
import { type LoadedSpec, parseSpecBytes } from "./load-spec.js";

export interface ClusterSpec {
  spec: LoadedSpec;
  kubernetesVersion: string | undefined;
  config: KubeConfig;
}

/**
 * The cluster's /openapi/v2 (built-in APIs and its CRDs) through the runtime's own loaders
 * and transport, so "works with my kubeconfig" means the same at build time and run time.
 */
export async function loadClusterSpec(opts: { kubeconfig?: string; context?: string }): Promise<ClusterSpec> {
  let config: KubeConfig;
  try {
    config = await loadConfig({
      ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
      ...(opts.context !== undefined ? { context: opts.context } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new GenerateError("kubeconfig", err.message, { cause: err });
    throw err;
  }
  const where = `${config.server}/openapi/v2`;
  const transport = createTransport(config);
  try {
    const get = async (path: string) => {
      const res = await transport.request(path, { headers: { accept: "application/json" } });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) {
        throw new GenerateError(`${config.server}${path}`, `HTTP ${res.statusCode}${statusMessage(body)}`);
      }
      return body;
    };
    const version = JSON.parse((await get("/version")).toString("utf8")) as { gitVersion?: string };
    const bytes = await get("/openapi/v2");
    const label = `cluster ${config.server}${config.context ? ` (context ${config.context})` : ""}`;
    return {
      spec: parseSpecBytes(bytes, { kind: "cluster", label }),
      kubernetesVersion: kubernetesVersionOf(version.gitVersion ?? ""),
      config,
    };
  } catch (err) {
    if (err instanceof GenerateError || err instanceof ConfigError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new GenerateError(where, `unreachable: ${e.code ?? e.message}`, { cause: err });
  } finally {
    await transport.close();
  }
}

/** The `message` of a Kubernetes Status body, when the error body is one. */
function statusMessage(body: Buffer): string {
  try {
    const s = JSON.parse(body.toString("utf8")) as { kind?: string; message?: string };
    return s.kind === "Status" && s.message ? `: ${s.message}` : "";
  } catch {
    return "";
  }
}
