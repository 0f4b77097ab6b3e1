// kubefetch/testing's fake API server beside the real one it stands in for: how long it takes
// to start, and the rate of gets, lists and watch events the real client gets from each, in
// one run (the real kube-apiserver is the test cluster's).
import { createClient } from "../../generated/kubernetes-1.36/index.js";
import { registryData } from "../../generated/kubernetes-1.36/registry.js";
import { validators } from "../../generated/kubernetes-1.36/schemas.js";
import { type KubeConfig, loadConfig } from "../../src/index.js";
import { createFakeCluster } from "../../src/testing/index.js";
import type { BenchContext, Benchmark, Figure } from "../harness.js";
import { rounds, withCluster } from "../harness.js";

const FAKE = "kubefetch/testing fake";
const REAL = "kube-apiserver (test cluster)";

/** get, list and watch rates of one server, in its own namespace. */
async function rates(ctx: BenchContext, config: KubeConfig, ns: string): Promise<Record<string, number[]>> {
  const kube = createClient(config, { onWarning: () => {} });
  const gets = ctx.tiny ? 50 : 1000;
  const lists = ctx.tiny ? 10 : 200;
  const events = ctx.tiny ? 50 : 1000;
  try {
    await kube.core.v1.namespaces.create({ metadata: { name: ns } }).catch(() => undefined);
    const data = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`key-${i}`, `value-${i}-`.repeat(4)]),
    );
    for (let i = 0; i < 100; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          kube.core.v1.configmaps.create({
            metadata: { name: `cm-${i + j}`, namespace: ns, labels: { app: "bench" } },
            data,
          }),
        ),
      );
    }
    const get = await rounds(
      ctx,
      async () => {
        const t = performance.now();
        for (let i = 0; i < gets; i++)
          await kube.core.v1.configmaps.get({ namespace: ns, name: `cm-${i % 100}` });
        return (gets / (performance.now() - t)) * 1000;
      },
      1 / 6,
    );
    const list = await rounds(
      ctx,
      async () => {
        const t = performance.now();
        for (let i = 0; i < lists; i++)
          await kube.core.v1.configmaps.list({ namespace: ns, labelSelector: "app=bench" });
        return (lists / (performance.now() - t)) * 1000;
      },
      1 / 6,
    );
    const watch = await rounds(
      ctx,
      async (round) => {
        const stop = new AbortController();
        const start = await kube.core.v1.configmaps.list({ namespace: ns, limit: 1 });
        const seen = new Promise<number>((resolve, reject) => {
          (async () => {
            let n = 0;
            let t = 0;
            for await (const e of kube.core.v1.configmaps.watch({
              namespace: ns,
              resourceVersion: start.metadata?.resourceVersion,
              labelSelector: `round=r${round}`,
              signal: stop.signal,
            })) {
              if (e.type !== "ADDED") continue;
              if (n === 0) t = performance.now();
              if (++n === events) return resolve(((events - 1) / (performance.now() - t)) * 1000);
            }
          })().catch(reject);
        });
        for (let i = 0; i < events; i += 50) {
          await Promise.all(
            Array.from({ length: 50 }, (_, j) =>
              kube.core.v1.configmaps.create({
                metadata: { name: `w${round}-${i + j}`, namespace: ns, labels: { round: `r${round}` } },
                data,
              }),
            ),
          );
        }
        const rate = await seen;
        stop.abort();
        await kube.core.v1.configmaps.deleteCollection({ namespace: ns, labelSelector: `round=r${round}` });
        return rate;
      },
      1 / 6,
    );
    return { get, list, watch };
  } finally {
    await kube.core.v1.namespaces.delete({ name: ns }).catch(() => undefined);
    await kube.close();
  }
}

export const fake: Benchmark = {
  name: "fake",
  title: "kubefetch/testing's fake API server and the real kube-apiserver, through the same client",
  goals: [
    {
      text: "the fake starts in < 100 ms",
      subject: FAKE,
      metric: "start (createFakeCluster, registry + schemas)",
      bound: 100,
    },
    {
      text: "gets ≥ 1× the real apiserver's rate",
      subject: FAKE,
      metric: "get, sequential",
      versus: REAL,
      ratio: 1,
    },
  ],
  async run(ctx) {
    const figures: Figure[] = [];
    const starts = await rounds(
      ctx,
      async () => {
        const t = performance.now();
        const f = await createFakeCluster({ registry: registryData, validators });
        const ms = performance.now() - t;
        await f.close();
        return ms;
      },
      1 / 10,
      5,
    );
    figures.push({
      subject: FAKE,
      metric: "start (createFakeCluster, registry + schemas)",
      unit: "ms",
      samples: starts,
      better: "lower",
    });
    const f = await createFakeCluster({ registry: registryData, validators });
    const fakeRates = await rates(ctx, f.config, "bench-fake").finally(() => f.close());
    const realRates = await withCluster(false, async (c) =>
      rates(ctx, await loadConfig({ kubeconfig: c.kubeconfigs.admin, env: {} }), `bench-fake-${process.pid}`),
    );
    for (const [subject, r] of [
      [FAKE, fakeRates],
      [REAL, realRates],
    ] as const) {
      figures.push({
        subject,
        metric: "get, sequential",
        unit: "req/s",
        samples: r.get ?? [],
        better: "higher",
      });
      figures.push({
        subject,
        metric: "list of 100 ConfigMaps",
        unit: "req/s",
        samples: r.list ?? [],
        better: "higher",
      });
      figures.push({
        subject,
        metric: "watch events",
        unit: "events/s",
        samples: r.watch ?? [],
        better: "higher",
      });
    }
    return figures;
  },
};
