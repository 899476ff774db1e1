/** Characters with a meaning in a JavaScript regular expression outside a class. */
const META = '\\^$.|?*+()[]{}';
/** Shorter literals filter out too little to be worth the extra `indexOf`. */
const MIN_LITERAL = 2;

/**
 * Text every match of a user regex must contain, found from the source alone, or null
 * when that is not certain: the literal characters the pattern starts with
 * (`secret-[0-9a-f]{16}` → `secret-`), so a value without them is skipped with one
 * `indexOf` instead of a regex scan.
 *
 * Deliberately narrow, so it can only ever skip values that cannot match: no
 * alternation anywhere (`a|b`, even inside a class or escaped), no case-insensitive
 * flag, only characters that stand for themselves (the run stops at the first
 * metacharacter or escape), and a character followed by a quantifier (`?`, `*`, `+`,
 * `{`) is not counted, since it may occur zero times. A leading `^` is skipped.
 */
export function requiredLiteral(source: string, flags: string): string | null {
  if (flags.includes('i') || source.includes('|')) return null;
  let start = 0;
  if (source.charCodeAt(0) === 0x5e /* ^ */) start = 1;
  let end = start;
  while (end < source.length && !META.includes(source[end])) end++;
  if (end < source.length && '?*+{'.includes(source[end])) end--;
  return end - start >= MIN_LITERAL ? source.slice(start, end) : null;
}
