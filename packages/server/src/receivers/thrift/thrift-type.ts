/**
 * Thrift type ids as the binary protocol writes them (`TType`). The compact
 * reader translates its own ids to these, so decoders see one set whatever
 * the protocol.
 *
 * A field key is `fieldId << 8 | type`: decoders switch on it, e.g. `0x10a` is
 * field 1 of type I64 and `0xa0f` field 10 of type LIST.
 */
export const ThriftType = {
  Stop: 0,
  Bool: 2,
  Byte: 3,
  Double: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  String: 11,
  Struct: 12,
  Map: 13,
  Set: 14,
  List: 15,
  Uuid: 16,
} as const;
export type ThriftType = (typeof ThriftType)[keyof typeof ThriftType];

/** `TMessageType`: what a message header says the message is. */
export const ThriftMessageType = {
  Call: 1,
  Reply: 2,
  Exception: 3,
  Oneway: 4,
} as const;
export type ThriftMessageType = (typeof ThriftMessageType)[keyof typeof ThriftMessageType];

/**
 * How deep structs, lists, sets and maps may nest. Real payloads nest a few
 * levels (Batch → Span → Log → Tag); the limit keeps a hostile packet from
 * exhausting the stack, which would surface as a RangeError instead of a 400.
 */
export const MAX_THRIFT_DEPTH = 64;
