/** Slots in a processor's index of recently seen names (a power of two). */
export const NAME_SLOTS = 128;

/**
 * An index in [0, NAME_SLOTS) for a name (a span name, an attribute value): a hash of
 * its length and six of its characters (first, quarters, last two), so it costs the
 * same for any length and never hashes the whole of a freshly decoded string. Indexes
 * built on it must confirm a hit by comparing the string: different names share slots.
 */
export function nameSlot(name: string): number {
  const n = name.length;
  if (n < 2) return n === 0 ? 0 : name.charCodeAt(0) & (NAME_SLOTS - 1);
  let h = n;
  h = (Math.imul(h, 31) + name.charCodeAt(0)) | 0;
  h = (Math.imul(h, 31) + name.charCodeAt(n >> 2)) | 0;
  h = (Math.imul(h, 31) + name.charCodeAt(n >> 1)) | 0;
  h = (Math.imul(h, 31) + name.charCodeAt((n * 3) >> 2)) | 0;
  h = (Math.imul(h, 31) + name.charCodeAt(n - 2)) | 0;
  h = (Math.imul(h, 31) + name.charCodeAt(n - 1)) | 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) & (NAME_SLOTS - 1);
}
