import { ConfigError } from "./errors.js";
import type { ExecEntry } from "./kubeconfig-file.js";

const API_VERSIONS = new Set(["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]);
const MODES = new Set(["Never", "IfAvailable", "Always"]);

/**
 * How long an exec plugin may take to answer before it is killed: one waiting on a login that
 * nobody completes would otherwise hold every request.
 */
export const EXEC_TIMEOUT_MS = 60_000;

/** The cluster as an exec plugin sees it in KUBERNETES_EXEC_INFO when provideClusterInfo is set. */
export interface ExecClusterInfo {
  server: string;
  "tls-server-name"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "certificate-authority-data"?: string;
  "proxy-url"?: string;
  config?: unknown;
}

export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Epoch ms; absent means the credential does not expire (kept until a 401). */
  expiresAt?: number;
}

export interface ExecContext {
  /** Where the exec config lives, for error messages. */
  file: string;
  field: string;
  cluster?: ExecClusterInfo;
  timeoutMs: number;
  stdinIsTTY?: boolean;
}

/** Checks what kubectl checks before running a plugin, so a broken config fails at load. */
export function validateExec(exec: ExecEntry, where: { file: string; field: string }): void {
  if (!exec.apiVersion)
    throw new ConfigError("apiVersion is required", { ...where, field: `${where.field}.apiVersion` });
  if (!API_VERSIONS.has(exec.apiVersion)) {
    throw new ConfigError(
      `apiVersion "${exec.apiVersion}" is not supported (use client.authentication.k8s.io/v1 or v1beta1)`,
      { ...where, field: `${where.field}.apiVersion` },
    );
  }
  if (exec.interactiveMode !== undefined && !MODES.has(exec.interactiveMode)) {
    throw new ConfigError(
      `interactiveMode "${exec.interactiveMode}" is not one of Never, IfAvailable, Always`,
      {
        ...where,
        field: `${where.field}.interactiveMode`,
      },
    );
  }
  if (exec.apiVersion.endsWith("/v1") && exec.interactiveMode === undefined) {
    throw new ConfigError("interactiveMode must be set for client.authentication.k8s.io/v1", {
      ...where,
      field: `${where.field}.interactiveMode`,
    });
  }
}
