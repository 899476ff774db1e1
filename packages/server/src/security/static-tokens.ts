import { timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.ts';
import { secretDigest, type HashedToken } from './security-settings.ts';

/**
 * The configured static tokens. A presented secret is hashed and compared with every
 * token's digest by `timingSafeEqual`, all of them every time, so neither the
 * comparison nor the position of the match shows in the answer's timing.
 */
export class StaticTokens {
  readonly #tokens: readonly HashedToken[];

  constructor(tokens: readonly HashedToken[]) {
    this.#tokens = tokens;
  }

  get size(): number {
    return this.#tokens.length;
  }

  /** The token's principal, or undefined when no token has this secret. */
  find(secret: string): Principal | undefined {
    const digest = secretDigest(secret);
    let found: Principal | undefined;
    for (const token of this.#tokens) {
      if (timingSafeEqual(token.digest, digest) && found === undefined) found = token.principal;
    }
    return found;
  }
}
