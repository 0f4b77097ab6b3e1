// ASN.1 DER encoding (ITU-T X.690), only the types an X.509 v3 certificate needs (RFC 5280).
// node:crypto parses certificates (X509Certificate) but builds none, so the control plane's
// certificates are encoded here. DER is the strict form: definite lengths, in the fewest bytes;
// minimal INTEGERs; BIT STRINGs of named bits without trailing zero bits.

/** One encoded ASN.1 value (tag, length and contents). */
export type Der = Buffer;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A value of any tag from its contents. */
export function tlv(tag: number, contents: Uint8Array): Der {
  return Buffer.concat([Buffer.from([tag]), length(contents.length), contents]);
}

/** SEQUENCE of the given values, in order. */
export function sequence(...items: Der[]): Der {
  return tlv(0x30, Buffer.concat(items));
}

/** SET of the given values. DER sorts a SET OF by encoding; the names here hold one value per set. */
export function set(...items: Der[]): Der {
  return tlv(0x31, Buffer.concat([...items].sort(Buffer.compare)));
}

/** BOOLEAN: DER encodes true as 0xff. */
export function boolean(value: boolean): Der {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

/**
 * INTEGER, two's complement, big-endian, minimal: no leading 0x00 unless the next byte's top
 * bit is set (then the 0x00 keeps the value positive).
 */
export function integer(value: bigint | number | Uint8Array): Der {
  let bytes: Buffer;
  if (typeof value === "bigint" || typeof value === "number") {
    const v = BigInt(value);
    if (v < 0n) throw new RangeError("der.integer: negative integers are not needed here");
    let hex = v.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    bytes = Buffer.from(hex, "hex");
  } else {
    bytes = Buffer.from(value);
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && ((bytes[start + 1] ?? 0) & 0x80) === 0) start++;
  let out = bytes.subarray(start);
  if (out.length === 0) out = Buffer.from([0]);
  if (((out[0] ?? 0) & 0x80) !== 0) out = Buffer.concat([Buffer.from([0]), out]);
  return tlv(0x02, out);
}

/** OBJECT IDENTIFIER from dotted form ("2.5.4.3"): first two arcs as 40*a+b, then base-128 arcs. */
export function oid(dotted: string): Der {
  const arcs = dotted.split(".").map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`der.oid: ${dotted} is not a dotted OID`);
    return BigInt(a);
  });
  const [a = 0n, b = 0n, ...rest] = arcs;
  if (arcs.length < 2) throw new RangeError(`der.oid: ${dotted} has fewer than two arcs`);
  const out: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** NULL. */
export function nullValue(): Der {
  return tlv(0x05, Buffer.alloc(0));
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Der {
  return tlv(0x04, bytes);
}

/** BIT STRING of whole bytes (a key, a signature): no unused bits. */
export function bitString(bytes: Uint8Array): Der {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

/**
 * BIT STRING of named bits (bit 0 is the first byte's top bit, as keyUsage numbers them),
 * with trailing zero bits removed as DER requires of a named bit list (X.690 11.2.2).
 */
export function namedBits(bits: readonly number[]): Der {
  if (bits.length === 0) return tlv(0x03, Buffer.from([0]));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  const unused = 7 - (highest & 7);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** UTF8String. */
export function utf8String(text: string): Der {
  return tlv(0x0c, Buffer.from(text, "utf8"));
}

/** IA5String (ASCII): a SAN's dNSName holds one, implicitly tagged. */
export function ia5Bytes(text: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5 is exactly the 7-bit range.
  if (!/^[\x00-\x7f]*$/.test(text)) throw new RangeError("der.ia5Bytes: not ASCII");
  return Buffer.from(text, "ascii");
}

/**
 * A time as RFC 5280 4.1.2.5 wants it: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime
 * (YYYYMMDDHHMMSSZ) from 2050; seconds always present, no fractions, always Zulu.
 */
export function time(date: Date): Der {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.678Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`der.time: year ${year} is out of range`);
  return year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(digits, "ascii"));
}

/** [n] EXPLICIT: a constructed context-specific tag wrapping a whole encoded value. */
export function explicit(n: number, inner: Der): Der {
  return tlv(0xa0 | n, inner);
}

/** [n] IMPLICIT of a primitive type: the contents under a context-specific tag. */
export function implicit(n: number, contents: Uint8Array): Der {
  return tlv(0x80 | n, contents);
}
