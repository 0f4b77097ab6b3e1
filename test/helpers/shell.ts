import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestCluster } from "./cluster.js";
import { repoRoot } from "./paths.js";

export interface ShellRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one command line with bash, as a reader would type it. The command gets its own
 * process group, so background jobs it starts (`kubectl proxy &`) are ended with it.
 */
export function sh(
  command: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  const child = spawn("bash", ["-eo", "pipefail", "-c", command], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => group("SIGKILL"), options.timeoutMs ?? 120_000);
  // Background jobs left behind keep the pipes open: end them once bash has exited. Not at
  // once: after a Ctrl-C, npx may exit before the program it ran has finished its own
  // shutdown, and a SIGTERM then cut its last lines off (seen with a 0 and a 3 s grace on a
  // loaded machine; none in 12 runs with 15 s).
  let reaper: NodeJS.Timeout | undefined;
  child.on("exit", () => {
    reaper = setTimeout(() => group("SIGTERM"), 15_000);
  });
  const done = new Promise<ShellRun>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(reaper);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    done,
    /** Everything printed so far. */
    output: () => stdout,
    /** Sends a signal to the whole group, as Ctrl-C in a terminal does. */
    signal: group,
    /**
     * Ctrl-C for the program itself: SIGINT to the process `tsx` runs, else to the group.
     * tsx relays a group's SIGINT to its child and, when the child's acknowledgement takes over
     * 30 ms (it did on a loaded 2-core machine), sends it SIGKILL: the program's own shutdown,
     * which is what the examples' tests check, never ran.
     */
    interrupt() {
      const programs = groupMembers(child.pid as number).filter((pid) =>
        readText(`/proc/${pid}/cmdline`).includes("tsx/dist/preflight.cjs"),
      );
      if (!programs.length) return group("SIGINT");
      for (const pid of programs) process.kill(pid, "SIGINT");
    },
  };
}

/** The environment of a reader whose kubeconfig is the test cluster's admin (outside any pod, even on a CI runner that is one). */
export function clusterEnv(cluster: TestCluster): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: cluster.kubeconfigs.admin };
  for (const k of [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NODE_OPTIONS",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
  ])
    delete env[k];
  return env;
}

/** Each example's file and the command its first line gives (`// Run:  npx tsx examples/x.ts`). */
export function exampleCommands(): { file: string; command: string }[] {
  const dir = join(repoRoot, "examples");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((f) => {
      const first = readFileSync(join(dir, f), "utf8").split("\n")[0] ?? "";
      const m = /^\/\/ Run[^:]*:\s+(.+?)(?:\s{2,}\(.*\))?$/.exec(first);
      if (!m?.[1]) throw new Error(`examples/${f}: the first line does not say how to run it`);
      return { file: f, command: m[1] };
    });
}

/** Resolves when `text` has been printed, or rejects after `ms`. */
export async function waitForOutput(output: () => string, text: string | RegExp, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  const found = () => (typeof text === "string" ? output().includes(text) : text.test(output()));
  while (!found()) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${text}; got:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** The processes of one process group, from /proc (field 5 of stat is the group). */
function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      const stat = readText(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(fields[2]) === pgid;
    })
    .map(Number);
}
