/**
 * The last `size` distinct 64-bit fingerprints, in typed arrays: a linear-probing
 * hash table (at most half full) for membership, and a ring that remembers the order
 * they came in, so the oldest is forgotten when a new one needs its place (FIFO).
 *
 * Memory is fixed at construction: 8 bytes per ring entry plus 8 per table slot (the
 * table has the next power of two at or above 2 × `size` slots), e.g. 24.8 MB for
 * 1,000,000 fingerprints. Nothing is allocated after that.
 */
export class FingerprintWindow {
  readonly size: number;
  readonly #mask: number;
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;
  readonly #ringHi: Uint32Array;
  readonly #ringLo: Uint32Array;
  /** Next ring position to write (the oldest entry once the ring is full). */
  #next = 0;
  #count = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be ≥ 1, got ${size}`);
    this.size = size;
    let slots = 16;
    while (slots < 2 * size) slots *= 2;
    this.#mask = slots - 1;
    this.#hi = new Uint32Array(slots);
    this.#lo = new Uint32Array(slots);
    this.#ringHi = new Uint32Array(size);
    this.#ringLo = new Uint32Array(size);
  }

  /** Bytes held by the typed arrays. */
  static bytesFor(size: number): number {
    let slots = 16;
    while (slots < 2 * size) slots *= 2;
    return 8 * slots + 8 * size;
  }

  /** Fingerprints remembered now (≤ size). */
  get count(): number {
    return this.#count;
  }

  /**
   * Remembers the fingerprint unless it is already remembered. Returns true when it
   * was new, false when it is in the window (a duplicate). `hi`/`lo` are unsigned
   * 32-bit halves, not both 0.
   */
  add(hi: number, lo: number): boolean {
    const mask = this.#mask;
    const tHi = this.#hi;
    const tLo = this.#lo;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (tHi[i] !== 0 || tLo[i] !== 0) {
      if (tHi[i] === hi && tLo[i] === lo) return false;
      i = (i + 1) & mask;
    }
    if (this.#count === this.size) {
      this.#remove(this.#ringHi[this.#next], this.#ringLo[this.#next]);
      // The removal may have shifted entries into the free slot found above: probe again.
      i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
      while (tHi[i] !== 0 || tLo[i] !== 0) i = (i + 1) & mask;
    } else {
      this.#count++;
    }
    tHi[i] = hi;
    tLo[i] = lo;
    this.#ringHi[this.#next] = hi;
    this.#ringLo[this.#next] = lo;
    this.#next = this.#next + 1 === this.size ? 0 : this.#next + 1;
    return true;
  }

  /** Whether the fingerprint is remembered now. */
  has(hi: number, lo: number): boolean {
    const mask = this.#mask;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.#hi[i] !== 0 || this.#lo[i] !== 0) {
      if (this.#hi[i] === hi && this.#lo[i] === lo) return true;
      i = (i + 1) & mask;
    }
    return false;
  }

  /** Deletes a present entry with backward-shift deletion (no tombstones, so probes stay short). */
  #remove(hi: number, lo: number): void {
    const mask = this.#mask;
    const tHi = this.#hi;
    const tLo = this.#lo;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (tHi[i] !== hi || tLo[i] !== lo) {
      if (tHi[i] === 0 && tLo[i] === 0) return;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (tHi[j] === 0 && tLo[j] === 0) break;
      const home = (tLo[j] ^ Math.imul(tHi[j], 0x9e3779b1)) & mask;
      // Entry j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      tHi[i] = tHi[j];
      tLo[i] = tLo[j];
      i = j;
    }
    tHi[i] = 0;
    tLo[i] = 0;
  }
}
