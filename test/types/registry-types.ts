// The registry entry is declared once (src/core/registry.ts): a generated registry's literal
// type (client.d.ts) is checked here against that shape by tsc (test/typecheck.test.ts), once,
// rather than in every build that compiles a generated index.ts.

import type { RegistryEntry, Registry as RegistryShape, SubresourceEntry } from "kubefetch";
import type { Registry } from "kubefetch/generated/kubernetes-1.36";
import { type Equal, expectType } from "../helpers/expect-type.js";

type Fits<A, B> = [A] extends [B] ? true : false;

expectType<Equal<Fits<Registry, RegistryShape>, true>>();
expectType<Equal<Fits<Registry["core"]["v1"]["pods"], RegistryEntry>, true>>();
expectType<
  Equal<Fits<Registry["apps"]["v1"]["deployments"]["subresources"]["scale"], SubresourceEntry>, true>
>();
// The checks can fail: an entry without its paths, or with verbs as a string, is no entry.
expectType<Equal<Fits<Omit<Registry["core"]["v1"]["pods"], "paths">, RegistryEntry>, false>>();
expectType<
  Equal<Fits<Omit<Registry["core"]["v1"]["pods"], "verbs"> & { verbs: "get" }, RegistryEntry>, false>
>();
