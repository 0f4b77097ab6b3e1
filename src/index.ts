// The public API of `import "kubefetch"`. Kept free of heavy imports: zod lives behind
// `kubefetch/schemas`, the generated clients behind `kubefetch/generated/<name>`.
export { ConfigError } from "./config/errors.js";
export type { Impersonation, KubeConfig, LoadConfigOptions, TlsSettings } from "./config/load-config.js";
export { loadConfig } from "./config/load-config.js";
export type { ValidationIssue, ValidationResult, Validators } from "./schemas/index.js";
export type { RequestOptions, Transport } from "./transport/transport.js";
export { createTransport } from "./transport/transport.js";
export const version = "0.1.0";
