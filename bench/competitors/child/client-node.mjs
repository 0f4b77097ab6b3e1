// bench child: @kubernetes/client-node 2.x (runs on Node 22, which its undici 8 needs). argv: task n kubeconfig
import { CoreV1Api, KubeConfig, Watch } from "@kubernetes/client-node";

const [task, nText, kubeconfig] = process.argv.slice(2);
const n = Number(nText);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(CoreV1Api);
const get = () => api.readNamespacedPod({ namespace: "default", name: "web" });
const out = {};
if (task === "get-seq") {
  for (let i = 0; i < 20; i++) await get();
  const t = performance.now();
  for (let i = 0; i < n; i++) await get();
  out.ms = performance.now() - t;
} else if (task === "get-conc") {
  for (let i = 0; i < 64; i++) await get();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = 0; i < n / 64; i++) await get();
    }),
  );
  out.ms = performance.now() - t;
} else if (task === "list") {
  await api.listNamespacedPod({ namespace: "default" });
  const t = performance.now();
  out.items = (await api.listNamespacedPod({ namespace: "default" })).items.length;
  out.ms = performance.now() - t;
} else if (task === "watch") {
  const t = performance.now();
  let seen = 0;
  await new Promise((resolve, reject) => {
    let req;
    new Watch(kc)
      .watch(
        "/api/v1/namespaces/default/pods",
        {},
        (_type, obj) => {
          if (obj.metadata.name === undefined) reject(new Error("bad event"));
          if (++seen === 10_000) out.rss10k = process.memoryUsage().rss;
          if (seen === n) {
            req?.abort();
            resolve();
          }
        },
        (err) => (seen >= n ? resolve() : reject(err ?? new Error(`watch ended after ${seen}`))),
      )
      .then((r) => {
        req = r;
      }, reject);
  });
  out.ms = performance.now() - t;
  out.rssEnd = process.memoryUsage().rss;
}
out.maxRss = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify(out));
process.exit(0);
