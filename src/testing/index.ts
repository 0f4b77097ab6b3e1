/**
 * Test kits for code that uses kubefetch: `createFakeCluster`, a fake API server on loopback
 * that the real client talks to, held to the real apiserver by a differential suite; and
 * `startControlPlane`, a real etcd + kube-apiserver from `KUBEBUILDER_ASSETS`, as
 * controller-runtime's envtest.
 * @packageDocumentation
 */

export {
  type ControlPlane,
  type ControlPlaneBinaries,
  type ControlPlaneOptions,
  startControlPlane,
} from "./control-plane/control-plane.js";
export {
  type ControlPlaneComponent,
  ControlPlaneError,
  type ControlPlaneErrorReason,
} from "./control-plane/control-plane-error.js";
export {
  createFakeCluster,
  type FakeCluster,
  type FakeClusterOptions,
  type FakeFault,
  type FakeRequest,
} from "./fake/server.js";
export type { JsonSchemaNode } from "./fake/shape.js";
