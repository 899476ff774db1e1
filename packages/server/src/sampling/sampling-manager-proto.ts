import { WireReader, WireType } from '../receivers/wire-reader.ts';
import type { SamplingStrategyResponse } from './strategy-source.ts';

/*
 * jaeger.api_v2 sampling messages (proto/jaeger/api_v2/sampling.proto), by hand:
 *
 * SamplingStrategyParameters
 *   1 serviceName                       string
 * SamplingStrategyResponse
 *   1 strategyType                      enum (PROBABILISTIC = 0, RATE_LIMITING = 1)
 *   2 probabilisticSampling             ProbabilisticSamplingStrategy { 1 samplingRate double }
 *   3 rateLimitingSampling              RateLimitingSamplingStrategy { 1 maxTracesPerSecond int32 }
 *   4 operationSampling                 PerOperationSamplingStrategies
 * PerOperationSamplingStrategies
 *   1 defaultSamplingProbability        double
 *   2 defaultLowerBoundTracesPerSecond  double
 *   3 perOperationStrategies            repeated OperationSamplingStrategy
 *                                         { 1 operation string, 2 probabilisticSampling }
 *   4 defaultUpperBoundTracesPerSecond  double
 */

/** `SamplingStrategyParameters.serviceName`; '' when absent. @throws InvalidPayloadError */
export function decodeServiceName(request: Uint8Array): string {
  const r = new WireReader(request, 'jaeger.api_v2 SamplingStrategyParameters');
  const end = request.length;
  let service = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === ((1 << 3) | WireType.Len)) service = r.string(end);
    else r.skip(tag & 7, end);
  }
  return service;
}

/** Bytes of a message being written; nested messages are written to their own and copied in. */
class ProtoBytes {
  readonly #bytes: number[] = [];

  varint(n: number): this {
    let v = n >>> 0;
    while (v >= 0x80) {
      this.#bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.#bytes.push(v);
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  double(field: number, value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.tag(field, WireType.I64);
    for (const byte of b) this.#bytes.push(byte);
    return this;
  }

  /** int32 (a negative one would take 10 bytes; strategies never have one). */
  int32(field: number, value: number): this {
    return this.tag(field, WireType.Varint).varint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.Len).varint(value.length);
    for (const byte of value) this.#bytes.push(byte);
    return this;
  }

  message(field: number, inner: ProtoBytes): this {
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.from(this.#bytes);
  }
}

/** The protobuf encoding of a strategy, as GetSamplingStrategy answers. */
export function encodeSamplingStrategyResponse(s: SamplingStrategyResponse): Buffer {
  const out = new ProtoBytes();
  if (s.strategyType === 'RATE_LIMITING') out.int32(1, 1);
  if (s.probabilisticSampling !== undefined) {
    out.message(2, new ProtoBytes().double(1, s.probabilisticSampling.samplingRate));
  }
  if (s.rateLimitingSampling !== undefined) {
    out.message(3, new ProtoBytes().int32(1, s.rateLimitingSampling.maxTracesPerSecond));
  }
  const ops = s.operationSampling;
  if (ops !== undefined) {
    const inner = new ProtoBytes()
      .double(1, ops.defaultSamplingProbability)
      .double(2, ops.defaultLowerBoundTracesPerSecond);
    const text = new TextEncoder();
    for (const op of ops.perOperationStrategies) {
      inner.message(
        3,
        new ProtoBytes()
          .bytes(1, text.encode(op.operation))
          .message(2, new ProtoBytes().double(1, op.probabilisticSampling.samplingRate)),
      );
    }
    inner.double(4, ops.defaultUpperBoundTracesPerSecond ?? 0);
    out.message(4, inner);
  }
  return out.finish();
}
