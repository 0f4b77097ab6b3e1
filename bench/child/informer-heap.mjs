// bench child: heap per object of an informer's cache (built dist), in a fresh process so no
// other cache is in the figure. Run with --expose-gc. argv: kubeconfig namespace labelSelector
// (the bench's objects only: the cluster's root-CA publisher adds a ConfigMap to every namespace)
import { loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createInformer } from "kubefetch/informer";

const [kubeconfig, namespace, labelSelector] = process.argv.slice(2);
const kube = createClient(await loadConfig({ kubeconfig, env: {} }), { onWarning: () => {} });
// Warm up: code paths, connection and TLS session are not part of the cache.
const warm = createInformer(kube.core.v1.configmaps, { namespace, labelSelector: "none=none" });
await warm.start();
await warm.synced;
await warm.stop();
globalThis.gc();
const before = process.memoryUsage().heapUsed;
const informer = createInformer(kube.core.v1.configmaps, { namespace, labelSelector });
await informer.start();
await informer.synced;
globalThis.gc();
const after = process.memoryUsage().heapUsed;
const count = informer.list().length;
console.log(JSON.stringify({ count, bytesPerObject: (after - before) / count }));
await informer.stop();
await kube.close();
