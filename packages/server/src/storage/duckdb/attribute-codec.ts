import { ValueType } from '../../model/span.ts';
import type { AnyValue, Attribute } from '../../model/span.ts';

/**
 * How attribute values are stored: as the string Jaeger tag search compares against
 * (`"123"`, `"72.5"`, `"true"`) plus a one-character type code, so a value is both
 * searchable with a plain string comparison and restored with its exact type.
 *
 * | type   | code | string form                                           |
 * | ------ | ---- | ----------------------------------------------------- |
 * | empty  | `e`  | `""`                                                  |
 * | string | `s`  | the string                                            |
 * | bool   | `b`  | `true` / `false`                                      |
 * | int    | `i`  | decimal, exact for int64 (bigint)                     |
 * | double | `d`  | JS shortest round-trip form; `-0`, `NaN`, `Infinity`  |
 * | bytes  | `y`  | base64                                                |
 * | array  | `a`  | JSON array of code+string elements                    |
 * | kvlist | `k`  | JSON array of [key, code+string] pairs                |
 */
const TYPE_CODES = 'esbidyak';

/** NUL cannot appear in a search term typed by a user, so it separates key from value. */
export const TAG_SEPARATOR = '\u0000';

export function typeCode(v: AnyValue): string {
  return TYPE_CODES[v.type];
}

export function valueToString(v: AnyValue): string {
  switch (v.type) {
    case ValueType.String:
      return v.value;
    case ValueType.Bool:
      return v.value ? 'true' : 'false';
    case ValueType.Int:
      return String(v.value);
    case ValueType.Double:
      return Object.is(v.value, -0) ? '-0' : String(v.value);
    case ValueType.Bytes:
      return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case ValueType.Array: {
      const out: string[] = new Array(v.value.length);
      for (let i = 0; i < v.value.length; i++)
        out[i] = typeCode(v.value[i]) + valueToString(v.value[i]);
      return JSON.stringify(out);
    }
    case ValueType.KvList: {
      const out: [string, string][] = new Array(v.value.length);
      for (let i = 0; i < v.value.length; i++) {
        const a = v.value[i];
        out[i] = [a.key, typeCode(a) + valueToString(a)];
      }
      return JSON.stringify(out);
    }
    default:
      return '';
  }
}

function parseInt64(s: string): number | bigint {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

/** Restores a value from its type code and string form (inverse of {@link valueToString}). */
export function valueFromString(code: string, s: string): AnyValue {
  switch (code) {
    case 's':
      return { type: ValueType.String, value: s };
    case 'b':
      return { type: ValueType.Bool, value: s === 'true' };
    case 'i':
      return { type: ValueType.Int, value: parseInt64(s) };
    case 'd':
      return { type: ValueType.Double, value: Number(s) };
    case 'y':
      return { type: ValueType.Bytes, value: Uint8Array.from(Buffer.from(s, 'base64')) };
    case 'a': {
      const items = JSON.parse(s) as string[];
      const value: AnyValue[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        value[i] = valueFromString(items[i][0], items[i].slice(1));
      }
      return { type: ValueType.Array, value };
    }
    case 'k': {
      const pairs = JSON.parse(s) as [string, string][];
      const value: Attribute[] = new Array(pairs.length);
      for (let i = 0; i < pairs.length; i++) {
        value[i] = attributeFromString(pairs[i][0], pairs[i][1][0], pairs[i][1].slice(1));
      }
      return { type: ValueType.KvList, value };
    }
    default:
      return { type: ValueType.Empty, value: null };
  }
}

export function attributeFromString(key: string, code: string, s: string): Attribute {
  const v = valueFromString(code, s);
  return { key, type: v.type, value: v.value } as Attribute;
}

/**
 * The search term of one attribute: key, NUL, value string. The key is cut at the
 * first NUL, so a NUL (or the escape character U+0001) inside a key is escaped;
 * real keys never contain either, so the check is all the common path pays.
 */
export function tagTerm(key: string, value: string): string {
  if (key.indexOf('\u0000') >= 0 || key.indexOf('\u0001') >= 0) {
    key = key.replaceAll('\u0001', '\u0001e').replaceAll('\u0000', '\u0001z');
  }
  return key + TAG_SEPARATOR + value;
}

function unescapeKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '\u0001') out += key[++i] === 'z' ? '\u0000' : '\u0001';
    else out += key[i];
  }
  return out;
}

/** Splits a term made by {@link tagTerm} back into key and value. */
export function splitTerm(term: string): [string, string] {
  const sep = term.indexOf(TAG_SEPARATOR);
  let key = term.slice(0, sep);
  if (key.indexOf('\u0001') >= 0) key = unescapeKey(key);
  return [key, term.slice(sep + 1)];
}

/**
 * Attributes in the compact list form used inside JSON documents (events, links,
 * resources, scopes): `[key, code+string, key, code+string, ...]`.
 */
export function encodeAttributeList(attrs: readonly Attribute[]): string[] {
  const out: string[] = new Array(attrs.length * 2);
  for (let i = 0; i < attrs.length; i++) {
    out[2 * i] = attrs[i].key;
    out[2 * i + 1] = typeCode(attrs[i]) + valueToString(attrs[i]);
  }
  return out;
}

export function decodeAttributeList(list: readonly string[]): Attribute[] {
  const out: Attribute[] = new Array(list.length / 2);
  for (let i = 0; i < out.length; i++) {
    const tv = list[2 * i + 1];
    out[i] = attributeFromString(list[2 * i], tv[0], tv.slice(1));
  }
  return out;
}
