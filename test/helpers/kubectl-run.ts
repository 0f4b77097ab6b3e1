import { spawn } from "node:child_process";
import type { TestCluster } from "./cluster.js";

export interface KubectlRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs the real kubectl of the server's release (cluster.json's) against the test cluster's
 * admin identity, with bytes on its stdin.
 */
export function kubectl(
  cluster: TestCluster,
  args: string[],
  input?: string | Uint8Array,
  timeoutMs = 60_000,
): Promise<KubectlRun> {
  const child = spawn(cluster.kubectl, ["--kubeconfig", cluster.kubeconfigs.admin, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  child.stdin.on("error", () => {});
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    }),
  );
}

/** `kubectl get --raw PATH` as the admin: its stdout, or its error text. */
export async function kubectlGetRaw(
  cluster: TestCluster,
  path: string,
): Promise<{ ok: boolean; out: string }> {
  const r = await kubectl(cluster, ["--cache-dir", `${cluster.dir}/kubectl-cache`, "get", "--raw", path]);
  return r.code === 0 ? { ok: true, out: r.stdout.toString("utf8") } : { ok: false, out: r.stderr };
}
