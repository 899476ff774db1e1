/**
 * Trace and span ids are stored as unsigned integers (UHUGEINT / UBIGINT): 16 and 8
 * bytes instead of 32 and 16 hex characters, compared with one machine instruction
 * pair, and usable in zonemaps. The empty parent span id is stored as 0.
 * (Writing them: span-encoder.ts, without BigInt.)
 */

export function traceIdToHex(id: bigint): string {
  return id.toString(16).padStart(32, '0');
}

export function spanIdToHex(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

export function parentIdToHex(id: bigint): string {
  return id === 0n ? '' : spanIdToHex(id);
}
