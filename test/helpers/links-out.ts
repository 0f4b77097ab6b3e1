// Whether an unpacked tree left a link that leads out of it, judged as the next tool to follow
// it would: on disk, by the kernel's realpath. Not Node's JS realpathSync, which folds "d/.."
// away before it follows d, and so misses the `d -> .` chains this is for.
import { chmodSync, readdirSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";

/** The links under `root` whose realpath (every link on the way followed) leaves it. */
export function linksLeadingOut(root: string): string[] {
  const real = realpathSync.native(root);
  const out: string[] = [];
  const visit = (dir: string) => {
    chmodSync(dir, 0o700); // a folder unpacked with mode 0 is unreadable to all but root
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) visit(path);
      else if (e.isSymbolicLink()) {
        let to: string;
        try {
          to = realpathSync.native(path);
        } catch {
          continue; // leads nowhere: dangling or a loop
        }
        const r = relative(real, to);
        if (r === ".." || r.startsWith("../") || isAbsolute(r)) out.push(`${relative(root, path)} -> ${to}`);
      }
    }
  };
  visit(root);
  return out;
}
