import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { workDir } from "./harness.js";

/** A realistic ~3 KB Pod, as a kubelet-run pod looks on the wire. */
export function pod(i: number): Record<string, unknown> {
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name: `web-7d9f8b6c5d-${i.toString(36).padStart(5, "0")}`,
      generateName: "web-7d9f8b6c5d-",
      namespace: "default",
      uid: `3f1c2d4e-5a6b-4c7d-8e9f-${i.toString(16).padStart(12, "0")}`,
      resourceVersion: String(100000 + i),
      creationTimestamp: "2026-11-28T10:00:00Z",
      labels: { app: "web", "pod-template-hash": "7d9f8b6c5d", tier: "frontend", version: "v2" },
      annotations: {
        "kubectl.kubernetes.io/restartedAt": "2026-11-28T09:59:00Z",
        "prometheus.io/scrape": "true",
      },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web-7d9f8b6c5d",
          uid: "aa11bb22-cc33-dd44-ee55-ff6677889900",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [
        {
          name: "web",
          image: "registry.example.com/web:2.4.1",
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          env: [
            { name: "LOG_LEVEL", value: "info" },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          volumeMounts: [
            {
              name: "kube-api-access-abcde",
              readOnly: true,
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
            },
          ],
          livenessProbe: {
            httpGet: { path: "/healthz", port: "http", scheme: "HTTP" },
            periodSeconds: 10,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          readinessProbe: {
            httpGet: { path: "/ready", port: "http", scheme: "HTTP" },
            periodSeconds: 5,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      nodeName: `node-${i % 7}`,
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ],
      volumes: [
        {
          name: "kube-api-access-abcde",
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
            ],
            defaultMode: 420,
          },
        },
      ],
    },
    status: {
      phase: "Running",
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
        type,
        status: "True",
        lastProbeTime: null,
        lastTransitionTime: "2026-11-28T10:00:05Z",
      })),
      hostIP: "10.0.0.12",
      podIP: `10.244.1.${i % 250}`,
      podIPs: [{ ip: `10.244.1.${i % 250}` }],
      startTime: "2026-11-28T10:00:00Z",
      containerStatuses: [
        {
          name: "web",
          state: { running: { startedAt: "2026-11-28T10:00:03Z" } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: "registry.example.com/web:2.4.1",
          imageID:
            "registry.example.com/web@sha256:4a7f3e2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f",
          containerID: "containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          started: true,
        },
      ],
      qosClass: "Burstable",
    },
  };
}

export interface Fixture {
  url: string;
  kubeconfig: string;
  ca: string;
  token: string;
  handshakes: () => number;
  close: () => Promise<void>;
}

const TOKEN = "bench-token-not-secret";

/** HTTPS on 127.0.0.1 with a CA of ours; counts TLS handshakes to show connection reuse. */
export async function startFixture(opts: { listSize: number; watchEvents: number }): Promise<Fixture> {
  const dir = join(workDir, "pki");
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "server.crt"))) {
    const o = (...a: string[]) => execFileSync("openssl", a, { cwd: dir, stdio: "ignore" });
    o(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "30",
      "-subj",
      "/CN=bench-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    );
    o(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    );
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    o(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "30",
      "-out",
      "server.crt",
      "-extfile",
      "san.ext",
    );
  }
  const one = Buffer.from(JSON.stringify(pod(1)));
  const list = Buffer.from(
    JSON.stringify({
      kind: "PodList",
      apiVersion: "v1",
      metadata: { resourceVersion: "200000" },
      items: Array.from({ length: opts.listSize }, (_, i) => {
        const p = pod(i);
        delete p.kind;
        delete p.apiVersion;
        return p;
      }),
    }),
  );
  // Watch events: one line each, sent in 64 KiB writes.
  const lines = Array.from(
    { length: Math.min(opts.watchEvents, 1000) },
    (_, i) => `${JSON.stringify({ type: "MODIFIED", object: pod(i) })}\n`,
  );
  let handshakes = 0;
  const server: Server = createServer(
    {
      key: readFileSync(join(dir, "server.key")),
      cert: readFileSync(join(dir, "server.crt")),
      keepAliveTimeout: 60_000,
    },
    (req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end();
      const url = req.url ?? "";
      if (url.startsWith("/api/v1/namespaces/default/pods/")) {
        res.writeHead(200, { "content-type": "application/json", "content-length": one.length }).end(one);
      } else if (
        url.startsWith("/api/v1/namespaces/default/pods?watch") ||
        url.includes("watch=1") ||
        url.includes("watch=true")
      ) {
        res.writeHead(200, {
          "content-type": "application/json;stream=watch",
          "transfer-encoding": "chunked",
        });
        let sent = 0;
        const pump = () => {
          while (sent < opts.watchEvents) {
            let chunk = "";
            while (chunk.length < 65536 && sent < opts.watchEvents) chunk += lines[sent++ % lines.length];
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          res.end();
        };
        pump();
      } else if (url.startsWith("/api/v1/namespaces/default/pods")) {
        res.writeHead(200, { "content-type": "application/json", "content-length": list.length }).end(list);
      } else {
        res.writeHead(404).end();
      }
    },
  );
  server.on("secureConnection", () => handshakes++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(workDir, "bench.kubeconfig");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: b, cluster: {server: "${url}", certificate-authority: ${join(dir, "ca.crt")}}}]\nusers: [{name: b, user: {token: ${TOKEN}}}]\ncontexts: [{name: b, context: {cluster: b, user: b, namespace: default}}]\ncurrent-context: b\n`,
  );
  return {
    url,
    kubeconfig,
    ca: join(dir, "ca.crt"),
    token: TOKEN,
    handshakes: () => handshakes,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
