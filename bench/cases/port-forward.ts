import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { get } from "node:http";
import { join } from "node:path";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { loadConfig } from "../../src/index.js";
import { httpdPod } from "../../test/helpers/httpd-pod.js";
import { podsAdmitted } from "../../test/helpers/node.js";
import type { Benchmark, Figure } from "../harness.js";
import { competitorBin, competitorsDir, repoRoot, rounds, withCluster } from "../harness.js";

const SIZE = 10 * 1024 * 1024;
const SUBJECTS = ["kubefetch", "kubectl port-forward", "@kubernetes/client-node (Node 22)"] as const;

/** GET the file through a local port: its time and md5. The same HTTP client for every subject. */
function download(port: number, path: string): Promise<{ ms: number; md5: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const hash = createHash("md5");
    let bytes = 0;
    get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.on("data", (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      res.on("end", () => resolve({ ms: performance.now() - t, md5: hash.digest("hex"), bytes }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** Starts one forwarder in its own process; resolves with its local port once it listens. */
function forwarder(
  subject: (typeof SUBJECTS)[number],
  kubeconfig: string,
  cacheDir: string,
  ns: string,
  port: number,
) {
  const [cmd, args] =
    subject === "kubefetch"
      ? [
          process.execPath,
          [join(repoRoot, "bench/child/port-forward.mjs"), kubeconfig, ns, "web", String(port)],
        ]
      : subject === "kubectl port-forward"
        ? [
            "kubectl",
            [
              "--kubeconfig",
              kubeconfig,
              "--cache-dir",
              cacheDir,
              "-n",
              ns,
              "port-forward",
              "pod/web",
              `:${port}`,
              "--address",
              "127.0.0.1",
            ],
          ]
        : [
            competitorBin("node"),
            [join(competitorsDir, "child/port-forward.mjs"), kubeconfig, ns, "web", String(port)],
          ];
  const child: ChildProcess = spawn(cmd as string, args as string[], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: "" },
  });
  const local = new Promise<number>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr?.on("data", (d) => (err += d));
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /"local":(\d+)/.exec(out) ?? /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`${subject} exited ${code}: ${err}`)));
  });
  const stop = async () => {
    child.stdin?.end();
    child.kill("SIGTERM");
    if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
  };
  return { local, stop };
}

export const portForwardBench: Benchmark = {
  name: "port-forward",
  title: "10 MiB over HTTP through a port-forward to a busybox httpd pod on the real test node",
  goals: [
    {
      text: "10 MiB ≤ 1.5× kubectl port-forward's time",
      subject: "kubefetch",
      metric: "10 MiB download",
      versus: "kubectl port-forward",
      ratio: 1.5,
    },
  ],
  async run(ctx) {
    return withCluster(true, async (c) => {
      const kube = createClient(await loadConfig({ kubeconfig: c.kubeconfigs.admin, env: {} }));
      const ns = `bench-pf-${process.pid}`;
      const size = ctx.tiny ? 1024 * 1024 : SIZE;
      const figures: Figure[] = [];
      try {
        await kube.core.v1.namespaces.create({ metadata: { name: ns } });
        const until = async (check: () => Promise<boolean>, what: string) => {
          for (let i = 0; !(await check().catch(() => false)); i++) {
            if (i > 400) throw new Error(`bench port-forward: timed out waiting for ${what}`);
            await new Promise((r) => setTimeout(r, 250));
          }
        };
        await podsAdmitted(kube, c, ns);
        // A free port on the machine: hostNetwork pods share its ports.
        const { createServer } = await import("node:net");
        const s = createServer();
        await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
        const port = (s.address() as { port: number }).port;
        await new Promise((r) => s.close(r));
        await kube.core.v1.pods.create(httpdPod({ namespace: ns, image: c.images.busybox, port, size }));
        await until(
          async () =>
            (await kube.core.v1.pods.get({ namespace: ns, name: "web" })).status?.containerStatuses?.[0]
              ?.ready === true,
          "the httpd pod",
        );
        let expected = "";
        for (const subject of SUBJECTS) {
          const f = forwarder(subject, c.kubeconfigs.admin, join(c.dir, "kubectl-cache"), ns, port);
          try {
            const local = await f.local;
            // httpd answers once it has written the file; the first request also opens the path.
            await until(
              async () => (await download(local, "/big.md5")).bytes === 33,
              "httpd through the forward",
            );
            expected ||= await new Promise<string>((resolve, reject) => {
              get({ host: "127.0.0.1", port: local, path: "/big.md5", agent: false }, (res) => {
                let t = "";
                res.on("data", (d) => (t += d));
                res.on("end", () => resolve(t.trim()));
              }).on("error", reject);
            });
            const samples = await rounds(
              ctx,
              async () => {
                const r = await download(local, "/big");
                if (r.bytes !== size || r.md5 !== expected)
                  throw new Error(`${subject}: ${r.bytes} bytes, md5 ${r.md5}, want ${size} and ${expected}`);
                return r.ms;
              },
              1 / 3,
              3,
            );
            figures.push({ subject, metric: "10 MiB download", unit: "ms", samples, better: "lower" });
          } finally {
            await f.stop();
          }
        }
      } finally {
        await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
        await kube.close();
      }
      return figures;
    });
  },
};
