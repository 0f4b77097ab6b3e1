// kubefetch/controller on the real test kube-apiserver (started here, control plane only,
// unless KUBEFETCH_TEST_CLUSTER names one): reconciles per second over 1,000 ConfigMaps, and
// the heap each cached object costs.
import { join } from "node:path";
import { createClient } from "../../generated/kubernetes-1.36/index.js";
import { createController } from "../../src/controller/index.js";
import { loadConfig } from "../../src/index.js";
import type { Benchmark, Figure } from "../harness.js";
import { repoRoot, rounds, run, withCluster } from "../harness.js";

export const controller: Benchmark = {
  name: "controller",
  title: "kubefetch/controller over 1,000 ConfigMaps on the real test kube-apiserver",
  goals: [],
  async run(ctx) {
    return withCluster(false, async (c) => {
      const kube = createClient(await loadConfig({ kubeconfig: c.kubeconfigs.admin, env: {} }), {
        onWarning: () => {},
      });
      const n = ctx.tiny ? 50 : 1000;
      const ns = `bench-controller-${process.pid}`;
      try {
        await kube.core.v1.namespaces.create({ metadata: { name: ns } });
        const data = Object.fromEntries(
          Array.from({ length: 8 }, (_, i) => [`key-${i}`, `value-${i}-`.repeat(4)]),
        );
        for (let i = 0; i < n; i += 25) {
          await Promise.all(
            Array.from({ length: Math.min(25, n - i) }, (_, j) =>
              kube.core.v1.configmaps.create({
                metadata: { name: `cm-${i + j}`, namespace: ns, labels: { app: "bench" } },
                data,
              }),
            ),
          );
        }
        const figures: Figure[] = [];

        type ConfigMap = Awaited<ReturnType<typeof kube.core.v1.configmaps.get>>;
        /** Reconciles per second from start() to the n-th reconcile that `work` counts as done. */
        const reconcileRate = async (
          work: (
            name: string,
            get: () => ConfigMap | undefined,
            signal: AbortSignal,
          ) => Promise<boolean> | boolean,
        ) => {
          const stop = new AbortController();
          let done = 0;
          let finished: () => void = () => {};
          const all = new Promise<void>((r) => {
            finished = r;
          });
          const t = performance.now();
          const ctl = createController(kube, {
            for: kube.core.v1.configmaps,
            namespace: ns,
            concurrency: 4,
            async reconcile({ name }, { get, signal }) {
              // The bench's own only: on a cluster running the root-CA publisher (the current
              // release's, with a node) each namespace also holds kube-root-ca.crt.
              if (!name.startsWith("cm-")) return;
              if ((await work(name, get, signal)) && ++done === n) finished();
            },
          });
          const running = ctl.start({ signal: stop.signal });
          await all;
          const ms = performance.now() - t;
          stop.abort();
          await running;
          return (n / ms) * 1000;
        };

        // Start to the n-th reconcile: list, informer sync, queue, workers (reconcile reads the cache).
        const noop = await rounds(ctx, () => reconcileRate((_name, get) => get() !== undefined), 1 / 3);
        figures.push({
          subject: "kubefetch",
          metric: `reconciles/s, ${n} objects from start (list + sync + reconcile reading the cache)`,
          unit: "req/s",
          samples: noop,
          better: "higher",
        });

        // Each reconcile writes its object (one merge patch), 4 workers.
        const writes = await rounds(
          ctx,
          (round) =>
            reconcileRate(async (name, _get, signal) => {
              await kube.core.v1.configmaps.patch(
                { namespace: ns, name },
                { metadata: { annotations: { round: String(round) } } },
                { type: "merge", signal },
              );
              return true;
            }),
          1 / 3,
        );
        figures.push({
          subject: "kubefetch",
          metric: `reconciles/s, ${n} objects, each reconcile patches its object (4 workers)`,
          unit: "req/s",
          samples: writes,
          better: "higher",
        });

        // Heap per cached object: the informer's store and indexes, in a fresh process after full collections.
        const perObject = await rounds(
          ctx,
          async () => {
            const r = await run(
              process.execPath,
              [
                "--expose-gc",
                join(repoRoot, "bench/child/informer-heap.mjs"),
                c.kubeconfigs.admin,
                ns,
                "app=bench",
              ],
              { cwd: repoRoot, timeout: 120_000 },
            );
            const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as {
              count: number;
              bytesPerObject: number;
            };
            if (out.count !== n) throw new Error(`the informer cached ${out.count} objects, not ${n}`);
            return out.bytesPerObject / 1024;
          },
          1 / 6,
        );
        figures.push({
          subject: "kubefetch",
          metric: "heap per cached ConfigMap (informer store)",
          unit: "KB",
          samples: perObject,
          better: "lower",
        });
        const one = await kube.core.v1.configmaps.get({ namespace: ns, name: "cm-0" });
        figures.push({
          subject: "the object",
          metric: "its JSON size (for scale)",
          unit: "KB",
          samples: [Buffer.byteLength(JSON.stringify(one)) / 1024],
          better: "lower",
        });
        return figures;
      } finally {
        await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
        await kube.close();
      }
    });
  },
};
