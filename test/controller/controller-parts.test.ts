import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { controllerReference, microTime } from "../../src/controller/index.js";
import type { KubeObjectLike } from "../../src/controller/owners.js";
import { controllerOwnerRequest } from "../../src/controller/owners.js";
import { acquireInformer } from "../../src/controller/shared-informers.js";
import type { KubeList, WatchEvent } from "../../src/core/objects.js";

const deployment = { apiVersion: "apps/v1", kind: "Deployment" };

describe("microTime", () => {
  it("writes Go's metav1.MicroTime text (RFC3339Micro, UTC)", () => {
    assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678) + 0.9), "2024-01-02T03:04:05.678900Z");
    assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 0)), "2024-01-02T03:04:05.000000Z");
    assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 999) + 0.9999), "2024-01-02T03:04:06.000000Z");
  });
});

describe("owner references to requests (EnqueueRequestForOwner, OnlyControllerOwner)", () => {
  const child = (refs: object[]): KubeObjectLike =>
    ({ metadata: { name: "c", namespace: "ns", ownerReferences: refs } }) as KubeObjectLike;
  const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "u1" };

  it("maps a child to its controller owner of the primary kind, in the child's namespace", () => {
    assert.deepEqual(controllerOwnerRequest(child([{ ...ref, controller: true }]), deployment), {
      namespace: "ns",
      name: "web",
    });
  });
  it("ignores an owner that is not the controller", () => {
    assert.equal(controllerOwnerRequest(child([ref]), deployment), undefined);
    assert.equal(controllerOwnerRequest(child([{ ...ref, controller: false }]), deployment), undefined);
  });
  it("matches group and kind, not version", () => {
    assert.deepEqual(
      controllerOwnerRequest(child([{ ...ref, apiVersion: "apps/v1beta2", controller: true }]), deployment),
      { namespace: "ns", name: "web" },
    );
    assert.equal(
      controllerOwnerRequest(
        child([{ ...ref, apiVersion: "extensions/v1beta1", controller: true }]),
        deployment,
      ),
      undefined,
    );
    assert.equal(
      controllerOwnerRequest(child([{ ...ref, kind: "ReplicaSet", controller: true }]), deployment),
      undefined,
    );
  });
  it("controllerReference makes a controller owner reference, and says what is missing", () => {
    assert.deepEqual(controllerReference({ ...deployment, metadata: { name: "web", uid: "u1" } }), {
      ...ref,
      controller: true,
      blockOwnerDeletion: true,
    });
    assert.throws(() => controllerReference({ ...deployment, metadata: { name: "web" } }), /metadata.uid/);
  });
});

describe("shared informers", () => {
  /** A list/watch of nothing that waits for its signal: enough for the informer to start and stop. */
  const idle = () => ({
    list: async (): Promise<KubeList<KubeObjectLike>> => ({
      apiVersion: "v1",
      kind: "List",
      metadata: { resourceVersion: "1" },
      items: [],
    }),
    watch: (o: { signal?: AbortSignal }): AsyncIterable<WatchEvent<KubeObjectLike>> => ({
      async *[Symbol.asyncIterator]() {
        await new Promise((r) => o.signal?.addEventListener("abort", r, { once: true }));
      },
    }),
  });

  it("one informer per (client, kind, scope); the last release stops it", async () => {
    const clientA = {};
    const clientB = {};
    const res = idle();
    const a1 = await acquireInformer(clientA, res, { namespace: "x" });
    const a2 = await acquireInformer(clientA, res, { namespace: "x" });
    const a3 = await acquireInformer(clientA, res, { namespace: "y" });
    const b1 = await acquireInformer(clientB, res, { namespace: "x" });
    assert.equal(a1.informer, a2.informer, "same client, kind and namespace: shared");
    assert.notEqual(a1.informer, a3.informer, "another namespace: another informer");
    assert.notEqual(a1.informer, b1.informer, "another client: another informer");
    await a1.release();
    const a4 = await acquireInformer(clientA, res, { namespace: "x" });
    assert.equal(a4.informer, a2.informer, "still shared while one user holds it");
    await a2.release();
    await a4.release();
    const a5 = await acquireInformer(clientA, res, { namespace: "x" });
    assert.notEqual(a5.informer, a2.informer, "a new one after the last release");
    await Promise.all([a3.release(), a5.release(), b1.release()]);
  });
});
