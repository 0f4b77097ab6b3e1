import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A key that does not belong to certFile. */
  otherKeyFile: string;
  ca: string;
  cert: string;
  key: string;
  otherKey: string;
}

/** A throwaway CA and client certificate, made with openssl, for config tests. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "kubefetch-pki-"));
  mkdirSync(dir, { recursive: true });
  const o = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  o(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=test-ca",
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
    "/CN=tester",
    "-keyout",
    "client.key",
    "-out",
    "client.csr",
  );
  o(
    "x509",
    "-req",
    "-in",
    "client.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    "client.crt",
  );
  o("genrsa", "-out", "other.key", "2048");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "client.crt"),
    keyFile: join(dir, "client.key"),
    otherKeyFile: join(dir, "other.key"),
    ca: read("ca.crt"),
    cert: read("client.crt"),
    key: read("client.key"),
    otherKey: read("other.key"),
  };
}

export const b64 = (s: string) => Buffer.from(s).toString("base64");
