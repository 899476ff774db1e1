/**
 * The partition of a trace id: FNV-1a over its characters, modulo the partition
 * count. Every role computes it the same way, so all spans of a trace land in one
 * partition and reach one ingester (tail sampling and completeness need whole traces).
 * Any string works (ids are normally 32 lowercase hex characters).
 */
export function partitionOf(traceId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    h = Math.imul(h ^ traceId.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0) % partitions;
}
