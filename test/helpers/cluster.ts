import { readFileSync } from "node:fs";
import { join } from "node:path";

/** What test/cluster/up.sh writes to cluster.json. */
export interface TestCluster {
  dir: string;
  server: string;
  /** The running server's gitVersion (e.g. v1.20.2, v1.37.2): the stack up.sh --version picked. */
  version: string;
  /** The kubectl of the server's release (for 1.20, the machine's `kubectl`). */
  kubectl: string;
  host: string;
  apiPort: number;
  etcd: { endpoint: string; peerPort: number; binary: string; etcdctl: string };
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

/**
 * The server's minor version, from cluster.json's `version`: where a server's behaviour changed
 * between the stacks, a test asserts what the one it runs on does.
 */
export function serverMinor(cluster: Pick<TestCluster, "version">): number {
  const m = /^v1\.(\d+)\./.exec(cluster.version ?? "");
  if (!m)
    throw new Error(`cluster.json has no version v1.MINOR.PATCH (${cluster.version}): restart it with up.sh`);
  return Number(m[1]);
}

/**
 * Whether each namespace gets the root-CA publisher's kube-root-ca.crt ConfigMap: node.sh runs
 * that controller on the current release only (a pod's projected token needs it; 1.20's token
 * secrets carry ca.crt), and a --no-node cluster runs no controllers.
 */
export function publishesRootCa(cluster: TestCluster): boolean {
  return cluster.node !== null && serverMinor(cluster) >= 24;
}

/** A namespace name unique to this process and purpose. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
}
