import { crc32 } from 'node:zlib';

/*
 * The write-ahead log's record layout (little endian):
 *
 *   u32 payload length | u32 CRC-32 of (type, seq, payload) | u8 type | u64 seq | payload
 *
 * A torn write (the process died mid-append) leaves a short or mismatching record at
 * the end of the last segment; the scanner stops there and the log is truncated to
 * the last whole record. Sequence numbers grow by one per batch record, across
 * segments and restarts.
 */

export const HEADER_BYTES = 17;

/** Record types. */
export const RecordType = {
  /** An accepted batch of spans (payload: the span-batch codec's bytes). */
  Batch: 1,
  /** Batches storage has committed (payload: their sequence numbers, u64 each). */
  Committed: 2,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** Largest payload a record may declare; a bigger length is corruption, not a record. */
export const MAX_PAYLOAD_BYTES = 1 << 30;

/** The header for a record; `payload` is written after it as is. */
export function recordHeader(type: RecordType, seq: number, payload: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt8(type, 8);
  header.writeBigUInt64LE(BigInt(seq), 9);
  const crc = crc32(payload, crc32(header.subarray(8, HEADER_BYTES)));
  header.writeUInt32LE(crc, 4);
  return header;
}

/** A Committed record's payload: the sequence numbers, u64 each. */
export function committedPayload(seqs: readonly number[]): Buffer {
  const payload = Buffer.allocUnsafe(seqs.length * 8);
  for (let i = 0; i < seqs.length; i++) payload.writeBigUInt64LE(BigInt(seqs[i]), i * 8);
  return payload;
}

/** The sequence numbers in a Committed record's payload. */
export function readCommitted(payload: Buffer): number[] {
  const seqs = new Array<number>(payload.length >>> 3);
  for (let i = 0; i < seqs.length; i++) seqs[i] = Number(payload.readBigUInt64LE(i * 8));
  return seqs;
}

/** One whole record found by {@link parseRecords}. */
export interface ParsedRecord {
  type: RecordType;
  seq: number;
  /** Offset of the payload in the buffer, and its length. */
  offset: number;
  length: number;
}

/**
 * Parses the records in `data` from its start. Returns them and the offset just past
 * the last whole, valid one (`data.length` when the buffer ends cleanly).
 */
export function parseRecords(data: Buffer): { records: ParsedRecord[]; validBytes: number } {
  const records: ParsedRecord[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(at);
    const end = at + HEADER_BYTES + length;
    if (length > MAX_PAYLOAD_BYTES || end > data.length) break;
    const type = data.readUInt8(at + 8);
    if (type !== RecordType.Batch && type !== RecordType.Committed) break;
    const expected = data.readUInt32LE(at + 4);
    const crc = crc32(
      data.subarray(at + HEADER_BYTES, end),
      crc32(data.subarray(at + 8, at + HEADER_BYTES)),
    );
    if (crc !== expected) break;
    records.push({
      type,
      seq: Number(data.readBigUInt64LE(at + 9)),
      offset: at + HEADER_BYTES,
      length,
    });
    at = end;
  }
  return { records, validBytes: at };
}
