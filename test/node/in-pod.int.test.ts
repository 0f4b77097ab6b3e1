import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { loadConfig } from "../../src/index.js";
import {
  bundleExample,
  bundleVolume,
  containerOutput,
  freePort,
  nodeCluster,
  podNamespace,
  terminated,
  waitForPod,
} from "../helpers/node.js";

// Programs built from examples/ run inside pods of the node image (node and its libraries,
// nothing else), as users run them.
//
// The pods use hostNetwork and KUBERNETES_SERVICE_HOST/PORT set in their spec to the apiserver
// on 127.0.0.1: the `kubernetes` Service's ClusterIP is not routable here (no kube-proxy, and
// no traffic may leave loopback), and variables in the spec win over the ones the kubelet
// injects.
const cluster = nodeCluster();
let kube: Client;
let ns: string;
const SA = "/var/run/secrets/kubernetes.io/serviceaccount";

const apiserverEnv = [
  { name: "KUBERNETES_SERVICE_HOST", value: "127.0.0.1" },
  { name: "KUBERNETES_SERVICE_PORT", value: String(cluster.apiPort) },
];

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "node-in-pod");
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

/** Waits for the pod's container to end; returns its exit code and what it printed. */
async function finished(name: string, container: string) {
  const p = await waitForPod(
    kube,
    ns,
    name,
    (x) => terminated(x, container) !== undefined,
    `${container} ends`,
  );
  return { code: terminated(p, container)?.exitCode, text: containerOutput(cluster, p, container) };
}

describe("a kubefetch program inside a pod", () => {
  it("in-cluster-pods.ts lists its namespace's pods with the kubelet-mounted service account, and gets 403 outside it", async () => {
    // The service account may list pods in its own namespace only.
    await kube.core.v1.serviceaccounts.create({ metadata: { name: "lister", namespace: ns } });
    await kube.rbacAuthorization.v1.roles.create({
      metadata: { name: "pod-reader", namespace: ns },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }],
    });
    await kube.rbacAuthorization.v1.rolebindings.create({
      metadata: { name: "pod-reader", namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
      subjects: [{ kind: "ServiceAccount", name: "lister", namespace: ns }],
    });
    const bundle = await bundleExample(cluster, "in-cluster-pods");
    const { volume, mount } = bundleVolume(bundle.dir);
    // First as the example runs in a pod; then with the same token and CA but the namespace
    // "default", where its service account has no Role.
    const script = [
      `ls ${SA}`,
      `node /bundle/${bundle.file}; echo "exit=$?"`,
      `mkdir /tmp/sa && cp ${SA}/token ${SA}/ca.crt /tmp/sa/ && printf default >/tmp/sa/namespace`,
      `SERVICE_ACCOUNT_DIR=/tmp/sa node /bundle/${bundle.file} 2>&1; echo "exit=$?"`,
    ].join("\n");
    await kube.core.v1.pods.create({
      metadata: { name: "in-cluster", namespace: ns },
      spec: {
        hostNetwork: true,
        restartPolicy: "Never",
        serviceAccountName: "lister",
        volumes: [volume],
        containers: [
          {
            name: "app",
            image: cluster.images.node,
            imagePullPolicy: "Never",
            command: ["sh", "-c", script],
            env: apiserverEnv,
            volumeMounts: [mount],
          },
        ],
      },
    });
    const { code, text } = await finished("in-cluster", "app");
    assert.equal(code, 0, text);
    const [listing, refused] = text.split(/^exit=0$/m);
    assert.deepEqual((listing ?? "").split("\n").slice(0, 3), ["ca.crt", "namespace", "token"], text);
    assert.match(
      listing ?? "",
      new RegExp(`^\\d+ pods in ${ns} \\(https://127\\.0\\.0\\.1:${cluster.apiPort}\\)$`, "m"),
    );
    // It lists itself: Running, or still Pending when it ran before the kubelet reported it.
    assert.match(listing ?? "", /^in-cluster\t(Pending|Running)$/m);
    assert.match(
      refused ?? "",
      new RegExp(
        `403 Forbidden: .*"system:serviceaccount:${ns}:lister" cannot list resource "pods".* in the namespace "default"`,
      ),
    );
    assert.match(refused ?? "", /^Grant it: kubectl create role pod-reader/m);
    assert.match(refused ?? "", /^exit=1$/m);
  });

  it("the ambassador pattern: kubectl proxy in one container, kubefetch over plain HTTP in the other", async () => {
    // kubectl proxy uses the pod's service account; the program holds no credentials.
    await kube.core.v1.serviceaccounts.create({ metadata: { name: "ambassador", namespace: ns } });
    await kube.rbacAuthorization.v1.clusterrolebindings.create({
      metadata: { name: `${ns}-ambassador` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "ambassador", namespace: ns }],
    });
    try {
      const bundle = await bundleExample(cluster, "kubectl-proxy");
      const { volume, mount } = bundleVolume(bundle.dir);
      // hostNetwork shares the machine's ports: a free one instead of the example's 8001.
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      await kube.core.v1.pods.create({
        metadata: { name: "ambassador", namespace: ns },
        spec: {
          hostNetwork: true,
          restartPolicy: "Never",
          serviceAccountName: "ambassador",
          terminationGracePeriodSeconds: 0,
          volumes: [volume],
          containers: [
            {
              name: "proxy",
              image: cluster.images.node,
              imagePullPolicy: "Never",
              command: [
                "kubectl",
                "proxy",
                "--address=127.0.0.1",
                `--port=${port}`,
                "--cache-dir=/tmp/kube-cache",
              ],
              env: apiserverEnv,
            },
            {
              name: "app",
              image: cluster.images.node,
              imagePullPolicy: "Never",
              command: [
                "sh",
                "-c",
                `until wget -q -O /dev/null ${url}/version; do sleep 0.2; done; node /bundle/${bundle.file} ${url}`,
              ],
              volumeMounts: [mount],
            },
          ],
        },
      });
      const { code, text } = await finished("ambassador", "app");
      assert.equal(code, 0, text);
      assert.match(
        text,
        new RegExp(`^Kubernetes v1\\.\\d+\\.\\d+\\S* through ${url}, no credentials here$`, "m"),
      );
      assert.match(text, new RegExp(`^namespace ${ns}$`, "m"));
      assert.match(text, /^namespace kube-system$/m);
    } finally {
      await kube.rbacAuthorization.v1.clusterrolebindings
        .delete({ name: `${ns}-ambassador` })
        .catch(() => {});
      await kube.core.v1.pods.delete({ namespace: ns, name: "ambassador" }).catch(() => {});
    }
  });
});
