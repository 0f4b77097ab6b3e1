// The certificates a test control plane needs, made in-process: a CA, the apiserver's serving
// certificate, the admin's client certificate, and the service-account signing key pair.
// node:crypto makes keys and signatures but has no X.509 builder (only the X509Certificate
// parser), so the certificate is DER-encoded here (RFC 5280), from ./der.ts. No openssl: a
// test machine needs only the binaries envtest needs. ECDSA P-256 with SHA-256 throughout,
// which Go's crypto/x509 (the apiserver's verifier) and OpenSSL (Node's TLS) both accept.

import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";
import {
  bitString,
  boolean,
  type Der,
  explicit,
  ia5Bytes,
  implicit,
  integer,
  namedBits,
  octetString,
  oid,
  sequence,
  set,
  time,
  utf8String,
} from "./der.js";

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

// keyUsage bit numbers (RFC 5280 4.2.1.3).
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

/** Who a certificate names: the apiserver reads the user from CN and the groups from O. */
export interface CertificateSubject {
  /** CN: the user name of a client certificate. */
  commonName: string;
  /** O, one attribute each: the groups of a client certificate (e.g. "system:masters"). */
  organizations?: readonly string[];
}

/** A certificate and its private key. */
export interface IssuedCertificate {
  /** The certificate, PEM ("CERTIFICATE"). */
  certPem: string;
  /** Its private key, PEM PKCS#8 ("PRIVATE KEY"): what Node's TLS and the apiserver's keyutil read. */
  keyPem: string;
  /** Its private key. */
  privateKey: KeyObject;
  /** Its public key. */
  publicKey: KeyObject;
  /** The certificate, DER. */
  der: Buffer;
  /** The subject Name, DER: a certificate this one issues carries it as its issuer, byte for byte. */
  subjectDer: Buffer;
  /** The subject key identifier: a certificate this one issues names it as its authority key. */
  keyId: Buffer;
}

/** What {@link createCertificateAuthority} takes. */
export interface CertificateAuthorityOptions {
  /** Default "kubefetch-testing-ca". */
  commonName?: string;
  /** Default one year. */
  validForMs?: number;
  /** The issue time (default now); notBefore is an hour earlier, for clock skew. */
  now?: Date;
}

/** What {@link issueCertificate} takes. */
export interface CertificateRequest {
  /** Whom the certificate names. */
  subject: CertificateSubject;
  /** What the certificate is for (extendedKeyUsage): serverAuth, clientAuth, or both. */
  usage: "server" | "client" | "server-and-client";
  /** subjectAltName DNS names. */
  dnsNames?: readonly string[];
  /** subjectAltName IP addresses, IPv4 or IPv6. */
  ipAddresses?: readonly string[];
  /** Default one year. */
  validForMs?: number;
  /** The issue time (default now); notBefore is an hour earlier, for clock skew. */
  now?: Date;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
const SKEW_MS = 3600 * 1000;

function ecKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ec", { namedCurve: "P-256" });
}

function name(s: CertificateSubject): Der {
  // One attribute per RDN, O before CN (as openssl's "/O=.../CN=..."); the apiserver reads
  // both by type, not by position.
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(
    ...(s.organizations ?? []).map((o) => rdn(OID.organization, o)),
    rdn(OID.commonName, s.commonName),
  );
}

// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value (for P-256,
// the uncompressed point 04 || x || y).
function keyIdentifier(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string" || typeof jwk.y !== "string") throw new Error("pki: not an EC public key");
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x, "base64url"),
    Buffer.from(jwk.y, "base64url"),
  ]);
  return createHash("sha1").update(point).digest();
}

function extension(id: string, critical: boolean, value: Der): Der {
  // critical is DEFAULT FALSE: DER omits a default value.
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** An IP address as a SAN's iPAddress holds it: 4 bytes, or 16 for IPv6. */
export function ipBytes(ip: string): Buffer {
  const family = isIP(ip);
  if (family === 4) return Buffer.from(ip.split(".").map(Number));
  if (family !== 6) throw new RangeError(`pki: ${JSON.stringify(ip)} is not an IP address`);
  if (ip.includes(".")) throw new RangeError(`pki: IPv6 with an embedded IPv4 part is not supported (${ip})`);
  const [head = "", tail] = ip.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  const out = Buffer.alloc(16);
  for (const [i, g] of [...left, ...fill, ...right].entries())
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

function serialNumber(): Buffer {
  // 16 random bytes (CA/B Forum: at least 64 bits of entropy), positive and non-zero: Go's
  // x509 refuses a negative serial.
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x01;
  return b;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

interface Signer {
  subjectDer: Buffer;
  keyId: Buffer;
  privateKey: KeyObject;
}

function build(o: {
  subjectDer: Buffer;
  keys: { privateKey: KeyObject; publicKey: KeyObject };
  issuer: Signer | "self";
  extensions: Der[];
  now: Date;
  validForMs: number;
}): IssuedCertificate {
  const keyId = keyIdentifier(o.keys.publicKey);
  const issuer: Signer =
    o.issuer === "self" ? { subjectDer: o.subjectDer, keyId, privateKey: o.keys.privateKey } : o.issuer;
  const algorithm = sequence(oid(OID.ecdsaWithSha256)); // parameters absent (RFC 5758 3.2)
  const spki = o.keys.publicKey.export({ type: "spki", format: "der" });
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serialNumber()),
    algorithm,
    issuer.subjectDer,
    sequence(time(new Date(o.now.getTime() - SKEW_MS)), time(new Date(o.now.getTime() + o.validForMs))),
    o.subjectDer,
    spki,
    explicit(
      3,
      sequence(
        ...o.extensions,
        extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
        ...(o.issuer === "self"
          ? []
          : [extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, issuer.keyId)))]),
      ),
    ),
  );
  // For an EC key node:crypto's sign() returns the DER Ecdsa-Sig-Value X.509 wants.
  const signature = sign("sha256", tbs, issuer.privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  return {
    certPem: pem("CERTIFICATE", der),
    keyPem: o.keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    privateKey: o.keys.privateKey,
    publicKey: o.keys.publicKey,
    der,
    subjectDer: o.subjectDer,
    keyId,
  };
}

