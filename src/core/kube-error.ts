/** A Kubernetes `Status` as the API server sends it with an error. */
export interface Status {
  /** Always "Status". */
  kind?: "Status";
  /** "v1". */
  apiVersion?: string;
  /** "Failure" for an error. */
  status?: "Success" | "Failure";
  /** What went wrong, for a person. */
  message?: string;
  /** What went wrong, for a program: "NotFound", "AlreadyExists", "Conflict", ... */
  reason?: string;
  /** The HTTP status again. */
  code?: number;
  /** Which object the error is about, and why, field by field. */
  details?: {
    /** The object's name. */
    name?: string;
    /** The object's API group. */
    group?: string;
    /** The object's kind (or resource). */
    kind?: string;
    /** The object's uid. */
    uid?: string;
    /** How long to wait before retrying (429, 503, 504). */
    retryAfterSeconds?: number;
    /** Each reason the request failed, e.g. one per invalid field. */
    causes?: {
      /** What is wrong with the field: "FieldValueInvalid", "FieldValueRequired", ... */
      reason?: string;
      /** What is wrong, for a person. */
      message?: string;
      /** The field's path: "spec.replicas". */
      field?: string;
    }[];
  };
}

/** A non-2xx answer (or a 2xx that is not the JSON promised): HTTP status, parsed Status, request. */
export class KubeError extends Error {
  /** "KubeError", as error printers show it. */
  override readonly name = "KubeError";
  /** The HTTP status. */
  readonly status: number;
  /** The Status's reason ("NotFound", "Conflict", ...), when the body was a Status with one. */
  readonly reason: string | undefined;
  /** The Status's details: which object, and why. */
  readonly details: Status["details"];
  /** The Status's causes (one per invalid field on a 422), or none. */
  readonly causes: NonNullable<NonNullable<Status["details"]>["causes"]>;
  /** The request's HTTP method. */
  readonly method: string;
  /** The request's path. */
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

// A 409's reason tells a conflict from an existing object; a Status without a reason passes
// either test, as the status alone cannot say which it was.
/** Whether `e` is a KubeError of 404 Not Found. */
export const isNotFound = is(404);
/** Whether `e` is a KubeError of 409 Conflict: the object changed since it was read. */
export const isConflict = is(409, "Conflict");
/** Whether `e` is a KubeError of 409 AlreadyExists: create met an object of that name. */
export const isAlreadyExists = is(409, "AlreadyExists");
/** Whether `e` is a KubeError of 403 Forbidden. */
export const isForbidden = is(403);
/** Whether `e` is a KubeError of 401 Unauthorized. */
export const isUnauthorized = is(401);
/** Whether `e` is a KubeError of 422 Invalid: the object failed validation (see `causes`). */
export const isInvalid = is(422);
/** Whether `e` is a KubeError of 410 Gone: the resourceVersion or continue token expired. */
export const isGone = is(410);
/** Whether `e` is a KubeError of 429 Too Many Requests. */
export const isTooManyRequests = is(429);

/**
 * listAll's snapshot expired (410 on a later page's continue token) after some items were
 * handed out: the list is incomplete, list again (client-go's pager says the same).
 */
export class ListExpiredError extends Error {
  /** "ListExpiredError", as error printers show it. */
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
