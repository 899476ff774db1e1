/**
 * How deep AnyValue arrays and kvlists may nest inside one attribute. Real
 * attributes nest a few levels; the limit keeps a hostile body from exhausting
 * the stack (which would surface as a RangeError, not a 400). Both OTLP decoders
 * use it so they accept exactly the same requests.
 */
export const MAX_ANY_VALUE_DEPTH = 64;
