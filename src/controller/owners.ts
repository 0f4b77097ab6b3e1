// Owner references to work items, as controller-runtime's EnqueueRequestForOwner with
// OnlyControllerOwner(): a child's event enqueues the owner that is its controller
// (`controller: true`) when that owner's group (apiVersion without version) and kind are
// the primary kind's; the owner is in the child's namespace (owner references do not cross
// namespaces).

/** An entry of `metadata.ownerReferences`: the owner, in the child's namespace. */
export interface OwnerReference {
  /** The owner's apiVersion. */
  apiVersion: string;
  /** The owner's kind. */
  kind: string;
  /** The owner's name. */
  name: string;
  /** The owner's uid: a new owner of the same name does not own the child. */
  uid: string;
  /** Whether the owner is the child's controller (one owner at most is). */
  controller?: boolean;
  /** Whether foreground deletion of the owner waits for the child. */
  blockOwnerDeletion?: boolean;
}

/** The fields of an object the controller parts read: any Kubernetes object has this shape. */
export interface KubeObjectLike {
  /** The object's apiVersion. */
  apiVersion?: string;
  /** The object's kind. */
  kind?: string;
  /** The parts of its metadata the controller reads. */
  metadata?: {
    /** The object's name. */
    name?: string;
    /** Its namespace; absent for a cluster-scoped kind. */
    namespace?: string;
    /** Its uid. */
    uid?: string;
    /** The version the server last wrote. */
    resourceVersion?: string;
    /** Its owners. */
    ownerReferences?: OwnerReference[];
    /** What must run before the server deletes it. */
    finalizers?: string[];
    /** Set once it is being deleted (its finalizers then run). */
    deletionTimestamp?: string | null;
  };
}

export const CONTROLLER_OWNER_INDEX = "kubefetch.controllerOwner";

/** The index of children by the uid of their controller owner. */
export function controllerOwnerUids(obj: KubeObjectLike): string[] {
  return (obj.metadata?.ownerReferences ?? []).filter((r) => r.controller === true).map((r) => r.uid);
}

const groupOf = (apiVersion: string | undefined) => {
  const i = (apiVersion ?? "").indexOf("/");
  return i < 0 ? "" : (apiVersion as string).slice(0, i);
};

/** The request of the controller owner of `child` if it is of `owner`'s group and kind. */
export function controllerOwnerRequest(
  child: KubeObjectLike,
  owner: { apiVersion: string; kind: string },
): { namespace?: string; name: string } | undefined {
  const ref = (child.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref || ref.kind !== owner.kind || groupOf(ref.apiVersion) !== groupOf(owner.apiVersion))
    return undefined;
  const namespace = child.metadata?.namespace;
  return namespace ? { namespace, name: ref.name } : { name: ref.name };
}

/** An owner reference that makes `owner` the controller of what carries it (as controllerutil.SetControllerReference). */
export function controllerReference(owner: KubeObjectLike): OwnerReference {
  const md = owner.metadata ?? {};
  if (!owner.apiVersion || !owner.kind || !md.name || !md.uid) {
    throw new TypeError(
      "controllerReference: the owner needs apiVersion, kind, metadata.name and metadata.uid",
    );
  }
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: md.name,
    uid: md.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
