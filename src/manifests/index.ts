/**
 * Multi-document YAML to validated objects, applied with server-side apply.
 * @packageDocumentation
 */
export { type ApplyManifestsOptions, type ApplyResult, applyManifests } from "./apply.js";
export { ManifestError, type ManifestIssue } from "./errors.js";
export {
  type Manifest,
  type ManifestApi,
  type ManifestClient,
  type ParseOptions,
  parseManifests,
} from "./parse.js";
