import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { connect, createServer, type TLSSocket } from "node:tls";
import { integer, namedBits, octetString, oid, sequence, time } from "../../src/testing/control-plane/der.js";
import {
  createCertificateAuthority,
  createControlPlanePki,
  createServiceAccountKeys,
  ipBytes,
  issueCertificate,
} from "../../src/testing/control-plane/pki.js";

const hex = (b: Buffer) => b.toString("hex");

describe("DER encoding (X.690) of the types a certificate uses", () => {
  it("INTEGERs are minimal and stay positive: a 0x00 only before a byte whose top bit is set", () => {
    assert.equal(hex(integer(0)), "020100");
    assert.equal(hex(integer(127)), "02017f");
    assert.equal(hex(integer(128)), "02020080");
    assert.equal(hex(integer(256)), "02020100");
    assert.equal(hex(integer(Buffer.from([0, 0, 0x12]))), "020112");
    assert.equal(hex(integer(Buffer.from([0xff, 0x01]))), "020300ff01");
  });
  it("OBJECT IDENTIFIERs pack the first two arcs and write large arcs base-128", () => {
    assert.equal(hex(oid("2.5.29.15")), "0603551d0f");
    assert.equal(hex(oid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
  });
  it("lengths of 128 bytes and more take the long form", () => {
    assert.equal(hex(octetString(Buffer.alloc(127))).slice(0, 4), "047f");
    assert.equal(hex(octetString(Buffer.alloc(200))).slice(0, 6), "0481c8");
    assert.equal(hex(octetString(Buffer.alloc(300))).slice(0, 8), "0482012c");
  });
  it("named bit lists drop trailing zero bits (keyUsage digitalSignature+keyCertSign+cRLSign is 03 02 01 86)", () => {
    assert.equal(hex(namedBits([0, 5, 6])), "03020186");
    assert.equal(hex(namedBits([0])), "03020780");
    assert.equal(hex(namedBits([8])), "0303070080");
  });
  it("times are UTCTime through 2049 and GeneralizedTime from 2050, in Zulu with seconds", () => {
    assert.equal(time(new Date("2049-12-31T23:59:59.900Z")).toString("latin1").slice(2), "491231235959Z");
    assert.equal(time(new Date("2049-12-31T23:59:59Z"))[0], 0x17);
    assert.equal(time(new Date("2050-01-01T00:00:00Z")).toString("latin1").slice(2), "20500101000000Z");
    assert.equal(time(new Date("2050-01-01T00:00:00Z"))[0], 0x18);
  });
  it("an empty SEQUENCE is 30 00", () => {
    assert.equal(hex(sequence()), "3000");
  });
  it("SAN IP addresses are 4 bytes for IPv4 and 16 for IPv6, with :: expanded", () => {
    assert.equal(hex(ipBytes("127.0.0.1")), "7f000001");
    assert.equal(hex(ipBytes("::1")), "00000000000000000000000000000001");
    assert.equal(hex(ipBytes("fe80::1:2")), "fe800000000000000000000000010002");
    assert.throws(() => ipBytes("localhost"), /not an IP address/);
  });
});

describe("the control plane's certificates", () => {
  const pki = createControlPlanePki();
  const ca = new X509Certificate(pki.ca.certPem);
  const serving = new X509Certificate(pki.serving.certPem);
  const admin = new X509Certificate(pki.admin.certPem);

  it("the CA is self-signed and a CA", () => {
    assert.equal(ca.ca, true);
    assert.equal(ca.verify(ca.publicKey), true);
    assert.equal(ca.checkIssued(ca), true);
    assert.equal(ca.subject, ca.issuer);
  });
  it("the CA's basicConstraints (CA:TRUE) and keyUsage (certSign) are critical", () => {
    // extnID, critical TRUE, OCTET STRING { SEQUENCE { BOOLEAN TRUE } }
    assert.ok(hex(pki.ca.der).includes("0603551d130101ff040530030101ff"), "basicConstraints");
    // extnID, critical TRUE, OCTET STRING { BIT STRING digitalSignature keyCertSign cRLSign }
    assert.ok(hex(pki.ca.der).includes("0603551d0f0101ff040403020186"), "keyUsage");
  });
  it("leaf certificates are signed by the CA and by no other", () => {
    const other = new X509Certificate(createCertificateAuthority().certPem);
    for (const leaf of [serving, admin]) {
      assert.equal(leaf.verify(ca.publicKey), true);
      assert.equal(leaf.checkIssued(ca), true);
      assert.equal(leaf.verify(other.publicKey), false);
      assert.equal(leaf.ca, false);
    }
  });
  it("the serving certificate is for 127.0.0.1, ::1 and localhost, and for serverAuth only", () => {
    assert.equal(serving.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(serving.checkIP("::1"), "::1");
    assert.equal(serving.checkHost("localhost"), "localhost");
    assert.equal(serving.checkIP("10.0.0.1"), undefined);
    assert.equal(serving.checkHost("example.com"), undefined);
    assert.deepEqual(serving.keyUsage, ["1.3.6.1.5.5.7.3.1"]);
  });
  it("the admin certificate names user admin in group system:masters, for clientAuth only", () => {
    assert.deepEqual(admin.subject.split("\n").sort(), ["CN=admin", "O=system:masters"]);
    assert.deepEqual(admin.keyUsage, ["1.3.6.1.5.5.7.3.2"]);
  });
  it("each key is its certificate's, as PKCS#8 PEM", () => {
    for (const c of [pki.ca, pki.serving, pki.admin]) {
      assert.match(c.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.equal(new X509Certificate(c.certPem).checkPrivateKey(createPrivateKey(c.keyPem)), true);
    }
    assert.equal(serving.checkPrivateKey(createPrivateKey(pki.admin.keyPem)), false);
  });
  it("certificates are valid from an hour before their issue time for the period asked", () => {
    const now = new Date("2030-06-01T12:00:00Z");
    const c = createCertificateAuthority({ now, validForMs: 24 * 3600 * 1000 });
    const x = new X509Certificate(c.certPem);
    assert.equal(new Date(x.validFrom).toISOString(), "2030-06-01T11:00:00.000Z");
    assert.equal(new Date(x.validTo).toISOString(), "2030-06-02T12:00:00.000Z");
  });
  it("serial numbers are positive and differ between certificates", () => {
    const a = issueCertificate(pki.ca, { subject: { commonName: "x" }, usage: "client" });
    const b = issueCertificate(pki.ca, { subject: { commonName: "x" }, usage: "client" });
    const serialA = new X509Certificate(a.certPem).serialNumber;
    assert.notEqual(serialA, new X509Certificate(b.certPem).serialNumber);
    assert.ok(Number.parseInt(serialA.slice(0, 2), 16) < 0x80);
  });
  it("the service-account key pair signs and verifies (ES256)", () => {
    const sa = createServiceAccountKeys();
    assert.match(sa.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    const sig = sign("sha256", Buffer.from("claims"), createPrivateKey(sa.privateKeyPem));
    assert.equal(verify("sha256", Buffer.from("claims"), createPublicKey(sa.publicKeyPem), sig), true);
  });
  it("a TLS server with the serving certificate and a client with the admin certificate trust each other", async () => {
    const server = createServer({
      cert: pki.serving.certPem,
      key: pki.serving.keyPem,
      ca: pki.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const seen = new Promise<string>((resolve) =>
      server.on("secureConnection", (s: TLSSocket) => {
        resolve(String(s.getPeerCertificate().subject.CN));
        s.end();
      }),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const client = connect({
      host: "127.0.0.1",
      port,
      ca: pki.ca.certPem,
      cert: pki.admin.certPem,
      key: pki.admin.keyPem,
    });
    await once(client, "secureConnect");
    assert.equal(client.authorized, true);
    assert.equal(await seen, "admin");
    client.destroy();
    server.close();
  });
});
