/**
 * Test kits for code that uses kubefetch: `createFakeCluster`, a fake API server on loopback
 * that the real client talks to, held to the real apiserver by a differential suite; and
 * `startControlPlane`, a real etcd + kube-apiserver from `KUBEBUILDER_ASSETS`, as
 * controller-runtime's envtest.
 * @packageDocumentation
 */

export {
  createFakeCluster,
  type FakeCluster,
  type FakeClusterOptions,
  type FakeFault,
  type FakeRequest,
} from "./fake/server.js";
