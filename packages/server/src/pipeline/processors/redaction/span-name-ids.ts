/** What an id-like path segment of a span name becomes. */
export const ID_PLACEHOLDER = '{id}';

/**
 * A path segment that is an id: all digits, a UUID, or 16+ hex characters with a
 * digit among them (object ids, commit hashes). It must fill the segment: it follows
 * a `/` and ends at `/`, `?`, `#`, `;`, whitespace or the end.
 */
const ID_SEGMENT =
  /(?<=\/)(?:[0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|(?=[a-fA-F]*[0-9])[0-9a-fA-F]{16,})(?=$|[/?#;\s])/g;

/**
 * A span name with id-like path segments replaced by `{id}` (`GET /users/12345` →
 * `GET /users/{id}`), so names group by route. Returns `name` itself when unchanged.
 */
export function templateIdSegments(name: string): string {
  if (name.indexOf('/') < 0) return name;
  ID_SEGMENT.lastIndex = 0;
  if (!ID_SEGMENT.test(name)) return name;
  ID_SEGMENT.lastIndex = 0;
  return name.replace(ID_SEGMENT, ID_PLACEHOLDER);
}
