// The generator's heavy tools, openapi-typescript and the TypeScript compiler it builds its
// output with (23 MB + 16 MB of @redocly), are optional peer dependencies: a service that
// only calls the API installs neither. They are loaded here, on the first generate, and
// when missing the error names them with the one command that installs them.
import type * as EmitTypes from "./emit-types.js";

/** What `kubefetch generate` needs beside the runtime; package.json's peerDependencies agree. */
export const GENERATOR_TOOLS = { typescript: "^5.9.3", "openapi-typescript": "^7.13.0" } as const;

export type ToolName = keyof typeof GENERATOR_TOOLS;

/** The generator's tools are not installed. The CLI prints the message and exits 2. */
export class MissingToolsError extends Error {
  override readonly name = "MissingToolsError";
  readonly missing: ToolName[];
  /** The exact command that installs what is missing, e.g. `npm install -D typescript@^5.9.3`. */
  readonly installCommand: string;

  constructor(missing: ToolName[]) {
    const installCommand = `npm install -D ${missing.map((t) => `${t}@${GENERATOR_TOOLS[t]}`).join(" ")}`;
    super(`generating needs ${missing.join(" and ")}, not installed: run ${installCommand}`);
    this.missing = missing;
    this.installCommand = installCommand;
  }
}

/** Resolves a module name to a URL, or throws; a parameter so a test can stand in for a project without the tools. */
export type Resolver = (specifier: string) => string;

const notFound = (err: unknown) => {
  const code = (err as { code?: string }).code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
};

/**
 * The type emitter, once both tools resolve. Resolving (not importing) each one first names
 * every missing tool at once, and never reports openapi-typescript's own failure to find
 * typescript as a broken openapi-typescript. Any other failure is rethrown as is.
 */
export async function loadEmitTypes(
  resolve: Resolver = (s) => import.meta.resolve(s),
): Promise<typeof EmitTypes> {
  const missing: ToolName[] = [];
  for (const name of Object.keys(GENERATOR_TOOLS) as ToolName[]) {
    try {
      resolve(name);
    } catch (err) {
      if (!notFound(err)) throw err;
      missing.push(name);
    }
  }
  if (missing.length) throw new MissingToolsError(missing);
  return import("./emit-types.js");
}
