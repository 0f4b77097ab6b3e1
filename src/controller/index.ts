/**
 * The parts of a Kubernetes controller, each usable alone: a work queue, leader election on a
 * Lease, an event recorder, and controllers built on the informer.
 * @packageDocumentation
 */

export type { Clock } from "./clock.js";
export {
  type Controller,
  type ControllerOptions,
  createController,
  type PrimaryResource,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from "./controller.js";
export {
  createEventRecorder,
  type EventClient,
  type EventRecorder,
  type EventRecorderOptions,
  type EventSubject,
  type EventType,
} from "./event-recorder.js";
export {
  type LeaderElection,
  type LeaderElectionOptions,
  type Lease,
  type LeaseClient,
  type LeaseSpec,
  leaderElection,
} from "./leader-election.js";
export { microTime } from "./micro-time.js";
export { controllerReference, type KubeObjectLike, type OwnerReference } from "./owners.js";
export type { RateLimiter, RateLimitOptions } from "./rate-limit.js";
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from "./work-queue.js";
