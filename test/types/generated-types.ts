// Type-level tests of the generated 1.36 types, checked by `tsc` (test/typecheck.test.ts).
// Each @ts-expect-error line must stay an error: tsc fails on an unused one.

import type { coreV1, metaV1, pkgRuntime } from "kubefetch/generated/kubernetes-1.36";
import type { paths } from "kubefetch/generated/kubernetes-1.36/openapi";
import createClient from "openapi-fetch";
import { type Equal, expectType } from "../helpers/expect-type.js";

// apiVersion/kind are literal types from x-kubernetes-group-version-kind.
expectType<Equal<coreV1.Pod["kind"], "Pod">>();
expectType<Equal<coreV1.Pod["apiVersion"], "v1">>();
// @ts-expect-error a Pod's kind is not any string
expectType<Equal<coreV1.Pod["kind"], string>>();

// Container.name is required; ContainerPort.protocol (it has a default) is optional.
export const container: coreV1.Container = { name: "web" };
// @ts-expect-error name is required
export const nameless: coreV1.Container = { image: "nginx" };
export const port: coreV1.ContainerPort = { containerPort: 80 };
expectType<Equal<undefined extends coreV1.ContainerPort["protocol"] ? true : false, true>>();

// Live-cluster enums are unions.
export const udp: coreV1.ContainerPort = { containerPort: 53, protocol: "UDP" };
// @ts-expect-error not a protocol
export const xyz: coreV1.ContainerPort = { containerPort: 53, protocol: "XYZ" };

// IntOrString accepts 80 and "http", nothing else; Quantity accepts numbers and strings.
export const byNumber: coreV1.ServicePort = { port: 80, targetPort: 80 };
export const byName: coreV1.ServicePort = { port: 80, targetPort: "http" };
// @ts-expect-error a boolean is not int-or-string
export const byBool: coreV1.ServicePort = { port: 80, targetPort: true };
export const limits: coreV1.ResourceRequirements = { limits: { cpu: 1, memory: "1Gi" } };

// Patch bodies: a JSON-patch array and a merge-patch object are both valid.
export const jsonPatch: metaV1.Patch = [{ op: "replace", path: "/spec/replicas", value: 3 }];
export const mergePatch: metaV1.Patch = { metadata: { labels: { app: "web" } } };
// RawExtension and FieldsV1 stay open.
export const raw: pkgRuntime.RawExtension = { apiVersion: "v1", kind: "Anything", extra: [1] };
export const fields: metaV1.FieldsV1 = { "f:metadata": { "f:labels": {} } };

// Paths through openapi-fetch: a misspelt path parameter does not compile.
const client = createClient<paths>({ baseUrl: "https://127.0.0.1" });
export async function rawCalls() {
  const ok = await client.GET("/api/v1/namespaces/{namespace}/pods/{name}", {
    params: { path: { namespace: "default", name: "web" } },
  });
  expectType<Equal<NonNullable<typeof ok.data>, coreV1.Pod>>();
  await client.GET("/api/v1/namespaces/{namespace}/pods/{name}", {
    // @ts-expect-error "nmae" is not a parameter of this path
    params: { path: { namespace: "default", nmae: "web" } },
  });
  // @ts-expect-error no such path
  await client.GET("/api/v1/namespaces/{namespace}/podz/{name}", {});
  await client.PATCH("/api/v1/namespaces/{namespace}/pods/{name}", {
    params: { path: { namespace: "default", name: "web" } },
    body: [{ op: "remove", path: "/metadata/labels/app" }],
  });
  await client.PATCH("/api/v1/namespaces/{namespace}/pods/{name}", {
    params: { path: { namespace: "default", name: "web" } },
    body: { metadata: { labels: { app: "web" } } },
  });
}
