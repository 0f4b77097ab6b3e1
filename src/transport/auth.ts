import { readFile } from "node:fs/promises";
import type { AuthSpec } from "../config/credentials.js";
import { ConfigError, fsReason } from "../config/errors.js";
import type { ExecContext, ExecCredential } from "../config/exec-credential.js";
import type { ExecEntry } from "../config/kubeconfig-file.js";
import { dropExecCredential, execCredential } from "./exec-plugin.js";

/** Where a request's credentials come from; one per resolved config. */
export interface Authenticator {
  readonly kind: "none" | "token" | "token-file" | "basic" | "exec";
  /** Headers for the next request; may re-read a token file or run an exec plugin. */
  headers(): Promise<Record<string, string>>;
  /** After a 401: forget what was refused; true when a retry may succeed. */
  unauthorized(): Promise<boolean>;
  /** A client certificate that can change over time (exec plugins), if any. */
  tlsIdentity?(): Promise<{ cert: string; key: string } | undefined>;
}

export const noAuth: Authenticator = {
  kind: "none",
  headers: async () => ({}),
  unauthorized: async () => false,
};

export function staticToken(token: string): Authenticator {
  const headers = { authorization: `Bearer ${token}` };
  return { kind: "token", headers: async () => headers, unauthorized: async () => false };
}

export function basicAuth(username: string, password: string): Authenticator {
  const headers = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
  return { kind: "basic", headers: async () => headers, unauthorized: async () => false };
}

/**
 * A bearer token file that rotates (service-account tokens, tokenFile), as client-go's
 * NewCachedFileTokenSource: re-read at most once per period (a minute), and at once after a
 * 401. A failed re-read keeps the last good token.
 */
export function tokenFile(
  path: string,
  opts: { periodMs: number; field: string; file?: string },
): Authenticator {
  let token: string | undefined;
  let readAt = 0;
  let pending: Promise<void> | undefined;
  const read = async () => {
    try {
      const text = (await readFile(path, "utf8")).trim();
      if (!text) throw new ConfigError(`token file ${path} is empty`, { file: opts.file, field: opts.field });
      token = text;
      readAt = Date.now();
    } catch (err) {
      if (token !== undefined) {
        readAt = Date.now();
        return;
      }
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`cannot read token file ${path} (${fsReason(err)})`, {
        file: opts.file,
        field: opts.field,
        cause: err,
      });
    }
  };
  const refresh = () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  return {
    kind: "token-file",
    async headers() {
      if (token === undefined || Date.now() - readAt >= opts.periodMs) await refresh();
      return { authorization: `Bearer ${token}` };
    },
    async unauthorized() {
      const before = token;
      await refresh();
      return token !== before;
    },
  };
}

/** Credentials from an exec plugin: cached until they expire, the plugin re-run after a 401. */
export function execAuth(exec: ExecEntry, ctx: ExecContext): Authenticator {
  let last: ExecCredential | undefined;
  const current = async () => {
    last = await execCredential(exec, ctx);
    return last;
  };
  return {
    kind: "exec",
    async headers(): Promise<Record<string, string>> {
      const c = await current();
      return c.token ? { authorization: `Bearer ${c.token}` } : {};
    },
    async unauthorized() {
      if (last) dropExecCredential(exec, ctx.cluster, last);
      return true;
    },
    async tlsIdentity() {
      const c = await current();
      return c.clientCertificateData && c.clientKeyData
        ? { cert: c.clientCertificateData, key: c.clientKeyData }
        : undefined;
    },
  };
}

/** The authenticator a config's credentials describe; one per transport. */
export function authenticator(spec: AuthSpec): Authenticator {
  switch (spec.kind) {
    case "none":
      return noAuth;
    case "token":
      return staticToken(spec.token);
    case "basic":
      return basicAuth(spec.username, spec.password);
    case "token-file":
      return tokenFile(spec.path, {
        periodMs: spec.periodMs,
        field: spec.field,
        ...(spec.file !== undefined ? { file: spec.file } : {}),
      });
    case "exec":
      return execAuth(spec.exec, spec.context);
  }
}
