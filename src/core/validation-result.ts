// What a validation answers, free of zod: the client's object check (on every consumer's
// type-check path) names these types, and zod's declarations cost a consumer's tsc ~0.2 s.

/** A validator's answer: the value, typed, or what is wrong with it. */
export type ValidationResult<T> =
  | {
      /** The value is valid. */
      success: true;
      /** The value, as the schema types it. */
      data: T;
    }
  | {
      /** The value is not valid. */
      success: false;
      /** What is wrong, one issue per place. */
      issues: ValidationIssue[];
    };

/** One thing wrong with a value, and where. */
export interface ValidationIssue {
  /** `spec.template.spec.containers[0].name` */
  path: string;
  /** What is wrong there. */
  message: string;
}
