// The registry entry is declared once (src/core/registry.ts): a generated registry is data of
// that shape, checked here by tsc (test/typecheck.test.ts), so the two cannot drift apart.

import type { RegistryEntry, Registry as RegistryShape, SubresourceEntry } from "kubefetch";
import { registry } from "kubefetch/generated/kubernetes-1.36";

export const whole: RegistryShape = registry;
export const pods: RegistryEntry = registry.core.v1.pods;
export const scale: SubresourceEntry = registry.apps.v1.deployments.subresources.scale;
// @ts-expect-error an entry without its paths is not an entry
export const pathless: RegistryEntry = { ...registry.core.v1.pods, paths: undefined };
// @ts-expect-error verbs are data, not a string
export const oneVerb: RegistryEntry = { ...registry.core.v1.pods, verbs: "get" };
