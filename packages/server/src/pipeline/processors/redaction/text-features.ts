/** `textFeatures` bit: a `.` anywhere. */
export const HAS_DOT = 1 << 24;
/** The bits of `textFeatures` that hold the longest digit run. */
export const DIGIT_RUN = (1 << 24) - 1;

/**
 * What the digit-hungry detectors need to know about a value before any regex, in one
 * pass over its characters: the most ASCII digits in one run (capped at
 * {@link DIGIT_RUN}) and whether it has a `.` ({@link HAS_DOT}). A run is digits with at most two separators (space,
 * `.`, `-`, `(`, `)`) in a row between them: `+1 (415) 555-2671` is one run of 11,
 * `Chrome/126.0 Safari/537.36` has runs of 4 and 5. Every detector's match lies
 * within one run, so a detector whose match needs more digits in a run, or a
 * character the value lacks, cannot match it.
 */
export function textFeatures(value: string): number {
  let best = 0;
  let run = 0;
  let separators = 0;
  let flags = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      separators = 0;
      if (++run > best) best = run;
    } else if (c === 32 || c === 46 || c === 45 || c === 40 || c === 41) {
      if (c === 46) flags |= HAS_DOT;
      if (++separators > 2) run = 0;
    } else {
      run = 0;
      separators = 0;
    }
  }
  return (best > DIGIT_RUN ? DIGIT_RUN : best) | flags;
}
