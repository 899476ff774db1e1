/**
 * Polls `check` (every 50 ms) until it returns something other than undefined, and
 * returns that; throws naming `what` once `ms` have passed. For waiting on a real
 * process (a write becoming queryable, a reload applied) without sleeping blind.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
