// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics
// (tools/leaderelection/leaderelection.go and resourcelock/leaselock.go):
//   - try: the Lease is missing -> create it holding it; held by another whose record has not
//     changed for its leaseDurationSeconds, measured by OUR clock from when WE last saw the
//     record change (remote clocks are not trusted) -> wait; else -> update it (replace with
//     the resourceVersion we read: two candidates cannot both win). leaseTransitions grows by
//     one when the holder changes; the leader keeps acquireTime and renews renewTime.
//   - acquire: try every 0.8-1x retryPeriod until it succeeds, and right when the observed
//     holder's lease runs out. client-go jitters up to 2.2x; jittering below the period instead
//     still spreads candidates, and means a renewal is seen at most one retryPeriod late, so a
//     dead leader is replaced within leaseDuration + retryPeriod.
//   - renew: every retryPeriod; a failed renewal is retried every retryPeriod until
//     renewDeadline has passed since the last successful one was sent, then leadership is
//     lost: the signal given to onStartedLeading aborts.
//   - on cancel with releaseOnCancel: write an empty holder and leaseDurationSeconds 1, so
//     another candidate takes over at once.
//   - onStoppedLeading runs whenever the election ends (as client-go's deferred call).
// The Lease's fields are written as client-go writes them so Go and TypeScript replicas can
// share one: holderIdentity, leaseDurationSeconds (whole seconds), acquireTime and renewTime
// (MicroTime), leaseTransitions.

import { isNotFound } from "../core/kube-error.js";
import { sleepOrWake, timeoutSignal } from "../core/timers.js";
import { microTime, preciseNow } from "./micro-time.js";

/** The fields of a Lease's spec that leader election reads and writes, as client-go does. */
export interface LeaseSpec {
  /** The leader's identity ("" or absent: free). */
  holderIdentity?: string;
  /** How long others wait after the record last changed before taking over. */
  leaseDurationSeconds?: number;
  /** When the holder acquired it (MicroTime). */
  acquireTime?: string | null;
  /** When the holder last renewed it (MicroTime). */
  renewTime?: string | null;
  /** How many times the holder changed. */
  leaseTransitions?: number;
}

/** A coordination.k8s.io/v1 Lease, as far as leader election uses it. */
export interface Lease {
  /** "coordination.k8s.io/v1" */
  apiVersion?: string;
  /** "Lease" */
  kind?: string;
  /** Which Lease, and the version a replace is conditional on. */
  metadata?: {
    /** The Lease's name. */
    name?: string;
    /** The Lease's namespace. */
    namespace?: string;
    /** The version read: a replace with it fails if another candidate wrote first. */
    resourceVersion?: string;
  };
  /** The election's record. */
  spec?: LeaseSpec;
}

/** What leader election needs of a client: `kube.coordination.v1.leases`. */
export interface LeaseClient {
  /** coordination.k8s.io */
  coordination: {
    /** coordination.k8s.io/v1 */
    v1: {
      /** Leases. */
      leases: {
        /** Reads the Lease. */
        get(ref: { name: string; namespace?: string }, options?: { signal?: AbortSignal }): Promise<Lease>;
        /** Creates it, holding it, when it is missing. */
        create(object: Lease, options?: { signal?: AbortSignal }): Promise<Lease>;
        /** Takes over or renews it, conditional on the resourceVersion read. */
        replace(object: Lease, options?: { signal?: AbortSignal }): Promise<Lease>;
      };
    };
  };
}

/** What leaderElection() takes: the Lease, this candidate, the timings and the callbacks. */
export interface LeaderElectionOptions {
  /** The Lease's namespace. */
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** This candidate's identity (unique per replica: hostname, pod name). */
  identity: string;
  /** How long others wait after the record last changed before taking over (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader retries a failing renewal before it gives up (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between attempts (default 2 s). */
  retryPeriodMs?: number;
  /** Called once leading; `signal` aborts when leadership ends. Its promise is awaited before release. */
  onStartedLeading(signal: AbortSignal): unknown;
  /** Called when the election ends, led or not (client-go's semantics). */
  onStoppedLeading(): void;
  /** Called when the observed holder changes (including to this identity). */
  onNewLeader?(identity: string): void;
  /** On abort, give the lease up at once (empty holder, leaseDurationSeconds 1). */
  releaseOnCancel?: boolean;
  /** Ends the election (leading or not). */
  signal?: AbortSignal;
  /** Where a failed Lease call is reported (default: silent, as client-go logs at a low level). */
  onError?(err: unknown): void;
}

