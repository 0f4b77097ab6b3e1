// The public API of `import "kubefetch"`. Kept free of heavy imports: zod lives behind
// `kubefetch/schemas`, the generated clients behind `kubefetch/generated/<name>`.
export type { ClientOptions } from "./client/create-client.js";
export { createKubeClient } from "./client/create-client.js";
export type { CallOptions, RetryPolicy } from "./client/http.js";
export type { Status } from "./client/kube-error.js";
export {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
  isUnauthorized,
  KubeError,
} from "./client/kube-error.js";
export type {
  ApiGroup,
  ApiResource,
  ApiResourceList,
  ApplyInput,
  ApplyOptions,
  Discovery,
  DynamicResource,
  Input,
  JsonPatchOperation,
  KubeClient,
  KubeList,
  KubeObject,
  LogStream,
  MergePatch,
  ObjectMeta,
  Registry,
  RegistryEntry,
  ResourceApi,
  WatchEvent,
} from "./client/types.js";
export { WatchError, WatchExpiredError } from "./client/watch.js";
export { ConfigError } from "./config/errors.js";
export type { Impersonation, KubeConfig, LoadConfigOptions, TlsSettings } from "./config/load-config.js";
export { loadConfig } from "./config/load-config.js";
export type { ValidationIssue, ValidationResult, Validators } from "./schemas/index.js";
export type { RequestOptions, Transport } from "./transport/transport.js";
export { createTransport } from "./transport/transport.js";
export const version = "0.1.0";
