import type { Status } from "./kube-error.js";

/** A watch that cannot go on: a malformed event, an ERROR event, a stream that broke the protocol. */
export class WatchError extends Error {
  /** "WatchError", as stack traces show it. */
  override readonly name: string = "WatchError";
  /** The Status of an ERROR event, when the watch ended with one. */
  readonly status: Status | undefined;

  constructor(message: string, options: { status?: Status; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}

/** 410 Gone: the resourceVersion is older than what etcd keeps. List again, then watch from there. */
export class WatchExpiredError extends WatchError {
  /** "WatchExpiredError", as stack traces show it. */
  override readonly name = "WatchExpiredError";
}
