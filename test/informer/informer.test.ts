import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { loadConfig, WatchError } from "../../src/index.js";
import { createInformer } from "../../src/informer/index.js";
import { fakeApiserver, json } from "../helpers/fake-apiserver.js";

const cm = (name: string, rv: string, app = "web") => ({
  metadata: { name, namespace: "d", resourceVersion: rv, labels: { app } },
  data: {},
});
const line = (type: string, o: unknown) => `${JSON.stringify({ type, object: o })}\n`;

describe("watch streams that break the protocol", () => {
  it("a garbage line is a WatchError, at once, not a hang", async () => {
    const s = await fakeApiserver((_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(line("ADDED", cm("a", "2")));
      res.write("this is not json\n");
    });
    const kube = createClient(await loadConfig({ server: s.url, namespace: "d", env: {} }));
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const ev of kube.core.v1.configmaps.watch({ namespace: "d" }))
          seen.push(ev.object.metadata?.name ?? "");
      })(),
      (e: unknown) =>
        e instanceof WatchError && /malformed watch event \(16 bytes, not JSON\)/.test(e.message),
    );
    assert.deepEqual(seen, ["a"]);
    await kube.close();
    await s.close();
  });

  it("a truncated object at the end of the stream is a WatchError", async () => {
    const s = await fakeApiserver((_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"type":"ADDED","object":{"metadata":{"name":"b"');
    });
    const kube = createClient(await loadConfig({ server: s.url, namespace: "d", env: {} }));
    await assert.rejects(
      (async () => {
        for await (const _ of kube.core.v1.configmaps.watch({ namespace: "d" })) {
        }
      })(),
      (e: unknown) => e instanceof WatchError,
    );
    await kube.close();
    await s.close();
  });

  it("an ERROR event the server cannot recover from carries its Status (500/504 resume instead)", async () => {
    const s = await fakeApiserver((_r, res) => {
      res.writeHead(200);
      res.write(line("ERROR", { kind: "Status", code: 403, reason: "Forbidden", message: "etcd is sad" }));
    });
    const kube = createClient(await loadConfig({ server: s.url, namespace: "d", env: {} }));
    const err = await (async () => {
      for await (const _ of kube.core.v1.configmaps.watch({ namespace: "d" })) {
      }
    })().catch((e: unknown) => e);
    assert.ok(err instanceof WatchError);
    assert.equal(err.status?.message, "etcd is sad");
    await kube.close();
    await s.close();
  });
});