/** A running election, as this candidate observes it. */
export interface LeaderElection {
  /** Whether this identity holds the lease, as last observed. */
  isLeader(): boolean;
  /** The holder as last observed ("" when free). */
  leader(): string;
  /** Resolves when the election has ended (aborted or leadership lost) and callbacks ran. */
  readonly done: Promise<void>;
}

/** client-go's JitterFactor for acquire and its requirement renewDeadline > JitterFactor * retryPeriod. */
const JITTER = 1.2;

/**
 * Runs for leadership on a Lease until `signal` aborts or leadership is lost, with client-go's
 * semantics, so Go and TypeScript replicas can share one Lease.
 */
export function leaderElection(kube: LeaseClient, o: LeaderElectionOptions): LeaderElection {
  const leaseDurationMs = o.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = o.retryPeriodMs ?? 2_000;
  // The checks of client-go's NewLeaderElector, with its messages.
  if (!o.identity) throw new TypeError("leaderElection: identity must not be empty");
  if (!o.name || !o.namespace)
    throw new TypeError("leaderElection: namespace and name of the Lease are required");
  if (leaseDurationMs < 1000) throw new TypeError("leaderElection: leaseDurationMs must be at least 1000");
  if (leaseDurationMs <= renewDeadlineMs)
    throw new TypeError("leaderElection: leaseDurationMs must be greater than renewDeadlineMs");
  if (renewDeadlineMs <= JITTER * retryPeriodMs)
    throw new TypeError("leaderElection: renewDeadlineMs must be greater than retryPeriodMs * 1.2");
  if (retryPeriodMs < 1) throw new TypeError("leaderElection: retryPeriodMs must be greater than zero");

  const leases = kube.coordination.v1.leases;
  const ref = { namespace: o.namespace, name: o.name };
  const durationSeconds = Math.floor(leaseDurationMs / 1000);
  const outer = o.signal ?? new AbortController().signal;
  let lease: Lease | undefined; // the last Lease read or written: its resourceVersion guards updates
  let observed: LeaseSpec = {};
  let observedRaw = "";
  let observedTime = 0;
  let reported: string | undefined;

  const setObserved = (spec: LeaseSpec) => {
    observed = spec;
    observedTime = performance.now();
  };
  const isLeader = () => observed.holderIdentity === o.identity;
  const leaseValid = (now: number) => observedTime + (observed.leaseDurationSeconds ?? 0) * 1000 > now;
  const raw = (s: LeaseSpec | undefined) =>
    JSON.stringify([
      s?.holderIdentity,
      s?.leaseDurationSeconds,
      s?.acquireTime,
      s?.renewTime,
      s?.leaseTransitions,
    ]);
  const report = (err: unknown) => o.onError?.(err);

  const write = async (spec: LeaseSpec, signal: AbortSignal) => {
    const next: Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { ...lease?.metadata, ...ref },
      spec: { ...lease?.spec, ...spec },
    };
    lease = await leases.replace(next, { signal });
    setObserved(spec);
    observedRaw = raw(lease.spec);
  };

  /** tryAcquireOrRenew: true when this identity holds the lease afterwards. */
  const tryAcquireOrRenew = async (signal: AbortSignal): Promise<boolean> => {
    const now = microTime(preciseNow());
    const record: LeaseSpec = {
      holderIdentity: o.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    // 1. Fast path: the leader renews the Lease it last wrote, without reading it.
    if (isLeader() && lease && leaseValid(performance.now())) {
      try {
        await write(
          { ...record, acquireTime: observed.acquireTime, leaseTransitions: observed.leaseTransitions ?? 0 },
          signal,
        );
        return true;
      } catch (err) {
        report(err);
      }
    }
    // 2. Read the Lease, or create it.
    let current: Lease;
    try {
      current = await leases.get(ref, { signal });
    } catch (err) {
      if (!isNotFound(err)) {
        report(err);
        return false;
      }
      try {
        lease = await leases.create(
          { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { ...ref }, spec: record },
          { signal },
        );
        setObserved(record);
        observedRaw = raw(lease.spec);
        return true;
      } catch (createErr) {
        report(createErr);
        return false;
      }
    }
    lease = current;
    // 3. The record changed since we last looked: restart the clock on it.
    const spec = current.spec ?? {};
    if (raw(spec) !== observedRaw) {
      setObserved({ ...spec });
      observedRaw = raw(spec);
    }
    if (spec.holderIdentity && leaseValid(performance.now()) && !isLeader()) return false;
    // 4. Free, expired, or ours: take it.
    const next = isLeader()
      ? { ...record, acquireTime: spec.acquireTime, leaseTransitions: spec.leaseTransitions ?? 0 }
      : { ...record, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      await write(next, signal);
      return true;
    } catch (err) {
      report(err);
      return false;
    }
  };

  const maybeReportTransition = () => {
    const holder = observed.holderIdentity ?? "";
    if (holder === reported) return;
    reported = holder;
    try {
      o.onNewLeader?.(holder);
    } catch (err) {
      report(err);
    }
  };

  const release = async () => {
    if (!isLeader() || !lease) return;
    const now = microTime(preciseNow());
    try {
      await write(
        {
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: observed.leaseTransitions ?? 0,
        },
        timeoutSignal(Math.ceil(renewDeadlineMs)),
      );
    } catch (err) {
      report(err);
    }
  };

  const run = async () => {
    try {
      // acquire
      let acquiredAt = 0;
      while (!outer.aborted) {
        acquiredAt = performance.now();
        const ok = await tryAcquireOrRenew(
          AbortSignal.any([outer, timeoutSignal(Math.ceil(renewDeadlineMs))]),
        );
        maybeReportTransition();
        if (ok) break;
        // Jittered below the period, never above it (see the top), and awake when the holder's
        // lease runs out by our own clock: a takeover is never earlier than expiry.
        const untilExpiry = observedTime + (observed.leaseDurationSeconds ?? 0) * 1000 - performance.now();
        const jittered = retryPeriodMs * (1 - Math.random() * 0.2);
        await sleepOrWake(untilExpiry > 0 ? Math.min(jittered, untilExpiry + 5) : jittered, outer);
      }
      if (outer.aborted) return;
      const leading = new AbortController();
      const stopLeading = () => leading.abort();
      outer.addEventListener("abort", stopLeading, { once: true });
      const work = Promise.resolve()
        .then(() => o.onStartedLeading(leading.signal))
        .catch(report);
      // renew: the deadline runs from when the last successful renewal was sent, not from
      // the start of a retry window as in client-go (there, retryPeriod + renewDeadline may
      // reach leaseDuration: 1 s + 3 s of a 4 s lease), so leadership ends renewDeadline after
      // the renewTime others saw, always before they may take over (leaseDuration later).
      let renewedAt = acquiredAt;
      for (;;) {
        await sleepOrWake(retryPeriodMs, leading.signal);
        if (leading.signal.aborted) break;
        let ok = false;
        for (;;) {
          const left = renewedAt + renewDeadlineMs - performance.now();
          if (left <= 0 || leading.signal.aborted) break;
          const sentAt = performance.now();
          ok = await tryAcquireOrRenew(AbortSignal.any([leading.signal, timeoutSignal(Math.ceil(left))]));
          if (ok) {
            renewedAt = sentAt;
            break;
          }
          await sleepOrWake(
            Math.min(retryPeriodMs, renewedAt + renewDeadlineMs - performance.now()),
            leading.signal,
          );
        }
        maybeReportTransition();
        if (!ok) break; // lost (or aborted): stop leading
      }
      outer.removeEventListener("abort", stopLeading);
      leading.abort();
      // Our reconciles end before the lease is handed over (bounded: a stuck callback waits
      // out the lease at most, which another candidate waits anyway).
      const cap = new AbortController();
      await Promise.race([work, sleepOrWake(leaseDurationMs, cap.signal)]);
      cap.abort();
      if (o.releaseOnCancel && outer.aborted) await release();
    } finally {
      try {
        o.onStoppedLeading();
      } catch (err) {
        report(err);
      }
    }
  };

  const done = run();
  return { isLeader, leader: () => observed.holderIdentity ?? "", done };
}
