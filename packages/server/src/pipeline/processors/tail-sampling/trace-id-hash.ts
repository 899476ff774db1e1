/**
 * FNV-1a 64-bit over a salt and the 16 bytes of a trace id, as the OpenTelemetry
 * Collector's probabilistic tail-sampling policy hashes (salt bytes, then the id's
 * bytes), so a Skein process and a collector with the same salt pick the same traces.
 *
 * Computed on two 32-bit halves: FNV's 64-bit prime is 2^40 + 0x1b3, so
 * `h * prime mod 2^64` = `h * 0x1b3 + (lo << 40)`, where `lo << 40` only touches the
 * high half (`lo << 8`). No BigInt, no allocation per trace.
 */

const PRIME_LOW = 0x1b3;
const TWO_32 = 4294967296;

/** Hex digit value by char code (0 for anything else). */
const HEX = new Uint8Array(128);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[97 + c] = 10 + c;
  HEX[65 + c] = 10 + c;
}

/** An FNV-1a state: the 64-bit hash as two unsigned 32-bit halves. */
export class Fnv64 {
  hi = 0xcbf29ce4;
  lo = 0x84222325;

  /** Mixes one byte (0..255) in. */
  byte(b: number): void {
    const lo = (this.lo ^ b) >>> 0;
    const t = lo * PRIME_LOW; // < 2^41: exact
    const carry = Math.floor(t / TWO_32);
    this.lo = t >>> 0;
    this.hi = (Math.imul(this.hi, PRIME_LOW) + (lo << 8) + carry) >>> 0;
  }

  /** Mixes in the UTF-8 bytes of `text`. */
  text(text: string): void {
    for (const b of Buffer.from(text, 'utf8')) this.byte(b);
  }

  /** Mixes in the bytes a hex string stands for (two digits per byte, any case). */
  hex(hex: string): void {
    const n = hex.length & ~1;
    for (let i = 0; i < n; i += 2) {
      this.byte((HEX[hex.charCodeAt(i) & 127] << 4) | HEX[hex.charCodeAt(i + 1) & 127]);
    }
  }

  /** The hash as a BigInt (tests, thresholds). */
  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}
