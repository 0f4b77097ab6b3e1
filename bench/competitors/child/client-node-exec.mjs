// bench child: @kubernetes/client-node 2.x Exec round trips. argv: n kubeconfig namespace pod
import { Writable } from "node:stream";
import { Exec, KubeConfig } from "@kubernetes/client-node";

const [nText, kubeconfig, namespace, name] = process.argv.slice(2);
const n = Number(nText);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const exec = new Exec(kc);
const once = () =>
  new Promise((resolve, reject) => {
    let out = "";
    const stdout = new Writable({
      write(c, _e, cb) {
        out += c;
        cb();
      },
    });
    exec
      .exec(namespace, name, "c", ["echo", "hi"], stdout, null, null, false, (status) => {
        if (status.status !== "Success") reject(new Error(JSON.stringify(status)));
      })
      .then((ws) => {
        // The status callback comes before the socket closes; the output is whole at close.
        ws.on("close", () =>
          out === "hi\n" ? resolve() : reject(new Error(`bad output ${JSON.stringify(out)}`)),
        );
      }, reject);
  });
for (let i = 0; i < 3; i++) await once();
const t = performance.now();
for (let i = 0; i < n; i++) await once();
const ms = performance.now() - t;
console.log(JSON.stringify({ ms }));
