import { ValueType } from '../model/span.ts';
import type { AnyValue, Attribute } from '../model/span.ts';

/**
 * An AnyValue as compact JSON text, the way OpenTelemetry's pdata `Value.AsString()`
 * renders arrays and maps (Jaeger's translator uses it for array and kvlist attributes):
 * strings quoted, ints as digits (bigint exact), doubles as numbers, bytes as base64,
 * empty as null, arrays as JSON arrays and kvlists as JSON objects.
 */
export function anyValueToJson(value: AnyValue): string {
  switch (value.type) {
    case ValueType.Empty:
      return 'null';
    case ValueType.String:
      return JSON.stringify(value.value);
    case ValueType.Bool:
      return value.value ? 'true' : 'false';
    case ValueType.Int:
      return value.value.toString();
    case ValueType.Double:
      return Number.isFinite(value.value)
        ? String(value.value)
        : JSON.stringify(String(value.value));
    case ValueType.Bytes:
      return JSON.stringify(Buffer.from(value.value).toString('base64'));
    case ValueType.Array: {
      let out = '[';
      for (let i = 0; i < value.value.length; i++) {
        if (i > 0) out += ',';
        out += anyValueToJson(value.value[i]);
      }
      return out + ']';
    }
    case ValueType.KvList:
      return kvListToJson(value.value);
  }
}

function kvListToJson(attributes: Attribute[]): string {
  let out = '{';
  for (let i = 0; i < attributes.length; i++) {
    if (i > 0) out += ',';
    out += JSON.stringify(attributes[i].key) + ':' + anyValueToJson(attributes[i]);
  }
  return out + '}';
}
