import type { RedactionSettings } from './redaction-settings.ts';

/**
 * The value a trace search should look for when a user asks for `key=value`.
 * When the redaction rules hash that key (a `keys` rule with `action: hash`) or hash
 * what a `values` rule finds in the value, storage holds the hash, so the search
 * must ask for the same hash: `user.email=alice@example.com` then still finds the
 * trace although storage never held the address. Otherwise `value` is returned
 * unchanged. Pass the settings in force now (they change on hot reload).
 */
export function searchValueFor(settings: RedactionSettings, key: string, value: string): string {
  return settings.searchValue(key, value);
}
