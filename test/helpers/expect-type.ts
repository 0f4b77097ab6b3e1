// The assertion of the type-level tests (test/types/), checked by tsc through
// test/typecheck.test.ts: nothing here runs.

/** True only when A and B are the same type: `any` or a wider union is not equal. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Fails to type-check unless T is `true`: `expectType<Equal<typeof x, Wanted>>()`. */
export function expectType<_T extends true>(): void {}
