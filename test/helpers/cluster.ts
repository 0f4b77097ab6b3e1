import { readFileSync } from "node:fs";
import { join } from "node:path";

/** What test/cluster/up.sh writes to cluster.json. */
export interface TestCluster {
  dir: string;
  server: string;
  host: string;
  apiPort: number;
  etcd: { endpoint: string; peerPort: number; binary: string };
  apiserver: { binary: string; argsFile: string; pidFile: string; log: string };
  ca: string;
  kubeconfigs: { admin: string; token: string; unprivileged: string; unprivilegedToken: string };
  certs: { admin: { cert: string; key: string }; unprivileged: { cert: string; key: string } };
  tokens: { admin: string; unprivileged: string };
  serviceAccount: { dir: string; namespace: string; name: string };
  /** The node (kubelet registered as `name`, serving on 127.0.0.1:kubeletPort); null with up.sh --no-node. */
  node: {
    name: string;
    kubeletPort: number;
    containerdSocket: string;
    kubeletRootDir: string;
    podLogDir: string;
  } | null;
  /** Image names the node holds (built by test/cluster/images.sh); null with --no-node. */
  images: { pause: string; busybox: string; node: string } | null;
}

/**
 * The cluster of this test run (scripts/test.mjs starts it and sets KUBEFETCH_TEST_CLUSTER).
 * Integration tests fail, never skip, without it.
 */
export function testCluster(): TestCluster {
  const dir = process.env.KUBEFETCH_TEST_CLUSTER;
  if (!dir) {
    throw new Error(
      "KUBEFETCH_TEST_CLUSTER is not set: run integration tests with `npm test` or `npm run test:integration`",
    );
  }
  return JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8")) as TestCluster;
}

/** A namespace name unique to this process and purpose. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
}
