import { get } from "node:http";

/**
 * A hostNetwork busybox pod "web" that writes `size` random bytes to /www/big (their md5 to
 * /www/big.md5) and serves /www with httpd on 127.0.0.1:`port`: what port-forward's tests and
 * bench fetch through. `extra` containers share the /www volume.
 */
export function httpdPod(o: {
  namespace: string;
  image: string;
  port: number;
  size: number;
  extra?: { name: string; image: string; command: string[] }[];
}) {
  const www = [{ name: "www", mountPath: "/www" }];
  return {
    metadata: { name: "web", namespace: o.namespace },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: "www", emptyDir: {} }],
      containers: [
        {
          name: "c",
          image: o.image,
          imagePullPolicy: "Never" as const,
          volumeMounts: www,
          command: [
            "sh",
            "-c",
            `head -c ${o.size} /dev/urandom > /www/big && md5sum /www/big | cut -d' ' -f1 > /www/big.md5 && exec httpd -f -p 127.0.0.1:${o.port} -h /www`,
          ],
        },
        ...(o.extra ?? []).map((c) => ({ imagePullPolicy: "Never" as const, volumeMounts: www, ...c })),
      ],
    },
  };
}

/** GET `path` from 127.0.0.1:`port` (a port-forward's local end): the status and the whole body. */
export function fetchLocal(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    }).on("error", reject);
  });
}
