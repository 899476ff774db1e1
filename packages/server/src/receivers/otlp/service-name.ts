import type { Attribute } from '../../model/span.ts';
import { UNKNOWN_SERVICE, ValueType } from '../../model/span.ts';

/**
 * The resource's `service.name`, or `unknown_service` when it has none (OTel SDK rule).
 * A non-string or empty `service.name` counts as none: the model's service is a
 * non-empty name that search and the UI can show.
 */
export function serviceNameOf(attributes: Attribute[]): string {
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i];
    if (a.key === 'service.name' && a.type === ValueType.String && a.value !== '') return a.value;
  }
  return UNKNOWN_SERVICE;
}
