// Runs exec credential plugins and caches what they print: credential refreshing lives with the
// transport; config/ only describes the plugin (config/exec-credential.ts).
import { spawn } from "node:child_process";
import { ConfigError } from "../config/errors.js";
import {
  type ExecClusterInfo,
  type ExecContext,
  type ExecCredential,
  validateExec,
} from "../config/exec-credential.js";
import type { ExecEntry } from "../config/kubeconfig-file.js";
import { setLongTimeout } from "../core/timers.js";

/** Runs the plugin once and reads its ExecCredential, as client-go's exec authenticator. */
export async function runExecPlugin(exec: ExecEntry, ctx: ExecContext): Promise<ExecCredential> {
  const where = { file: ctx.file, field: ctx.field };
  validateExec(exec, where);
  const mode = exec.interactiveMode ?? "IfAvailable";
  const tty = ctx.stdinIsTTY ?? process.stdin.isTTY === true;
  if (mode === "Always" && !tty) {
    throw new ConfigError(
      "exec plugin needs an interactive terminal (interactiveMode Always) but stdin is not one",
      where,
    );
  }
  const interactive = mode !== "Never" && tty;
  const info = {
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    spec: { interactive, ...(exec.provideClusterInfo && ctx.cluster ? { cluster: ctx.cluster } : {}) },
  };
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const e of exec.env) env[e.name] = e.value;

  const stdout = await new Promise<string>((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(exec.command, exec.args, {
        env,
        // The plugin's own messages go to our stderr, as kubectl passes them through.
        stdio: [interactive ? "inherit" : "ignore", "pipe", "inherit"],
      });
    } catch (err) {
      reject(notRunnable(exec, where, err));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout?.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= 4 << 20) chunks.push(c);
    });
    const timer = setLongTimeout(() => {
      child.kill("SIGKILL");
      reject(new ConfigError(`exec plugin "${exec.command}" timed out after ${ctx.timeoutMs} ms`, where));
    }, ctx.timeoutMs);
    timer.unref();
    child.on("error", (err) => {
      timer.clear();
      reject(notRunnable(exec, where, err));
    });
    child.on("close", (code, signal) => {
      timer.clear();
      if (code === 0) resolve(Buffer.concat(chunks).toString("utf8"));
      else
        reject(
          new ConfigError(
            `exec plugin "${exec.command}" failed (${signal ? `signal ${signal}` : `exit code ${code}`})`,
            where,
          ),
        );
    });
  });
  return parseExecCredential(stdout, exec, where);
}

function notRunnable(exec: ExecEntry, where: { file: string; field: string }, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    const hint = exec.installHint ? `\n${exec.installHint.trim()}` : "";
    return new ConfigError(`exec plugin command "${exec.command}" not found${hint}`, {
      ...where,
      cause: err,
    });
  }
  return new ConfigError(`exec plugin "${exec.command}" cannot run (${code ?? "error"})`, {
    ...where,
    cause: err,
  });
}

/** The plugin's stdout is never quoted in an error: it may hold a credential. */
function parseExecCredential(
  text: string,
  exec: ExecEntry,
  where: { file: string; field: string },
): ExecCredential {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ConfigError(`exec plugin "${exec.command}" printed something that is not JSON`, where);
  }
  const o = doc as Record<string, unknown> | null;
  if (!o || typeof o !== "object" || o.kind !== "ExecCredential") {
    throw new ConfigError(`exec plugin "${exec.command}" printed JSON that is not an ExecCredential`, where);
  }
  if (o.apiVersion !== exec.apiVersion) {
    throw new ConfigError(
      `exec plugin "${exec.command}" returned apiVersion ${JSON.stringify(o.apiVersion)}, expected "${exec.apiVersion}"`,
      where,
    );
  }
  const status = o.status as Record<string, unknown> | undefined;
  if (!status || typeof status !== "object") {
    throw new ConfigError(`exec plugin "${exec.command}" returned no status`, where);
  }
  const str = (k: string) =>
    typeof status[k] === "string" && status[k] !== "" ? (status[k] as string) : undefined;
  const cred: ExecCredential = {};
  const token = str("token");
  const cert = str("clientCertificateData");
  const key = str("clientKeyData");
  if (token) cred.token = token;
  if (cert || key) {
    if (!cert || !key) {
      throw new ConfigError(
        `exec plugin "${exec.command}" returned a client certificate without its key, or the reverse`,
        where,
      );
    }
    cred.clientCertificateData = cert;
    cred.clientKeyData = key;
  }
  if (!token && !cert) {
    throw new ConfigError(
      `exec plugin "${exec.command}" returned neither a token nor a client certificate`,
      where,
    );
  }
  const exp = str("expirationTimestamp");
  if (exp) {
    const t = Date.parse(exp);
    if (Number.isNaN(t)) {
      throw new ConfigError(`exec plugin "${exec.command}" returned an invalid expirationTimestamp`, where);
    }
    cred.expiresAt = t;
  }
  return cred;
}

interface CacheEntry {
  pending?: Promise<ExecCredential>;
  value?: ExecCredential;
}

/**
 * Credentials per whole exec config (command, args, env, apiVersion, cluster info), shared by
 * every client in the process, as client-go caches its exec authenticators.
 */
const cache = new Map<string, CacheEntry>();

export function execCacheKey(exec: ExecEntry, cluster: ExecClusterInfo | undefined): string {
  return JSON.stringify([exec, exec.provideClusterInfo ? cluster : null]);
}

/** A cached credential until its expirationTimestamp; a fresh run when expired or dropped. */
export async function execCredential(
  exec: ExecEntry,
  ctx: ExecContext,
  now = Date.now(),
): Promise<ExecCredential> {
  const key = execCacheKey(exec, ctx.cluster);
  const entry = cache.get(key) ?? {};
  cache.set(key, entry);
  if (entry.value && (entry.value.expiresAt === undefined || entry.value.expiresAt > now)) return entry.value;
  if (!entry.pending) {
    entry.pending = runExecPlugin(exec, ctx)
      .then((v) => {
        entry.value = v;
        return v;
      })
      .finally(() => {
        entry.pending = undefined;
      });
  }
  return entry.pending;
}

/** Forgets a credential the server refused (401), so the next request runs the plugin again. */
export function dropExecCredential(
  exec: ExecEntry,
  cluster: ExecClusterInfo | undefined,
  refused: ExecCredential,
): void {
  const entry = cache.get(execCacheKey(exec, cluster));
  if (entry?.value === refused) entry.value = undefined;
}
