// Type-level tests of proxy and port-forward (checked by tsc via test/typecheck.test.ts):
// the methods exist only on kinds whose registry entry has the subresource.
import type { Duplex } from "node:stream";
import type { KubeConfig, PortForward } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { type Equal, expectType } from "../helpers/expect-type.js";

declare const config: KubeConfig;
const kube = createClient(config);

export async function proxyTypes() {
  const res = await kube.core.v1.services.proxy({
    namespace: "d",
    name: "web",
    port: "http",
    path: "/healthz",
  });
  expectType<Equal<typeof res, Response>>();
  await kube.core.v1.pods.proxy({ namespace: "d", name: "p", port: 8080, method: "POST", body: "x" });
  await kube.core.v1.nodes.proxy({ name: "n", path: "/pods" });
  // @ts-expect-error nodes are cluster-scoped: no namespace
  await kube.core.v1.nodes.proxy({ name: "n", namespace: "x" });
  // @ts-expect-error configmaps have no proxy subresource
  kube.core.v1.configmaps.proxy;
  // @ts-expect-error not an HTTP method of proxy
  await kube.core.v1.pods.proxy({ name: "p", method: "CONNECT" });
  await kube.resource({ apiVersion: "v1", kind: "Pod" }).proxy({ name: "p", port: 80 });
}

export async function portForwardTypes() {
  const pf = await kube.core.v1.pods.portForward({
    namespace: "d",
    name: "p",
    ports: [{ remote: 8080, local: 0 }],
  });
  expectType<Equal<typeof pf, PortForward>>();
  const local: number | undefined = pf.ports[0]?.local;
  void local;
  await pf.close();
  const sock = await kube.core.v1.pods.portForward.connect({ namespace: "d", name: "p", port: 8080 });
  expectType<Equal<typeof sock, Duplex>>();
  // @ts-expect-error ports are numbers
  await kube.core.v1.pods.portForward({ name: "p", ports: [{ remote: "http" }] });
  // @ts-expect-error only pods have port-forward
  kube.core.v1.services.portForward;
  // @ts-expect-error nor do nodes
  kube.core.v1.nodes.portForward;
  await kube.resource({ apiVersion: "v1", kind: "Pod" }).portForward.connect({ name: "p", port: 80 });
}
