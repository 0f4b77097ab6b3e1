// What a validation answers, free of zod: the client's object check (on every consumer's
// type-check path) names these types, and zod's declarations cost a consumer's tsc ~0.2 s.

export type ValidationResult<T> = { success: true; data: T } | { success: false; issues: ValidationIssue[] };

export interface ValidationIssue {
  /** `spec.template.spec.containers[0].name` */
  path: string;
  message: string;
}
