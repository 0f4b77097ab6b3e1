// bench child: the limit, raw undici.request + JSON.parse on one keep-alive Agent. argv: task n url ca token
import { readFileSync } from "node:fs";
import { Agent, request } from "undici";

const [task, nText, url, ca, token] = process.argv.slice(2);
const n = Number(nText);
const agent = new Agent({ connect: { ca: readFileSync(ca) }, connections: 64 });
const headers = { authorization: `Bearer ${token}`, accept: "application/json" };
const get = async () => {
  const r = await request(`${url}/api/v1/namespaces/default/pods/web`, { dispatcher: agent, headers });
  return JSON.parse(await r.body.text());
};
const out = {};
if (task === "get-seq") {
  for (let i = 0; i < 50; i++) await get();
  const t = performance.now();
  for (let i = 0; i < n; i++) await get();
  out.ms = performance.now() - t;
} else if (task === "get-conc") {
  for (let i = 0; i < 64; i++) await get();
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = 0; i < n / 64; i++) await get();
    }),
  );
  out.ms = performance.now() - t;
} else if (task === "list") {
  const list = async () =>
    JSON.parse(
      await (
        await request(`${url}/api/v1/namespaces/default/pods`, { dispatcher: agent, headers })
      ).body.text(),
    );
  await list();
  const t = performance.now();
  out.items = (await list()).items.length;
  out.ms = performance.now() - t;
} else if (task === "watch") {
  const t = performance.now();
  const r = await request(`${url}/api/v1/namespaces/default/pods?watch=1`, { dispatcher: agent, headers });
  let seen = 0;
  let rest = Buffer.alloc(0);
  outer: for await (const chunk of r.body) {
    let buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      const ev = JSON.parse(buf.toString("utf8", start, nl));
      start = nl + 1;
      if (ev.object.metadata.name === undefined) throw new Error("bad event");
      if (++seen === 10_000) out.rss10k = process.memoryUsage().rss;
      if (seen === n) break outer;
    }
    rest = buf.subarray(start);
    buf = undefined;
  }
  r.body.destroy();
  out.ms = performance.now() - t;
  out.rssEnd = process.memoryUsage().rss;
}
out.maxRss = process.resourceUsage().maxRSS * 1024;
await agent.close();
console.log(JSON.stringify(out));
