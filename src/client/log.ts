import type { RequestSpec } from "../core/request.js";
import { lines } from "./lines.js";
import { type ClientContext, sendRequest } from "./request.js";

/** A pod's log: `for await` yields it line by line as it arrives, `text()` whole. */
export interface LogStream extends AsyncIterable<string> {
  /** The whole log as one string (do not use with follow). */
  text(): Promise<string>;
}

/** A pod log: `for await` yields lines as they arrive (follow), `text()` the whole of it. */
export function logStream(ctx: ClientContext, spec: RequestSpec): LogStream {
  const open = async () => (await sendRequest(ctx, spec)).res;
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
