// Serves a fake cluster in its own process for suites written against the test cluster:
// writes a cluster.json whose kubeconfigs point at the fake (plain HTTP, loopback) into the
// folder given, prints "ready", and serves until killed.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { registryData } from "../../generated/kubernetes-1.36/registry.js";
import { validators } from "../../generated/kubernetes-1.36/schemas.js";
import { createFakeCluster } from "../../src/testing/index.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: fake-cluster-process.ts DIR");
mkdirSync(dir, { recursive: true });
const fake = await createFakeCluster({ registry: registryData, validators, bookmarkIntervalMs: 1000 });
const kubeconfig = (user: string) => {
  const path = join(dir, `${user}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: fake.url } }],
      users: [{ name: user, user: {} }],
      contexts: [{ name: "fake", context: { cluster: "fake", user, namespace: "default" } }],
      "current-context": "fake",
    }),
  );
  return path;
};
const port = Number(new URL(fake.url).port);
writeFileSync(
  join(dir, "cluster.json"),
  JSON.stringify({
    dir,
    server: fake.url,
    version: "v1.36.0-kubefetch-fake",
    kubectl: "kubectl",
    host: "127.0.0.1",
    apiPort: port,
    kubeconfigs: {
      admin: kubeconfig("admin"),
      token: kubeconfig("token"),
      unprivileged: kubeconfig("unprivileged"),
      unprivilegedToken: kubeconfig("unprivileged-token"),
    },
    node: null,
    images: null,
  }),
);
process.stdout.write("ready\n");
const stop = () => fake.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