/** A self-signed CA: basicConstraints CA (critical), keyUsage certSign, cRLSign, digitalSignature (critical). */
export function createCertificateAuthority(o: CertificateAuthorityOptions = {}): IssuedCertificate {
  return build({
    subjectDer: name({ commonName: o.commonName ?? "kubefetch-testing-ca" }),
    keys: ecKeyPair(),
    issuer: "self",
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true))),
      extension(OID.keyUsage, true, namedBits([DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN])),
    ],
    now: o.now ?? new Date(),
    validForMs: o.validForMs ?? YEAR_MS,
  });
}

/**
 * A leaf certificate signed by `ca`: not a CA (critical basicConstraints), keyUsage
 * digitalSignature (what an ECDSA TLS key does), extendedKeyUsage per `usage`, the SANs given.
 */
export function issueCertificate(ca: IssuedCertificate, r: CertificateRequest): IssuedCertificate {
  const sans = [
    ...(r.dnsNames ?? []).map((d) => implicit(2, ia5Bytes(d))),
    ...(r.ipAddresses ?? []).map((ip) => implicit(7, ipBytes(ip))),
  ];
  const purposes =
    r.usage === "server"
      ? [OID.serverAuth]
      : r.usage === "client"
        ? [OID.clientAuth]
        : [OID.serverAuth, OID.clientAuth];
  return build({
    subjectDer: name(r.subject),
    keys: ecKeyPair(),
    issuer: ca,
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, namedBits([DIGITAL_SIGNATURE])),
      extension(OID.extKeyUsage, false, sequence(...purposes.map(oid))),
      ...(sans.length ? [extension(OID.subjectAltName, false, sequence(...sans))] : []),
    ],
    now: r.now ?? new Date(),
    validForMs: r.validForMs ?? YEAR_MS,
  });
}

/** A key pair for the apiserver's service-account tokens (ES256), PEM: PKCS#8 private, SPKI public. */
export interface ServiceAccountKeys {
  /** For --service-account-signing-key-file. */
  privateKeyPem: string;
  /** For --service-account-key-file. */
  publicKeyPem: string;
}

/** A new service-account signing key pair. */
export function createServiceAccountKeys(): ServiceAccountKeys {
  const { privateKey, publicKey } = ecKeyPair();
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** Everything a control plane's TLS and tokens need. */
export interface ControlPlanePki {
  /** The CA every other certificate chains to (the apiserver's --client-ca-file, the client's CA). */
  ca: IssuedCertificate;
  /** kube-apiserver's serving certificate: 127.0.0.1, ::1 and localhost, serverAuth. */
  serving: IssuedCertificate;
  /** The admin client: CN=admin, O=system:masters (RBAC's superuser group), clientAuth. */
  admin: IssuedCertificate;
  /** The service-account token signing key pair. */
  serviceAccount: ServiceAccountKeys;
}

/** A fresh CA, serving and admin certificates, and service-account keys. */
export function createControlPlanePki(now: Date = new Date()): ControlPlanePki {
  const ca = createCertificateAuthority({ now });
  return {
    ca,
    serving: issueCertificate(ca, {
      subject: { commonName: "kube-apiserver" },
      usage: "server",
      // The names the apiserver is reached by here, and the in-cluster ones up.sh also signs
      // (a client given kubernetes.default's address verifies against them).
      dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
      ipAddresses: ["127.0.0.1", "::1"],
      now,
    }),
    admin: issueCertificate(ca, {
      subject: { commonName: "admin", organizations: ["system:masters"] },
      usage: "client",
      now,
    }),
    serviceAccount: createServiceAccountKeys(),
  };
}
