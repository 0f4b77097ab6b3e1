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
  version(options?: CallOptions): Promise<{
    /** "1" */
    major: string;
    /** "36" (some distributions add a "+") */
    minor: string;
    /** "v1.36.0" */
    gitVersion: string;
    [k: string]: unknown;
  }>;
  /** GET /api: the core group's versions. */
  api(options?: CallOptions): Promise<{
    /** Always "APIVersions". */
    kind: "APIVersions";
    /** The core group's versions: ["v1"]. */
    versions: string[];
    [k: string]: unknown;
  }>;
  /** GET /apis: every other group with its versions. */
  groups(options?: CallOptions): Promise<{
    /** Always "APIGroupList". */
    kind: "APIGroupList";
    /** Every group but the core one. */
    groups: ApiGroup[];
    [k: string]: unknown;
  }>;
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

/** An API group and the versions the server serves of it. */
export interface ApiGroup {
  /** "apps", "batch", ... */
  name: string;
  /** Every version served. */
  versions: {
    /** "apps/v1" */
    groupVersion: string;
    /** "v1" */
    version: string;
  }[];
  /** The version the server prefers, which kubectl uses. */
  preferredVersion?: {
    /** "apps/v1" */
    groupVersion: string;
    /** "v1" */
    version: string;
  };
  [k: string]: unknown;
}

/** A resource as discovery describes it. */
export interface ApiResource {
  /** Its name in paths: "deployments", or "pods/log" for a subresource. */
  name: string;
  /** "deployment" */
  singularName?: string;
  /** Whether its objects live in a namespace. */
  namespaced: boolean;
  /** "Deployment" */
  kind: string;
  /** What the server allows on it: "get", "list", "watch", ... */
  verbs: string[];
  /** Set when the resource's group differs from the list's (a subresource's kind, e.g. Scale). */
  group?: string;
  /** Set when the resource's version differs from the list's. */
  version?: string;
  /** kubectl's short names: "deploy". */
  shortNames?: string[];
  /** The categories it is in: "all", ... */
  categories?: string[];
  [k: string]: unknown;
}

/** The resources of one group version. */
export interface ApiResourceList {
  /** Always "APIResourceList". */
  kind: "APIResourceList";
  /** "v1" */
  apiVersion?: string;
  /** The group version they are of: "apps/v1". */
  groupVersion: string;
  /** Its resources, subresources included. */
  resources: ApiResource[];
}
