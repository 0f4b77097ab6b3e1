// bench child: kubefetch (built dist). argv: task n kubeconfig
import { loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const [task, nText, kubeconfig] = process.argv.slice(2);
const n = Number(nText);
const kube = createClient(await loadConfig({ kubeconfig, env: {} }));
const pods = kube.core.v1.pods;
const get = () => pods.get({ namespace: "default", name: "web" });
const out = {};
if (task === "get-seq") {
  for (let i = 0; i < 50; i++) await get();
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
  await pods.list({ namespace: "default" });
  const t = performance.now();
  const list = await pods.list({ namespace: "default" });
  out.ms = performance.now() - t;
  out.items = list.items.length;
} else if (task === "watch") {
  let seen = 0;
  const ac = new AbortController();
  const t = performance.now();
  for await (const ev of pods.watch({ namespace: "default", signal: ac.signal })) {
    if (ev.object.metadata?.name === undefined) throw new Error("bad event");
    if (++seen === 10_000) out.rss10k = process.memoryUsage().rss;
    if (seen === n) break;
  }
  out.ms = performance.now() - t;
  out.rssEnd = process.memoryUsage().rss;
}
out.maxRss = process.resourceUsage().maxRSS * 1024;
await kube.close();
console.log(JSON.stringify(out));
