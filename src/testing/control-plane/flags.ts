// The command lines of etcd and kube-apiserver: the set test/cluster/up.sh runs (without a
// node) on both test stacks, 1.20 and the current release, which is also what envtest passes
// (controller-runtime pkg/internal/testing/controlplane): loopback only, plain-http etcd on
// loopback, TLS with client certificates, RBAC, service-account tokens.

import type { BinaryVersion } from "./binaries.js";

/** The files and ports both command lines use. */
export interface ControlPlaneLayout {
  /** etcd's data folder. */
  etcdDataDir: string;
  /** etcd's client port on 127.0.0.1. */
  etcdPort: number;
  /** etcd's peer port on 127.0.0.1 (single member, but etcd always listens for peers). */
  etcdPeerPort: number;
  /** kube-apiserver's secure port on 127.0.0.1. */
  apiPort: number;
  /** PEM files. */
  pki: { ca: string; servingCert: string; servingKey: string; saPublic: string; saPrivate: string };
}

const ISSUER = "https://kubernetes.default.svc.cluster.local";

/** etcd's flags for one single-member cluster on loopback. */
export function etcdArgs(l: ControlPlaneLayout, v: BinaryVersion): string[] {
  const client = `http://127.0.0.1:${l.etcdPort}`;
  const peer = `http://127.0.0.1:${l.etcdPeerPort}`;
  const atLeast = (minor: number) => v.major > 3 || (v.major === 3 && v.minor >= minor);
  return [
    "--name=envtest",
    `--data-dir=${l.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=envtest=${peer}`,
    // --log-level is 3.4's; warnings keep the log to what explains a failure.
    ...(atLeast(4) ? ["--log-level=warn"] : []),
    // Throwaway data: without fsync each write (a CRD, a test's objects) costs no disk flush. 3.5+.
    ...(atLeast(5) ? ["--unsafe-no-fsync=true"] : []),
  ];
}

/** kube-apiserver's flags; `extra` comes last, so it overrides (pflag keeps a flag's last value). */
export function apiserverArgs(
  l: ControlPlaneLayout,
  v: BinaryVersion,
  extra: readonly string[] = [],
): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${l.etcdPort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${l.apiPort}`,
    // Before 1.24 an http port (8080) also opened unless turned off; the flag is gone since.
    ...(v.minor < 24 ? ["--insecure-port=0"] : []),
    // No node runs here, so nothing should reconcile the kubernetes Service's endpoints to
    // this loopback address (up.sh does the same on the current release).
    "--endpoint-reconciler-type=none",
    `--tls-cert-file=${l.pki.servingCert}`,
    `--tls-private-key-file=${l.pki.servingKey}`,
    `--client-ca-file=${l.pki.ca}`,
    // RBAC, as a real cluster: the admin certificate's group system:masters may do anything,
    // any other user what a (Cluster)RoleBinding grants.
    "--authorization-mode=RBAC",
    // No controller manager creates service-account tokens: the plugin would refuse every pod.
    "--disable-admission-plugins=ServiceAccount",
    `--service-account-issuer=${ISSUER}`,
    `--service-account-key-file=${l.pki.saPublic}`,
    `--service-account-signing-key-file=${l.pki.saPrivate}`,
    `--api-audiences=${ISSUER}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    "--profiling=false",
    "--v=0",
    ...extra,
  ];
}
