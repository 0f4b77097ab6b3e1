/**
 * Why a control plane could not start:
 * - `BinaryMissing`: no etcd / kube-apiserver (/ a kubectl asked for) at the path, or not executable;
 * - `WrongVersion`: `--version` unreadable, older than supported, or not the `kubernetesVersion` asked;
 * - `StartFailed`: a process exited during start-up, or the folder cannot be used;
 * - `Timeout`: not ready (or a CRD not served) within `startTimeoutMs`;
 * - `CrdFailed`: a CRD file unreadable, not a CustomResourceDefinition, or refused by the apiserver.
 */
export type ControlPlaneErrorReason =
  | "BinaryMissing"
  | "WrongVersion"
  | "StartFailed"
  | "Timeout"
  | "CrdFailed";

/** The processes of a control plane, as errors name them. */
export type ControlPlaneComponent = "etcd" | "kube-apiserver" | "kubectl";

/**
 * A control plane that did not start, with its reason, the component and file involved, and
 * (for a process that exited or never became ready) the last lines of its log, with anything
 * shaped like a key or token removed. The message holds all of that.
 */
export class ControlPlaneError extends Error {
  /** "ControlPlaneError", as stack traces show it. */
  override readonly name = "ControlPlaneError";
  /** What went wrong, as a value to branch on. */
  readonly reason: ControlPlaneErrorReason;
  /** The process involved, when there is one. */
  readonly component: ControlPlaneComponent | undefined;
  /** The binary, CRD file or folder involved, when there is one. */
  readonly path: string | undefined;
  /** The last lines of the component's log (redacted), when it was started. */
  readonly logTail: string | undefined;

  constructor(
    reason: ControlPlaneErrorReason,
    problem: string,
    where: { component?: ControlPlaneComponent; path?: string; logTail?: string; cause?: unknown } = {},
  ) {
    const prefix = where.component ? `${where.component}: ` : "";
    const tail = where.logTail ? `\n--- last lines of its log ---\n${where.logTail}` : "";
    super(
      `startControlPlane (${reason}): ${prefix}${problem}${tail}`,
      where.cause === undefined ? undefined : { cause: where.cause },
    );
    this.reason = reason;
    this.component = where.component;
    this.path = where.path;
    this.logTail = where.logTail;
  }
}
