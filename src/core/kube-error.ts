/** A Kubernetes `Status` as the API server sends it with an error. */
export interface Status {
  kind?: "Status";
  apiVersion?: string;
  status?: "Success" | "Failure";
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    retryAfterSeconds?: number;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** A non-2xx answer (or a 2xx that is not the JSON promised): HTTP status, parsed Status, request. */
export class KubeError extends Error {
  override readonly name = "KubeError";
  readonly status: number;
  readonly reason: string | undefined;
  readonly details: Status["details"];
  readonly causes: NonNullable<NonNullable<Status["details"]>["causes"]>;
  readonly method: string;
  readonly path: string;
  /** The parsed Status, when the body was one. */
  readonly body: Status | undefined;
  /** The first bytes of a body that was not a Status. */
  readonly bodyPrefix: string | undefined;

  constructor(init: {
    status: number;
    method: string;
    path: string;
    body?: Status;
    bodyPrefix?: string;
    message?: string;
  }) {
    const s = init.body;
    const what =
      s?.message ?? init.message ?? (init.bodyPrefix ? `non-JSON body: ${init.bodyPrefix}` : "no body");
    super(`${init.method} ${init.path}: ${init.status}${s?.reason ? ` ${s.reason}` : ""}: ${what}`);
    this.status = init.status;
    this.reason = s?.reason;
    this.details = s?.details;
    this.causes = s?.details?.causes ?? [];
    this.method = init.method;
    this.path = init.path;
    this.body = s;
    this.bodyPrefix = init.bodyPrefix;
  }
}

const is =
  (status: number, reason?: string) =>
  (e: unknown): e is KubeError =>
    e instanceof KubeError &&
    e.status === status &&
    (reason === undefined || e.reason === reason || e.reason === undefined);

export const isNotFound = is(404);
export const isConflict = is(409, "Conflict");
export const isAlreadyExists = is(409, "AlreadyExists");
export const isForbidden = is(403);
export const isUnauthorized = is(401);
export const isInvalid = is(422);
export const isGone = is(410);
export const isTooManyRequests = is(429);

/**
 * listAll's snapshot expired (410 on a later page's continue token) after some items were
 * handed out: the list is incomplete, list again (client-go's pager says the same).
 */
export class ListExpiredError extends Error {
  override readonly name = "ListExpiredError";
  /** How many items were handed out before the snapshot expired. */
  readonly items: number;
  constructor(items: number, cause: KubeError) {
    super(`the list's snapshot expired after ${items} items (410 on a continue token): list again`, {
      cause,
    });
    this.items = items;
  }
}
