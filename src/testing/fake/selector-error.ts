// A selector the apiserver cannot use: it answers a list, watch or deletecollection carrying one
// with 400 BadRequest whose message is the parser's (or the field label check's) error text.

/** A label or field selector the apiserver refuses, with the message its 400 carries. */
export class SelectorError extends Error {
  /** "SelectorError", as stack traces show it. */
  override readonly name = "SelectorError";
  /** The HTTP status to answer. */
  readonly status = 400;
  /** The Status reason to answer. */
  readonly reason = "BadRequest";
}
