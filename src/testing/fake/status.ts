// The apiserver's Status answers, in its words (k8s.io/apimachinery/pkg/api/errors): clients
// branch on code and reason, and users' tests match messages, so both follow the server's.

/** A resource as errors name it: "configmaps", or "deployments.apps" outside the core group. */
export interface ResourceName {
  readonly group: string;
  readonly plural: string;
}

/** A Status failure and the HTTP status it goes with. */
export interface StatusAnswer {
  readonly code: number;
  readonly body: Record<string, unknown>;
}

/** One field's problem in a 422 Invalid: `{ reason: "FieldValueInvalid", field: "metadata.name", message }`. */
export interface StatusCause {
  readonly reason: string;
  readonly field?: string;
  readonly message: string;
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

const qualified = (r: ResourceName) => (r.group ? `${r.plural}.${r.group}` : r.plural);

/** A Status of `code` with the reason the apiserver gives that code. */
export function failure(
  code: number,
  message: string,
  reason = REASONS[code] ?? "Unknown",
  details?: Record<string, unknown>,
): StatusAnswer {
  const body: Record<string, unknown> = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
  return { code, body };
}

const named = (r: ResourceName, name: string) => ({
  name,
  ...(r.group ? { group: r.group } : {}),
  kind: r.plural,
});

export const notFound = (r: ResourceName, name: string) =>
  failure(404, `${qualified(r)} "${name}" not found`, "NotFound", named(r, name));

export const alreadyExists = (r: ResourceName, name: string) =>
  failure(409, `${qualified(r)} "${name}" already exists`, "AlreadyExists", named(r, name));

/** 409 on a stale resourceVersion or a failed precondition (errors.NewConflict). */
export const conflict = (r: ResourceName, name: string, why: string) =>
  failure(
    409,
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`,
    "Conflict",
    named(r, name),
  );

export const STALE =
  "the object has been modified; please apply your changes to the latest version and try again";

/** 422 Invalid, named by Kind as errors.NewInvalid names it. */
export function invalid(
  kind: { group: string; kind: string },
  name: string,
  causes: readonly StatusCause[],
): StatusAnswer {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  // errors.NewInvalid names the GroupKind: "Widget.example.com", "Deployment.apps", "ConfigMap".
  const gk = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  const message =
    list.length === 1
      ? `${gk} "${name}" is invalid: ${list[0]}`
      : `${gk} "${name}" is invalid: [${list.join(", ")}]`;
  return failure(422, message, "Invalid", {
    ...(name ? { name } : {}),
    ...(kind.group ? { group: kind.group } : {}),
    kind: kind.kind,
    causes: causes.map((c) => ({
      reason: c.reason,
      message: c.message,
      ...(c.field ? { field: c.field } : {}),
    })),
  });
}

export const badRequest = (message: string) => failure(400, message, "BadRequest");

export const methodNotAllowed = () =>
  failure(405, "the server does not allow this method on the requested resource", "MethodNotAllowed", {});

export const notFoundPath = () =>
  failure(404, "the server could not find the requested resource", "NotFound", {});

/** A success Status, as a delete of some kinds and deletecollection of none answer. */
export function success(details?: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    ...(details ? { details } : {}),
  };
}

/** A thrown Status: handlers throw it, the server writes it. */
export class StatusError extends Error {
  override readonly name = "StatusError";
  constructor(readonly answer: StatusAnswer) {
    super(String(answer.body.message));
  }
}

export function raise(answer: StatusAnswer): never {
  throw new StatusError(answer);
}
