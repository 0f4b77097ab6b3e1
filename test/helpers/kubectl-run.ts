import { spawn } from "node:child_process";
import type { TestCluster } from "./cluster.js";

export interface KubectlRun {
  /** Its exit code; null when it was killed (its timeout). */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface KubectlOptions {
  /**
   * Which kubectl; by default the one on PATH: the config tests judge a kubeconfig by the
   * kubectl people have, and need no cluster.
   */
  binary?: string;
  /** Bytes on its stdin (it reads an empty stdin otherwise). */
  input?: string | Uint8Array;
  /** Killed after this long; 120 s by default, longer than any `kubectl wait --timeout` of a test. */
  timeoutMs?: number;
  /** Its whole environment, not added to this process's: a kubeconfig test sets HOME and KUBECONFIG. */
  env?: NodeJS.ProcessEnv;
  /**
   * A command to run kubectl under, given kubectl and its arguments after its own: a mount
   * namespace in which a service account's files stand at their in-cluster path.
   */
  under?: string[];
}

/** Runs kubectl with `args` to its end; a failure is its exit code and stderr, not a rejection. */
export function runKubectl(
  args: string[],
  { binary = "kubectl", input, timeoutMs = 120_000, env, under }: KubectlOptions = {},
): Promise<KubectlRun> {
  const [command, ...rest] = [...(under ?? []), binary, ...args];
  const child = spawn(command as string, rest, {
    stdio: ["pipe", "pipe", "pipe"],
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    ...(env ? { env } : {}),
  });
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  // It may exit before it reads its stdin.
  child.stdin.on("error", () => {});
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

/** The options of a kubectl run against the test cluster, whose release fixes the binary. */
export type ClusterKubectlOptions = Omit<KubectlOptions, "binary"> & { kubeconfig?: string };

/**
 * Runs the real kubectl of the server's release (cluster.json's) against the test cluster,
 * as its admin unless `kubeconfig` names another of its identities.
 */
export function kubectl(
  cluster: TestCluster,
  args: string[],
  { kubeconfig = cluster.kubeconfigs.admin, ...options }: ClusterKubectlOptions = {},
): Promise<KubectlRun> {
  return runKubectl(["--kubeconfig", kubeconfig, ...args], { ...options, binary: cluster.kubectl });
}

/** `kubectl` for a step a test builds on (create, apply, wait): its stdout, or an error with its stderr. */
export async function kubectlOrThrow(
  cluster: TestCluster,
  args: string[],
  options: ClusterKubectlOptions = {},
): Promise<string> {
  const r = await kubectl(cluster, args, options);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout.toString("utf8");
}

/** `kubectl get --raw PATH` as the admin: its stdout, or its error text. */
export async function kubectlGetRaw(
  cluster: TestCluster,
  path: string,
): Promise<{ ok: boolean; out: string }> {
  const r = await kubectl(cluster, ["--cache-dir", `${cluster.dir}/kubectl-cache`, "get", "--raw", path]);
  return r.code === 0 ? { ok: true, out: r.stdout.toString("utf8") } : { ok: false, out: r.stderr };
}
