// The public API of `import "kubefetch"`. Kept free of heavy imports: zod lives behind
// `kubefetch/schemas`, the generated clients behind `kubefetch/generated/<name>`.
export type { ValidationIssue, ValidationResult, Validators } from "./schemas/index.js";
export const version = "0.1.0";
