import { join } from "node:path";
import type { NodeCluster } from "../../test/helpers/node.js";
import type { BenchContext, Benchmark, Figure } from "../harness.js";
import { competitorBin, competitorsDir, repoRoot, rounds, run, withCluster } from "../harness.js";

// One exec round trip (`echo hi`, output and exit status back) on the same pod of the real
// test node, each subject in its own process; kubectl is one process per exec, as users run it.
export const execRoundTrip: Benchmark = {
  name: "exec",
  title: "exec round trip (`echo hi`, stdout and exit status) on a pod of the real test node",
  goals: [],
  async run(ctx) {
    return withCluster(true, (c) => measure(ctx, c));
  },
};

async function measure(ctx: BenchContext, c: NodeCluster): Promise<Figure[]> {
  const kubeconfig = c.kubeconfigs.admin;
  const ns = "default";
  const pod = `bench-exec-${process.pid}`;
  const kubectl = (...args: string[]) =>
    run("kubectl", ["--kubeconfig", kubeconfig, ...args], { cwd: repoRoot });
  const manifest = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod, namespace: ns },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 0,
      containers: [
        { name: "c", image: c.images.busybox, imagePullPolicy: "Never", command: ["sleep", "3600"] },
      ],
    },
  };
  const figures: Figure[] = [];
  try {
    const created = run("kubectl", ["--kubeconfig", kubeconfig, "create", "-f", "-"], { cwd: repoRoot });
    created.child.stdin?.end(JSON.stringify(manifest));
    await created;
    await kubectl("wait", "-n", ns, "--for=condition=Ready", `pod/${pod}`, "--timeout=90s");
    const subjects: [string, (n: number) => Promise<number>][] = [
      [
        "kubefetch",
        async (n) => {
          const r = await run(
            process.execPath,
            [join(repoRoot, "bench/child/kubefetch-exec.mjs"), String(n), kubeconfig, ns, pod],
            { cwd: repoRoot },
          );
          return JSON.parse(r.stdout.trim().split("\n").pop() as string).ms;
        },
      ],
      [
        "@kubernetes/client-node (Node 22)",
        async (n) => {
          const r = await run(
            competitorBin("node"),
            [join(competitorsDir, "child/client-node-exec.mjs"), String(n), kubeconfig, ns, pod],
            { cwd: repoRoot },
          );
          return JSON.parse(r.stdout.trim().split("\n").pop() as string).ms;
        },
      ],
      [
        "kubectl (a process per exec)",
        async (n) => {
          const t = performance.now();
          for (let i = 0; i < n; i++) await kubectl("exec", "-n", ns, pod, "--", "echo", "hi");
          return performance.now() - t;
        },
      ],
    ];
    for (const [subject, measure] of subjects) {
      const n = ctx.tiny ? 5 : subject.startsWith("kubectl") ? 10 : 20;
      const samples = await rounds(ctx, async () => (await measure(n)) / n, 1 / 3);
      figures.push({ subject, metric: "round trip", unit: "ms", samples, better: "lower" });
    }
    return figures;
  } finally {
    await kubectl("delete", "pod", "-n", ns, pod, "--wait=false").catch(() => {});
  }
}
