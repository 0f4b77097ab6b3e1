// TLS material is checked where a config is made, so a broken certificate or a key that is
// not the certificate's fails at load with its field named, not at the first handshake.
// Messages never echo the PEM text: a key is a secret.

import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError, fsReason } from "./errors.js";

type Where = { file?: string; field: string };

/** Checks the PEM shape without ever echoing the content. */
export function checkPem(text: string, what: "certificate" | "key", where: Where): string {
  if (what === "certificate") {
    if (!text.includes("-----BEGIN CERTIFICATE-----"))
      throw new ConfigError("is not a PEM certificate", where);
    try {
      new X509Certificate(text);
    } catch {
      throw new ConfigError("holds a PEM certificate that cannot be parsed", where);
    }
  } else if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ConfigError("is not a PEM private key", where);
  }
  return text;
}

export async function readPem(path: string, what: "certificate" | "key", where: Where): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${path} (${fsReason(err)})`, { ...where, cause: err });
  }
  return checkPem(text, what, { ...where, field: `${where.field} (${path})` });
}

/** A client certificate and its key: both or neither, and the key must be the certificate's. */
export function pairCert(
  cert: string | undefined,
  key: string | undefined,
  where: { cert: Where; key: Where; pair: Where },
): { cert: string; key: string } | undefined {
  if (!cert && !key) return undefined;
  if (!cert) throw new ConfigError("client-key is set without client-certificate", where.cert);
  if (!key) throw new ConfigError("client-certificate is set without client-key", where.key);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError("client key cannot be read as a private key", where.key);
  }
  // The key's public half against the certificate's, compared as SPKI bytes: what
  // checkPrivateKey does, without it (Deno before 2.5 does not implement it).
  const spki = (k: KeyObject) => k.export({ type: "spki", format: "der" });
  let matches = false;
  try {
    matches = spki(createPublicKey(privateKey)).equals(spki(new X509Certificate(cert).publicKey));
  } catch {
    throw new ConfigError("client certificate cannot be read as an X.509 certificate", where.cert);
  }
  if (!matches) throw new ConfigError("client certificate and client key do not match", where.pair);
  return { cert, key };
}
