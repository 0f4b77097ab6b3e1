// The kubeconfig parser and loader on random and mutated text (#25's acceptance): whatever a
// kubeconfig holds, loading it gives a config or a ConfigError, never a crash, a hang or a
// blow-up (YAML aliases included).
import { describe, it } from "node:test";
import { parseKubeconfig } from "../../src/config/kubeconfig-file.js";
import { ConfigError, loadConfig } from "../../src/index.js";
import { fc, fuzz, mutated } from "../helpers/fuzz.js";

const valid = fc
  .record({
    server: fc.constantFrom("https://127.0.0.1:6443", "http://localhost:8001", "kube:443", "HTTPS://H:1/p"),
    token: fc.string({ maxLength: 8 }),
    ns: fc.string({ maxLength: 6 }),
    insecure: fc.boolean(),
  })
  .map(
    ({ server, token, ns, insecure }) =>
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: ${insecure}\nusers:\n- name: u\n  user:\n    token: ${JSON.stringify(token)}\n    exec: {command: x, apiVersion: client.authentication.k8s.io/v1}\ncontexts:\n- name: x\n  context: {cluster: c, user: u, namespace: ${JSON.stringify(ns)}}\ncurrent-context: x\n`,
  );
const bytes = valid.map((t) => Buffer.from(t));
const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\nclusters: *e\n`;

describe("kubeconfig parsing under fuzzing", () => {
  it("mutated and random kubeconfigs: a config or a ConfigError", async () => {
    await fuzz(
      fc.oneof(mutated(bytes), fc.uint8Array({ maxLength: 300 }), fc.constant(Buffer.from(bomb))),
      async (b) => {
        const text = Buffer.from(b).toString("utf8");
        parseKubeconfig(text, "/fuzz/kubeconfig");
        await loadConfig({ kubeconfigText: text, env: {} });
      },
      { seconds: 4, expected: [ConfigError] },
    );
  });
});
