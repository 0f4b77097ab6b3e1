/**
 * A configuration that cannot be used: says what, in which file, at which field or step.
 * Messages never carry a token, password, key or certificate body.
 */
export class ConfigError extends Error {
  /** "ConfigError", as stack traces show it. */
  override readonly name = "ConfigError";
  /** The kubeconfig or service-account file involved, when there is one. */
  readonly file: string | undefined;
  /** The field (`users[0].user.client-key-data`) or step (`exec plugin`) involved. */
  readonly field: string | undefined;

  constructor(problem: string, where: { file?: string; field?: string; cause?: unknown } = {}) {
    const prefix = [where.file, where.field].filter(Boolean).join(": ");
    super(
      prefix ? `${prefix}: ${problem}` : problem,
      where.cause === undefined ? undefined : { cause: where.cause },
    );
    this.file = where.file;
    this.field = where.field;
  }
}

/** A file-system error as a short reason (`ENOENT`, `EACCES`), without a stack or content. */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}
