import { type CallOptions, call, type HttpContext } from "./http.js";
import { lines } from "./lines.js";
import type { LogStream } from "./types.js";

/** A pod log: `for await` yields lines as they arrive (follow), `text()` the whole of it. */
export function logStream(
  ctx: HttpContext,
  path: string,
  query: Record<string, unknown>,
  opts: CallOptions,
): LogStream {
  const open = () => call(ctx, { method: "GET", path, query, accept: "text/plain", ...opts });
  return {
    async *[Symbol.asyncIterator]() {
      const res = await open();
      try {
        for await (const line of lines(res.body)) yield line.toString("utf8").replace(/\r$/, "");
      } finally {
        // Breaking out of the loop must close the connection, not leave it streaming.
        res.body.destroy();
      }
    },
    async text() {
      const res = await open();
      return res.body.text();
    },
  };
}
