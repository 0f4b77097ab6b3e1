import type { KubeConfig } from "../src/config/config-value.js";
import { ConfigError } from "../src/config/errors.js";
import { loadConfig } from "../src/config/load-config.js";
import { redactUrl } from "../src/config/server-url.js";
import { createTransport } from "../src/transport/transport.js";
import { GenerateError } from "./errors.js";
import { kubernetesVersionOf } from "./generate.js";
import { fetchV3Documents } from "./openapi-v3.js";
import { type LoadedSpec, parseSpecBytes } from "./spec-bytes.js";

export interface ClusterSpec {
  spec: LoadedSpec;
  kubernetesVersion: string | undefined;
  config: KubeConfig;
}

export interface ClusterSpecOptions {
  kubeconfig?: string;
  context?: string;
  /** Which OpenAPI endpoint; default: v3 when the server serves it (1.27+), else v2. */
  openapi?: "v2" | "v3";
  /** Called as each v3 group-version document arrives. */
  onDocuments?: (done: number, total: number) => void;
}

/**
 * The cluster's OpenAPI (built-in APIs and its CRDs) through the runtime's own loaders and
 * transport, so "works with my kubeconfig" means the same at build time and run time. v3
 * keeps what v2 loses of a CRD's schema (nullable, oneOf/anyOf), so it is preferred.
 */
export async function loadClusterSpec(opts: ClusterSpecOptions): Promise<ClusterSpec> {
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
  const where = `${config.server}/openapi`;
  const transport = createTransport(config);
  try {
    const fetch = async (path: string) => {
      const res = await transport.request(path, { headers: { accept: "application/json" } });
      const location = res.headers.location;
      return {
        status: res.statusCode,
        body: Buffer.from(await res.body.arrayBuffer()),
        location: typeof location === "string" ? location : undefined,
      };
    };
    const get = async (path: string) => {
      let at = path;
      for (let hop = 0; ; hop++) {
        const { status, body, location } = await fetch(at);
        if (status === 200) return body;
        // A group-version document changed after the index named its hash (a CRD was added):
        // the server answers 301 to the new hash, as client-go follows it. Only that is
        // followed: the same server and path, another query.
        const next = status === 301 && location ? sameDocument(config.server, at, location) : undefined;
        if (next && hop < 3) {
          at = next;
          continue;
        }
        throw new GenerateError(
          `${config.server}${at}`,
          `HTTP ${status}${statusMessage(body)}${location ? ` (to ${redactUrl(location)})` : ""}`,
        );
      }
    };
    const version = JSON.parse((await get("/version")).toString("utf8")) as { gitVersion?: string };
    const label = `cluster ${config.server}${config.context ? ` (context ${config.context})` : ""}`;
    let spec: LoadedSpec | undefined;
    // Without --openapi v3, any refusal of /openapi/v3 (404 before 1.27) falls back to v2,
    // whose error is the one to report if that fails too.
    if (opts.openapi !== "v2") {
      const index = await fetch("/openapi/v3");
      if (index.status === 200) {
        const doc = parseSpecBytes(index.body, { kind: "cluster", label: `${config.server}/openapi/v3` });
        spec = await fetchV3Documents(
          doc.document,
          get,
          (rel) => `${config.server}${rel}`,
          { kind: "cluster", label: `${label}, /openapi/v3` },
          opts.onDocuments,
        );
      } else if (opts.openapi === "v3") {
        throw new GenerateError(
          `${config.server}/openapi/v3`,
          `HTTP ${index.status}${statusMessage(index.body)}`,
        );
      }
    }
    spec ??= parseSpecBytes(await get("/openapi/v2"), { kind: "cluster", label: `${label}, /openapi/v2` });
    return {
      spec,
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

/**
 * `location` as a path under `server` (which may have a path prefix, as behind a proxy), when it
 * names the same document as `path` with another query.
 */
export function sameDocument(server: string, path: string, location: string): string | undefined {
  const from = new URL(`${server.replace(/\/$/, "")}${path}`);
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return undefined;
  }
  if (to.origin !== from.origin || to.pathname !== from.pathname) return undefined;
  const prefix = new URL(server).pathname.replace(/\/$/, "");
  return `${to.pathname.slice(prefix.length)}${to.search}`;
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
