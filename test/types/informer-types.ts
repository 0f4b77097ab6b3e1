// The informer takes any typed resource and keeps its object type.
import type { KubeConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createInformer } from "kubefetch/informer";

declare const config: KubeConfig;
const kube = createClient(config);
const inf = createInformer(kube.core.v1.configmaps, { namespace: "demo", resyncMs: 60_000 });
inf.on("update", (cm, old) => {
  const v: string | undefined = cm.data?.k ?? old.data?.k;
  void v;
});
export const cms = inf.list();
export const one: string | undefined = inf.get({ namespace: "demo", name: "a" })?.data?.k;
// @ts-expect-error not an event of an informer
inf.on("changed", () => {});
