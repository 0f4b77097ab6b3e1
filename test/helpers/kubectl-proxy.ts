import { spawn } from "node:child_process";
import { testCluster } from "./cluster.js";
import { waitForOutput } from "./shell.js";

/**
 * The real `kubectl proxy` (the kubectl of the server's release) on a free loopback port: its
 * http:// URL, and how to end it.
 */
export async function startKubectlProxy(kubeconfig: string): Promise<{ url: string; stop(): void }> {
  const proxy = spawn(testCluster().kubectl, ["--kubeconfig", kubeconfig, "proxy", "--port=0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  proxy.stdout.on("data", (d: Buffer) => (out += d));
  const started = /Starting to serve on ([\d.]+:\d+)/;
  try {
    await waitForOutput(() => out, started, 20_000);
  } catch (e) {
    proxy.kill();
    throw e;
  }
  return { url: `http://${started.exec(out)?.[1]}`, stop: () => proxy.kill() };
}
