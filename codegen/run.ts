// Process entry of the CLI (bin/kubefetch.js loads the compiled copy).
import { main } from "./cli.js";

process.exitCode = await main(process.argv.slice(2));
