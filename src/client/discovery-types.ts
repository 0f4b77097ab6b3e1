// What discovery answers: the server's groups, versions and resources.

import type { CallOptions } from "../core/objects.js";

/**
 * The server's groups, versions and resources. A server with aggregated discovery (on by
 * default from 1.27) tells it all in two answers, GET /api and GET /apis, and every method
 * answers from those; an older one is asked per group and version. Either way the documents
 * are the per-group format's, and answers are cached until refresh().
 */
export interface Discovery {
  /** GET /version */
  version(
    options?: CallOptions,
  ): Promise<{ major: string; minor: string; gitVersion: string; [k: string]: unknown }>;
  /** GET /api: the core group's versions. */
  api(options?: CallOptions): Promise<{ kind: "APIVersions"; versions: string[]; [k: string]: unknown }>;
  /** GET /apis: every other group with its versions. */
  groups(options?: CallOptions): Promise<{ kind: "APIGroupList"; groups: ApiGroup[]; [k: string]: unknown }>;
  /** GET /apis/{group} */
  group(name: string, options?: CallOptions): Promise<ApiGroup>;
  /**
   * GET /api/v1 or /apis/{group}/{version}: its resources with their verbs. A version the
   * aggregated answer marks Stale (its API server did not answer) is a KubeError.
   */
  resources(groupVersion: string, options?: CallOptions): Promise<ApiResourceList>;
  /** Forget cached answers. */
  refresh(): void;
}

export interface ApiGroup {
  name: string;
  versions: { groupVersion: string; version: string }[];
  preferredVersion?: { groupVersion: string; version: string };
  [k: string]: unknown;
}

export interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
  shortNames?: string[];
  categories?: string[];
  [k: string]: unknown;
}

export interface ApiResourceList {
  kind: "APIResourceList";
  apiVersion?: string;
  groupVersion: string;
  resources: ApiResource[];
}
