import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.ts';

/** One signed-in browser. */
export interface UiSession {
  readonly principal: Principal;
  /** Sent back in `X-CSRF-Token` on every state-changing request the cookie signs in. */
  readonly csrfToken: string;
  /** Epoch ms after which the session is gone. */
  readonly expiresAt: number;
}

/** At most this many sessions are kept; the oldest goes first beyond it. */
export const MAX_UI_SESSIONS = 10_000;

/**
 * The UI's signed-in sessions, kept in this process: the `skein_session` cookie holds
 * a 256-bit random id, the map is keyed by its SHA-256 (a leaked heap dump or log of
 * keys does not hand out cookies). Kept here rather than in an encrypted cookie so
 * that sign-out ends the session everywhere at once and nothing a browser holds can
 * outlive it; the price is that a restart signs everyone out and each query process
 * has its own sessions (sticky routing behind a load balancer).
 *
 * Bounded: entries expire at `expiresAt` (checked on lookup and swept on insert), and
 * beyond `max` the oldest session is dropped.
 */
export class UiSessions {
  readonly #sessions = new Map<string, UiSession>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(max = MAX_UI_SESSIONS, now: () => number = Date.now) {
    this.#max = max;
    this.#now = now;
  }

  /** Starts a session; returns the cookie value (the id) and the session. */
  create(principal: Principal, expiresAt: number): { id: string; session: UiSession } {
    this.#sweep();
    while (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value as string;
      this.#sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const session: UiSession = {
      principal,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt,
    };
    this.#sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session a cookie value names, or undefined (unknown, ended or expired). */
  find(id: string): UiSession | undefined {
    const key = digest(id);
    const session = this.#sessions.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends the session a cookie value names (sign-out); a no-op for an unknown one. */
  end(id: string): void {
    this.#sessions.delete(digest(id));
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, session] of this.#sessions) {
      if (session.expiresAt <= now) this.#sessions.delete(key);
    }
  }
}

/** Whether a presented CSRF token is the session's (constant time). */
export function csrfTokenMatches(session: UiSession, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(session.csrfToken, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function digest(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}
