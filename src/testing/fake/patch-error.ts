// The error a patch answers with, carrying what the apiserver's Status for it holds, so the fake
// server can answer the same code, reason and message a real one does.

/** The HTTP status the apiserver answers a failed patch with. */
export type PatchErrorStatus = 400 | 413 | 422 | 500;

/** The Status reason that goes with each code ("" is StatusReasonUnknown, for plain Go errors). */
export type PatchErrorReason = "BadRequest" | "RequestEntityTooLarge" | "Invalid" | "";

const REASONS: { readonly [S in PatchErrorStatus]: PatchErrorReason } = {
  400: "BadRequest",
  413: "RequestEntityTooLarge",
  422: "Invalid",
  500: "",
};

/**
 * A patch the apiserver refuses. `message` is the Status message it answers; `causes` the
 * Status details' causes (where the apiserver puts the library's own words for a 422, whose
 * message is the generic "the server rejected our request due to an error in our request").
 */
export class PatchError extends Error {
  /** "PatchError", as stack traces show it. */
  override readonly name = "PatchError";
  /** The HTTP status to answer. */
  readonly status: PatchErrorStatus;
  /** The Status reason to answer. */
  readonly reason: PatchErrorReason;
  /** The Status details' causes' messages (empty when the Status has none). */
  readonly causes: readonly string[];

  constructor(status: PatchErrorStatus, message: string, causes: readonly string[] = []) {
    super(message);
    this.status = status;
    this.reason = REASONS[status];
    this.causes = causes;
  }
}

/** A 400 BadRequest whose message is the decoder's or the library's error. */
export function badRequest(message: string): PatchError {
  return new PatchError(400, message);
}

/**
 * A 422 as apimachinery's NewGenericServerResponse(422, …, serverMessage) builds it: the generic
 * message, the library's error as the one cause.
 */
export function unprocessable(detail: string): PatchError {
  return new PatchError(422, "the server rejected our request due to an error in our request", [detail]);
}

/** A plain Go error reaching the handler: 500, reason unknown, the error's text as message. */
export function internal(message: string): PatchError {
  return new PatchError(500, message);
}
