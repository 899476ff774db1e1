import { setTimeout as delay } from 'node:timers/promises';

/**
 * Calls `check` every `everyMs` until it returns something other than undefined,
 * and returns that; fails with `what` when `deadlineMs` passes first. For waiting on
 * something outside the test (a file watch, an SDK's refresh), never as a sleep.
 */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  deadlineMs = 10_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}