describe("informer", () => {
  it("recovers from a garbage line and a truncated object: error events, relist, and it stays in sync", async () => {
    let watches = 0;
    // The server's state, changed by the events it sends, so that its lists tell the truth.
    const state = new Map([["a", cm("a", "5")]]);
    const send = (
      res: import("node:http").ServerResponse,
      type: "ADDED" | "DELETED",
      o: ReturnType<typeof cm>,
    ) => {
      if (type === "ADDED") state.set(o.metadata.name, o);
      else state.delete(o.metadata.name);
      res.write(line(type, o));
    };
    const s = await fakeApiserver((r, res) => {
      if (!r.url.includes("watch=1")) {
        return json(res, 200, {
          kind: "ConfigMapList",
          metadata: { resourceVersion: "10" },
          items: [...state.values()],
        });
      }
      watches++;
      res.writeHead(200, { "content-type": "application/json" });
      if (watches === 1) {
        send(res, "ADDED", cm("b", "11"));
        res.write("garbage\n");
      } else if (watches === 2) {
        res.end('{"type":"ADDED","object":{"metad');
      } else {
        send(res, "ADDED", cm("c", "12", "db"));
        send(res, "DELETED", cm("a", "13"));
      }
    });
    const kube = createClient(await loadConfig({ server: s.url, namespace: "d", env: {} }));
    const inf = createInformer(kube.core.v1.configmaps, {
      namespace: "d",
      minBackoffMs: 10,
      maxBackoffMs: 50,
    });
    const errors: unknown[] = [];
    const events: string[] = [];
    inf.on("error", (e) => errors.push(e));
    inf.on("add", (o) => events.push(`add ${o.metadata?.name}`));
    inf.on("delete", (o) => events.push(`delete ${o.metadata?.name}`));
    try {
      await inf.start();
      await inf.synced;
      const names = () =>
        inf
          .list()
          .map((o) => o.metadata?.name)
          .sort()
          .join(",");
      for (let i = 0; i < 100 && names() !== "b,c"; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(names(), "b,c");
      assert.equal(errors.filter((e) => e instanceof WatchError).length, 2);
      assert.deepEqual(events, ["add a", "add b", "add c", "delete a"]);
      assert.deepEqual(
        inf
          .byIndex("namespace", "d")
          .map((o) => o.metadata?.name)
          .sort(),
        ["b", "c"],
      );
    } finally {
      await inf.stop();
      await kube.close();
      await s.close();
    }
  });

  it("indexes by function, resyncs, and stop() ends the watch and its timers", async () => {
    let open = 0;
    const s = await fakeApiserver((r, res) => {
      if (!r.url.includes("watch=1")) {
        return json(res, 200, {
          metadata: { resourceVersion: "3" },
          items: [cm("a", "1", "web"), cm("b", "2", "db")],
        });
      }
      open++;
      res.writeHead(200);
      res.write("");
      res.on("close", () => open--);
    });
    const kube = createClient(await loadConfig({ server: s.url, namespace: "d", env: {} }));
    const inf = createInformer(kube.core.v1.configmaps, {
      namespace: "d",
      resyncMs: 30,
      indexers: { app: (o) => [o.metadata?.labels?.app ?? ""] },
    });
    let resyncs = 0;
    inf.on("update", (o, old) => {
      if (o === old) resyncs++;
    });
    await inf.start();
    await inf.synced;
    assert.deepEqual(
      inf.byIndex("app", "db").map((o) => o.metadata?.name),
      ["b"],
    );
    assert.equal(inf.get({ namespace: "d", name: "a" })?.metadata?.resourceVersion, "1");
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(resyncs >= 4, `${resyncs} resync updates`);
    await inf.stop();
    const after = resyncs;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(resyncs, after, "no resync after stop");
    assert.equal(open, 0, "the watch connection is closed");
    assert.throws(() => inf.byIndex("nope", "x"), /no index named nope/);
    await kube.close();
    await s.close();
  });
});

describe("informer backoff after 410 (the review's relist flood)", () => {
  for (const how of ["a 410 answer", "an ERROR 410 event"] as const) {
    it(`a server that answers every watch with ${how}: a handful of relists in 3 s, not thousands`, async () => {
      let lists = 0;
      let watches = 0;
      const s = await fakeApiserver((req, res) => {
        if (!req.url.includes("watch=")) {
          lists++;
          return json(res, 200, {
            kind: "ConfigMapList",
            metadata: { resourceVersion: "7" },
            items: [cm("a", "7")],
          });
        }
        watches++;
        const gone = {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          code: 410,
          reason: "Expired",
          message: "too old",
        };
        if (how === "a 410 answer") return json(res, 410, gone);
        res.writeHead(200, { "content-type": "application/json" }).end(line("ERROR", gone));
      });
      const kube = createClient(await loadConfig({ server: s.url, namespace: "d", env: {} }), {
        onWarning: () => {},
        retry: { maxRetries: 0 },
      });
      const inf = createInformer(kube.core.v1.configmaps, { namespace: "d" });
      let errors = 0;
      inf.on("error", () => errors++);
      await inf.start();
      await new Promise((r) => setTimeout(r, 3000));
      await inf.stop();
      // client-go's reflector: 800 ms doubling to 30 s; ours 500 ms doubling (jittered), the
      // first 410 of a series relisting at once.
      assert.ok(lists >= 2 && lists <= 8, `${lists} lists in 3 s`);
      assert.ok(watches <= lists, `${watches} watches`);
      assert.equal(errors, watches);
      await kube.close();
      await s.close();
    });
  }
});
