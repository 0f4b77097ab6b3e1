// The runtime floors, measured by test/runtimes' smoke on each release (docs/runtimes.md): a
// runtime below one fails here, naming itself, instead of going wrong in silence.

/** The JavaScript runtime this process runs on, from its own version globals. */
export interface Runtime {
  /** Which runtime: Node, Bun or Deno. */
  name: "node" | "bun" | "deno";
  /** Its own version string (process.versions.node or .bun, Deno.version.deno). */
  version: string;
}

/** A feature this runtime cannot do safely: which, and why. */
export class UnsupportedRuntimeError extends Error {
  /** "UnsupportedRuntimeError", as stack traces show it. */
  override readonly name = "UnsupportedRuntimeError";
  /** The runtime that was refused. */
  readonly runtime: Runtime;
  /** `message` names the runtime, its version, the release needed and what goes wrong before it. */
  constructor(runtime: Runtime, message: string) {
    super(message);
    this.runtime = runtime;
  }
}

export function currentRuntime(): Runtime {
  const g = globalThis as { Deno?: { version?: { deno?: string } } };
  const deno = g.Deno?.version?.deno;
  if (deno) return { name: "deno", version: deno };
  const bun = process.versions.bun;
  if (bun) return { name: "bun", version: bun };
  return { name: "node", version: process.versions.node };
}

/** What a feature needs of a runtime: the first release that does it, and what goes wrong before. */
const FLOORS: Record<"transport" | "port-forward", Partial<Record<Runtime["name"], [string, string]>>> = {
  transport: {
    // 2.7 and older send no TLS client certificate through node:tls (the call goes out
    // anonymous) and fail CONNECT proxies.
    deno: ["2.8.0", "does not send TLS client certificates through node:tls"],
  },
  "port-forward": {
    bun: ["1.4.0", "drops the bytes a local client sends before the tunnel is open"],
  },
};

/** Throws UnsupportedRuntimeError when `runtime` is older than what `feature` needs. */
export function checkRuntime(feature: keyof typeof FLOORS, runtime: Runtime = currentRuntime()): void {
  const floor = FLOORS[feature][runtime.name];
  if (!floor || !olderThan(runtime.version, floor[0])) return;
  const name = runtime.name === "bun" ? "Bun" : runtime.name === "deno" ? "Deno" : "Node";
  throw new UnsupportedRuntimeError(
    runtime,
    `${feature === "transport" ? "kubefetch" : feature} needs ${name} ${floor[0]} or later: ${name} ${runtime.version} ${floor[1]}`,
  );
}

function olderThan(version: string, floor: string): boolean {
  const a = version.split(/[.+-]/).map(Number);
  const b = floor.split(".").map(Number);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
