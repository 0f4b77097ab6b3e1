/**
 * The client: configs (loadConfig, createConfig), createKubeClient, the error types, and the
 * shapes every part passes around.
 * @packageDocumentation
 */
// Its declarations import neither zod (behind `kubefetch/schemas`) nor undici (the transport is
// behind `kubefetch/transport`), so a consumer's type-check does not pay for them.

export type { ApiGroup, ApiResource, ApiResourceList, Discovery } from "./client/discovery-types.js";
export type { LogStream } from "./client/log.js";
export type { ObjectValidators } from "./client/object-check.js";
export { InvalidObjectError } from "./client/object-check.js";
export type { Impersonation, KubeConfig, TlsSettings } from "./config/config-value.js";
export { withNamespace, withServer } from "./config/config-value.js";
export type { CreateConfigOptions } from "./config/create-config.js";
export { createConfig } from "./config/create-config.js";
export { ConfigError } from "./config/errors.js";
export type { LoadConfigOptions } from "./config/load-config.js";
export { loadConfig } from "./config/load-config.js";
export type { CopyApi, CopyFromPodOptions, CopyToPodOptions } from "./connect/cp.js";
export { CopyError } from "./connect/cp.js";
export type {
  AttachMethod,
  AttachOptions,
  AttachStreamOptions,
  ExecMethod,
  ExecOptions,
  ExecProcess,
  ExecResult,
  ExecStreamOptions,
  TerminalSize,
} from "./connect/exec.js";
export { ExecStdinError } from "./connect/exec.js";
export type { PortForward, PortForwardConnectOptions, PortForwardOptions } from "./connect/port-forward.js";
export { PortForwardError } from "./connect/port-forward-protocol.js";
export type { ProxyOptions } from "./connect/proxy.js";
export { TarFormatError } from "./connect/tar.js";
export type { SkippedEntry, UnpackResult } from "./connect/unpack.js";
export { WebSocketProtocolError } from "./connect/websocket.js";
export { ConnectionError } from "./core/connection-error.js";
export { ClientClosedError } from "./core/errors.js";
export type { Status } from "./core/kube-error.js";
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
  ListExpiredError,
} from "./core/kube-error.js";
export type {
  CallOptions,
  KubeList,
  KubeObject,
  ObjectMeta,
  RetryPolicy,
  WatchEvent,
  WatchOptions,
} from "./core/objects.js";
export type { Registry, RegistryEntry, ResourceIdentity, SubresourceEntry } from "./core/registry.js";
export { InvalidRequestError } from "./core/request.js";
export { WatchError, WatchExpiredError } from "./core/watch-errors.js";
export type { ClientOptions } from "./kube-client/create-client.js";
export { createKubeClient } from "./kube-client/create-client.js";
export type {
  ApplyInput,
  ApplyOptions,
  DynamicResource,
  Input,
  JsonPatchOperation,
  KubeClient,
  MergePatch,
  RawClient,
  RawInit,
  RawResult,
  ResourceApi,
  ResourceMembers,
} from "./kube-client/types.js";
export { UnsupportedRuntimeError } from "./transport/runtime.js";
/** This package's version, as its package.json says. */
export const version = "0.1.0";
