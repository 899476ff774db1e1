import { Fnv64 } from './trace-id-hash.ts';
import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';

/** The collector's salt when `hash_salt` is not set (so default configs agree too). */
export const DEFAULT_HASH_SALT = 'default-hash-seed';

const MAX_U64 = (1n << 64n) - 1n;

/**
 * Samples `samplingPercentage` % of traces, decided by the trace id alone: FNV-1a 64
 * over the salt then the id's 16 bytes, sampled when the hash is at most
 * `percentage / 100 × (2^64 − 1)` (the collector's rule). Every Skein process, and a
 * collector with the same salt, decides the same way for the same trace id.
 */
export class ProbabilisticPolicy implements TailSamplingPolicy {
  readonly name: string;
  /** The hash state after the salt; each trace starts from it. */
  readonly #saltHi: number;
  readonly #saltLo: number;
  readonly #thresholdHi: number;
  readonly #thresholdLo: number;
  readonly #percentage: number;
  readonly #hash = new Fnv64();

  constructor(name: string, samplingPercentage: number, hashSalt: string) {
    this.name = name;
    this.#percentage = samplingPercentage;
    const salted = new Fnv64();
    salted.text(hashSalt === '' ? DEFAULT_HASH_SALT : hashSalt);
    this.#saltHi = salted.hi;
    this.#saltLo = salted.lo;
    const threshold = thresholdOf(samplingPercentage / 100);
    this.#thresholdHi = Number(threshold >> 32n);
    this.#thresholdLo = Number(threshold & 0xffffffffn);
  }

  evaluate(trace: HeldTrace): PolicyDecision {
    if (this.#percentage <= 0) return 'not_sampled';
    if (this.#percentage >= 100) return 'sampled';
    const hash = this.#hash;
    hash.hi = this.#saltHi;
    hash.lo = this.#saltLo;
    hash.hex(trace.traceId);
    const hi = hash.hi;
    if (hi < this.#thresholdHi || (hi === this.#thresholdHi && hash.lo <= this.#thresholdLo)) {
      return 'sampled';
    }
    return 'not_sampled';
  }
}

/** ⌊ratio × (2^64 − 1)⌋ for 0 ≤ ratio ≤ 1, to within 2^11 (one part in 2^53). */
export function thresholdOf(ratio: number): bigint {
  if (ratio <= 0) return 0n;
  if (ratio >= 1) return MAX_U64;
  // The ratio to 53 bits (a double's precision), then scaled to 64 bits: within 2^11 of exact.
  const scaled = BigInt(Math.floor(ratio * 2 ** 53));
  return (scaled * MAX_U64) >> 53n;
}
