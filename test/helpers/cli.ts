import { main } from "../../codegen/cli.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubefetch ...args` in-process, capturing what it prints. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}
