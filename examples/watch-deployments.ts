// Run:  npx tsx examples/watch-deployments.ts     (Ctrl-C to stop; a namespace as argument watches only it)
//
// Prints each change to Deployments (all namespaces, or one) until interrupted. The watch
// resumes by itself after a dropped connection; a 410 Gone means events were missed, so we
// say so and start again from a fresh list.
import { loadConfig, WatchExpiredError } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const kube = createClient(await loadConfig());
const stop = new AbortController();
process.once("SIGINT", () => stop.abort());
process.once("SIGTERM", () => stop.abort());
const namespace = process.argv[2];

try {
  while (!stop.signal.aborted) {
    const scope = namespace ? { namespace } : { allNamespaces: true as const };
    const list = await kube.apps.v1.deployments.list(scope);
    console.log(
      `watching ${list.items.length} deployments from resourceVersion ${list.metadata?.resourceVersion}`,
    );
    try {
      const events = kube.apps.v1.deployments.watch({
        ...scope,
        resourceVersion: list.metadata?.resourceVersion,
        signal: stop.signal,
      });
      for await (const ev of events) {
        if (ev.type === "BOOKMARK") continue;
        const d = ev.object;
        const ready = `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`;
        console.log(`${ev.type.padEnd(8)} ${d.metadata?.namespace}/${d.metadata?.name} ready ${ready}`);
      }
    } catch (e) {
      if (!(e instanceof WatchExpiredError)) throw e;
      console.log("history expired (410 Gone): listing again");
    }
  }
} catch (e) {
  if (!stop.signal.aborted) throw e;
} finally {
  await kube.close();
}
console.log("stopped");
