import type { DecodeResult } from '../decode-result.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { ThriftBinaryReader } from '../thrift/thrift-binary-reader.ts';
import { ThriftCompactReader } from '../thrift/thrift-compact-reader.ts';
import type { ThriftReader } from '../thrift/thrift-reader.ts';
import { ThriftMessageType, ThriftType } from '../thrift/thrift-type.ts';
import { ZipkinSpanBuilder } from '../zipkin/zipkin-span-builder.ts';
import { readZipkinThriftSpans } from '../zipkin/zipkin-thrift-decoder.ts';
import { JaegerSpanBuilder } from './jaeger-span-builder.ts';
import { readBatch } from './jaeger-thrift-decoder.ts';

/** Which thrift protocol an agent port speaks: 6831 compact, 6832 binary. */
export type AgentProtocol = 'compact' | 'binary';

/*
 * One UDP packet to the Jaeger agent is one thrift message calling agent.thrift's
 *   service Agent {
 *     oneway void emitZipkinBatch(1: list<zipkincore.Span> spans)
 *     oneway void emitBatch(1: jaeger.Batch batch)
 *   }
 * i.e. a message header (name, ONEWAY or CALL, seqId) and the arguments struct.
 */

/**
 * Decodes one agent packet.
 * @throws InvalidPayloadError when it is not a well-formed emitBatch or
 *   emitZipkinBatch message.
 */
export function decodeAgentPacket(
  packet: Uint8Array,
  protocol: AgentProtocol,
  limits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const r: ThriftReader =
    protocol === 'compact'
      ? new ThriftCompactReader(packet, 'Jaeger agent thrift (compact)')
      : new ThriftBinaryReader(packet, 'Jaeger agent thrift (binary)');
  r.messageBegin();
  if (r.messageType !== ThriftMessageType.Oneway && r.messageType !== ThriftMessageType.Call) {
    throw r.fail(`message type ${r.messageType} (want a ONEWAY call)`);
  }
  switch (r.messageName) {
    case 'emitBatch':
      return readEmitBatchArgs(r, limits);
    case 'emitZipkinBatch':
      return readEmitZipkinBatchArgs(r, limits);
    default:
      throw r.fail(
        `unknown method "${r.messageName.slice(0, 64)}" (the agent serves emitBatch and emitZipkinBatch)`,
      );
  }
}

// emitBatch_args
//   1 batch  jaeger.Batch
function readEmitBatchArgs(r: ThriftReader, limits: SpanLimits): DecodeResult {
  const builder = new JaegerSpanBuilder(limits);
  let batches = 0;
  r.struct = 'emitBatch_args';
  r.structBegin();
  let key: number;
  while ((key = r.field()) !== 0) {
    if (key === 0x10c) {
      readBatch(r, builder);
      batches++;
    } else {
      r.skip(key & 0xff);
    }
    r.struct = 'emitBatch_args';
  }
  r.structEnd();
  if (batches === 0) throw r.fail('emitBatch carries no batch');
  return builder.result();
}

// emitZipkinBatch_args
//   1 spans  list<zipkincore.Span>
function readEmitZipkinBatchArgs(r: ThriftReader, limits: SpanLimits): DecodeResult {
  const builder = new ZipkinSpanBuilder(limits);
  r.struct = 'emitZipkinBatch_args';
  r.structBegin();
  let key: number;
  while ((key = r.field()) !== 0) {
    if (key === 0x10f) {
      const count = r.listBegin();
      if (r.elemType !== ThriftType.Struct && count > 0)
        throw r.fail('spans is not a list of structs');
      readZipkinThriftSpans(r, count, builder);
    } else {
      r.skip(key & 0xff);
    }
    r.struct = 'emitZipkinBatch_args';
  }
  r.structEnd();
  return builder.result();
}
