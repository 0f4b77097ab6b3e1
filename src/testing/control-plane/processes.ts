// The control plane's child processes: started with their output in a log file, ended by their
// PID (SIGTERM, then SIGKILL after a grace period), and killed when the test process exits
// without stopping them. Children stay in the test process's group (not detached), so a
// terminal's Ctrl-C reaches them too.

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { open } from "node:fs/promises";
import { sleepOrWake } from "../../core/timers.js";
import type { ControlPlaneComponent } from "./control-plane-error.js";

/** How a process ended. */
export interface ProcessExit {
  /** Its exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended it. */
  signal: NodeJS.Signals | null;
  /** Why it could not be started (spawn's error), if so. */
  error?: Error;
}

/** A started child process. */
export interface ManagedProcess {
  /** Which component it is. */
  readonly component: ControlPlaneComponent;
  /** Its PID. */
  readonly pid: number;
  /** Its stdout and stderr. */
  readonly logFile: string;
  /** Settles when it has exited (and been reaped). */
  readonly exited: Promise<ProcessExit>;
  /** How it ended, once it has. */
  exit(): ProcessExit | undefined;
  /** SIGTERM; SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
  /** SIGKILL now, synchronously (for the test process's exit hook). */
  killNow(): void;
}

/** Starts `binary` with its output in `logFile` (truncated first). Throws spawn's error synchronously when there is no PID. */
export function startProcess(o: {
  component: ControlPlaneComponent;
  binary: string;
  args: readonly string[];
  logFile: string;
  env: NodeJS.ProcessEnv;
}): ManagedProcess {
  // The child writes to the file itself: no pipe keeps the test process busy, and the log
  // survives the test process for a post-mortem when the caller gave `dir`.
  // Truncated per start: a retried start's log holds that attempt only.
  const fd = openSync(o.logFile, "w", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(o.binary, o.args, { stdio: ["ignore", fd, fd], env: o.env, detached: false });
  } finally {
    closeSync(fd);
  }
  let ended: ProcessExit | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("error", (error) => {
      spawnError = error;
      // With no PID there is no 'exit' to wait for.
      if (child.pid === undefined) {
        ended = { code: null, signal: null, error };
        resolve(ended);
      }
    });
    child.once("exit", (code, signal) => {
      ended = { code, signal, ...(spawnError ? { error: spawnError } : {}) };
      resolve(ended);
    });
  });
  // A test that forgets stop() must still end: the exit hook kills what is left.
  child.unref();
  const pid = child.pid ?? -1;
  const signal = (s: NodeJS.Signals) => {
    if (ended || pid < 0) return;
    try {
      process.kill(pid, s);
    } catch {
      // ESRCH: it ended between the check and the signal.
    }
  };
  return {
    component: o.component,
    pid,
    logFile: o.logFile,
    exited,
    exit: () => ended,
    async stop(graceMs) {
      if (ended) return;
      signal("SIGTERM");
      const grace = new AbortController();
      const done = exited.then(() => grace.abort());
      await sleepOrWake(graceMs, grace.signal);
      if (!ended) {
        signal("SIGKILL");
        await done;
      }
    },
    killNow: () => signal("SIGKILL"),
  };
}

// Patterns whose matches never leave in an error message: PEM bodies, bearer tokens, and
// token=/password=/key= values (kube-apiserver prints its flags at --v=1 and more).
const SECRETS: RegExp[] = [
  /-----BEGIN [^-]+-----[\s\S]*?(-----END [^-]+-----|$)/g,
  /(bearer\s+)\S+/gi,
  /((?:token|password|secret|private[-_]?key)["']?\s*[=:]\s*["']?)[^\s"',]+/gi,
];

/** Text with secrets replaced by "[redacted]". */
export function redact(text: string): string {
  let out = text;
  out = out.replace(SECRETS[0] as RegExp, "[redacted PEM]");
  for (const re of SECRETS.slice(1)) out = out.replace(re, "$1[redacted]");
  return out;
}

/** The last `lines` lines of a log (each cut to 400 characters), redacted; "" when it cannot be read. */
export async function logTail(file: string, lines = 15): Promise<string> {
  try {
    const h = await open(file, "r");
    try {
      const { size } = await h.stat();
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      await h.read(buf, 0, length, size - length);
      const all = redact(buf.toString("utf8")).split("\n");
      return all
        .filter((l) => l.trim() !== "")
        .slice(-lines)
        .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
        .join("\n");
    } finally {
      await h.close();
    }
  } catch {
    return "";
  }
}

// Everything still to clean up when the test process exits: each entry kills its processes
// (and removes its folder) synchronously, as an 'exit' listener must.
const atExit = new Set<() => void>();
let hooked = false;

function runCleanups(): void {
  for (const c of [...atExit]) {
    atExit.delete(c);
    try {
      c();
    } catch {
      // Best effort: the process is exiting.
    }
  }
}

// A signal's default action ends Node without 'exit' (a test runner's timeout sends SIGTERM to
// the test file's process). When nothing else listens for the signal, this listener stands in
// for that default: clean up, then raise it again without the listener, so the process still
// ends by it. A program with a listener of its own decides what the signal does; its
// process.exit() reaches the 'exit' hook.
function onSignal(signal: NodeJS.Signals): void {
  const listener = () => {
    if (process.listenerCount(signal) > 1) return;
    runCleanups();
    process.removeListener(signal, listener);
    process.kill(process.pid, signal);
  };
  process.on(signal, listener);
}

/** Runs `cleanup` if the process exits (or a SIGINT, SIGTERM or SIGHUP ends it) before `release()` is called. */
export function onProcessExit(cleanup: () => void): { release(): void } {
  if (!hooked) {
    hooked = true;
    process.once("exit", runCleanups);
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) onSignal(s);
  }
  atExit.add(cleanup);
  return { release: () => atExit.delete(cleanup) };
}
