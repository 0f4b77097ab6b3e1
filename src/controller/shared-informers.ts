// One informer per (client, kind, scope), shared by every controller of that client that
// watches the kind there (client-go's SharedInformerFactory): the kind is listed and watched
// once, and each controller adds its own handlers. The last controller to leave stops it.

import type { ResourceIdentity } from "../core/registry.js";
import { createInformer, type Informer, type ListWatch } from "../informer/index.js";
import type { KubeObjectLike } from "./owners.js";
import { CONTROLLER_OWNER_INDEX, controllerOwnerUids } from "./owners.js";

/** Who the resource is, when it says (a kubefetch resource, typed or dynamic, does). */
export async function resourceIdentity(resource: ListWatch<unknown>): Promise<ResourceIdentity | undefined> {
  return resource.info?.();
}

interface Entry {
  informer: Informer<KubeObjectLike>;
  users: number;
}

const byClient = new WeakMap<object, Map<string, Entry>>();
const objectIds = new WeakMap<object, number>();
let nextId = 0;

export interface Scope {
  namespace?: string;
  allNamespaces?: boolean;
}

/** Takes a share of the informer of `resource` in `scope`; release() gives it back. */
export async function acquireInformer(
  client: object,
  resource: ListWatch<KubeObjectLike>,
  scope: Scope,
): Promise<{ informer: Informer<KubeObjectLike>; release: () => Promise<void> }> {
  const id = await resourceIdentity(resource);
  let own = objectIds.get(resource);
  if (own === undefined) {
    own = nextId++;
    objectIds.set(resource, own);
  }
  const what = id ? `${id.apiVersion}/${id.plural}` : `#${own}`;
  const where = scope.allNamespaces ? "*" : (scope.namespace ?? "");
  const key = `${what} in ${where}`;
  let entries = byClient.get(client);
  if (!entries) {
    entries = new Map();
    byClient.set(client, entries);
  }
  let entry = entries.get(key);
  if (!entry) {
    entry = {
      informer: createInformer(resource, {
        ...(scope.allNamespaces ? { allNamespaces: true } : {}),
        ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}),
        indexers: { [CONTROLLER_OWNER_INDEX]: controllerOwnerUids },
      }),
      users: 0,
    };
    entries.set(key, entry);
  }
  entry.users++;
  const e = entry;
  await e.informer.start();
  let released = false;
  return {
    informer: e.informer,
    async release() {
      if (released) return;
      released = true;
      if (--e.users > 0) return;
      entries.delete(key);
      await e.informer.stop();
    },
  };
}
