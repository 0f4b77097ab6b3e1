import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import type { Client } from "kubefetch/generated/kubernetes-1.36";
import { serverMinor, type TestCluster, testCluster, uniqueName } from "./cluster.js";
import { repoRoot } from "./paths.js";
import { until } from "./wait.js";

/** The test cluster, with a node. */
export interface NodeCluster extends TestCluster {
  node: NonNullable<TestCluster["node"]>;
  images: NonNullable<TestCluster["images"]>;
}

/** The test cluster with its node; node tests fail, never skip, on a control-plane-only one. */
export function nodeCluster(): NodeCluster {
  const c = testCluster();
  if (!c.node || !c.images) throw new Error(`${c.dir} has no node: it was started with up.sh --no-node`);
  return c as NodeCluster;
}

type Pod = Awaited<ReturnType<Client["core"]["v1"]["pods"]["get"]>>;

/** A new namespace whose pods can start (see podsAdmitted). */
export async function podNamespace(kube: Client, prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  await kube.core.v1.namespaces.create({ metadata: { name: ns } });
  await podsAdmitted(kube, testCluster(), ns);
  return ns;
}

/**
 * Waits until pods of a new namespace can start. The ServiceAccount admission refuses them
 * until the namespace's default ServiceAccount exists; on 1.20 also until its token secret
 * exists, and from 1.24 (no token secrets) a pod's projected token volume waits for the
 * root-CA publisher's kube-root-ca.crt ConfigMap instead. A second or so either way.
 */
export async function podsAdmitted(kube: Client, cluster: TestCluster, namespace: string): Promise<void> {
  const tokenSecrets = serverMinor(cluster) < 24;
  await until(
    async () => {
      const sa = await kube.core.v1.serviceaccounts
        .get({ namespace, name: "default" })
        .catch(() => undefined);
      if (!sa) return false;
      if (tokenSecrets) return (sa.secrets?.length ?? 0) > 0;
      const ca = await kube.core.v1.configmaps
        .get({ namespace, name: "kube-root-ca.crt" })
        .catch(() => undefined);
      return ca !== undefined;
    },
    {
      what: tokenSecrets
        ? `default ServiceAccount token in ${namespace}`
        : `default ServiceAccount and kube-root-ca.crt in ${namespace}`,
    },
  );
}

/** Polls a pod until test(pod) holds; returns that pod. */
export async function waitForPod(
  kube: Client,
  namespace: string,
  name: string,
  test: (pod: Pod) => boolean,
  what: string,
  timeoutMs = 90_000,
): Promise<Pod> {
  let last: Pod | undefined;
  await until(
    async () => {
      last = await kube.core.v1.pods.get({ namespace, name });
      return test(last);
    },
    { what: () => `${namespace}/${name}: ${what} (last phase ${last?.status?.phase})`, timeoutMs },
  );
  return last as Pod;
}

/** A container's terminated state, once it has one. */
export function terminated(pod: Pod, container: string) {
  return pod.status?.containerStatuses?.find((s) => s.name === container)?.state?.terminated;
}

/**
 * What a container printed (stdout and stderr), read from the kubelet's log file in the
 * cluster folder (CRI format: time, stream, P/F, text): the output of a program in a pod,
 * whatever pods.log does.
 */
export function containerOutput(cluster: NodeCluster, pod: Pod, container: string, restart = 0): string {
  const dir = `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`;
  const file = join(cluster.node.podLogDir, dir, container, `${restart}.log`);
  let out = "";
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\S+ (?:stdout|stderr) ([PF]) (.*)$/.exec(line);
    if (m) out += m[2] + (m[1] === "F" ? "\n" : "");
  }
  return out;
}

/** A busybox pod on the node's network running one shell script, ended at once on delete. */
export function busyboxPod(
  cluster: NodeCluster,
  namespace: string,
  name: string,
  script: string,
  restartPolicy: "Never" | "Always" = "Never",
) {
  return {
    metadata: { name, namespace },
    spec: {
      hostNetwork: true,
      restartPolicy,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "c",
          image: cluster.images.busybox,
          imagePullPolicy: "Never" as const,
          command: ["sh", "-c", script],
        },
      ],
    },
  };
}

/** The seed's default/my-job: busybox echoing once, run to completion on the node. */
export function myJob(images: NodeCluster["images"]) {
  return {
    metadata: { name: "my-job", namespace: "default" },
    spec: {
      backoffLimit: 2,
      template: {
        spec: {
          restartPolicy: "Never" as const,
          containers: [
            {
              name: "c",
              image: images.busybox,
              imagePullPolicy: "Never" as const,
              command: ["echo", "hello from my-job"],
            },
          ],
        },
      },
    },
  };
}

/** A free port on 127.0.0.1 (pods with hostNetwork share the machine's ports). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

// "kubefetch" and "kubefetch/..." as the package's own exports name them (the source files).
const selfReference: Plugin = {
  name: "kubefetch-self-reference",
  setup(b) {
    b.onResolve({ filter: /^kubefetch(\/.*)?$/ }, async (args) => {
      const { default: pkg } = await import(join(repoRoot, "package.json"), { with: { type: "json" } });
      const key = `.${args.path.slice("kubefetch".length)}`;
      const entry = (pkg.exports as Record<string, Record<string, string> | string>)[key];
      const source = typeof entry === "object" ? entry["kubefetch-source"] : undefined;
      if (!source) return { errors: [{ text: `package.json exports no ${key}` }] };
      return { path: join(repoRoot, source) };
    });
  },
};

/**
 * Compiles examples/NAME.ts and everything it imports into one ES module for the node image
 * (which holds node and nothing else), in a folder of the cluster a pod can mount.
 */
export async function bundleExample(
  cluster: TestCluster,
  name: string,
): Promise<{ dir: string; file: string }> {
  const dir = join(cluster.dir, "bundles", uniqueName(name));
  mkdirSync(dir, { recursive: true });
  const file = `${name}.mjs`;
  await build({
    entryPoints: [join(repoRoot, "examples", `${name}.ts`)],
    outfile: join(dir, file),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    plugins: [selfReference],
    // Bundled CommonJS dependencies (undici) call require(): give the module one.
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
    logLevel: "silent",
  });
  return { dir, file };
}

/** A hostPath volume of a bundle folder, and its mount at /bundle. */
export function bundleVolume(dir: string) {
  return {
    volume: { name: "bundle", hostPath: { path: dir, type: "Directory" as const } },
    mount: { name: "bundle", mountPath: "/bundle", readOnly: true },
  };
}
