import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

/**
 * The security headers of the UI and query answers. HTML pages get a
 * Content-Security-Policy that allows scripts from the page's origin and the page's
 * own inline scripts by their SHA-256 (computed from the page served, so a script
 * injected into a page does not run), no framing, no plugins, no base-URI or form
 * hijacking; everything else gets `default-src 'none'`. Inline styles stay allowed:
 * the UIs set styles from code and a style cannot run script.
 */
export class ResponseHeaders {
  /** Page text → its policy (a server serves a handful of pages). */
  readonly #pagePolicies = new Map<string, string>();

  /** The headers every answer carries. */
  static readonly common: Readonly<Record<string, string>> = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };

  /** The CSP of a non-HTML answer (JSON, assets). */
  static readonly strictPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

  /** Served page buffers (the UI's assets are the same Buffer each time) → their policy. */
  readonly #bufferPolicies = new WeakMap<Buffer, string>();

  /** The CSP of an HTML answer's payload, gzipped or not. */
  policyForPayload(payload: Buffer | string, gzipped: boolean): string {
    if (typeof payload === 'string') return this.policyForPage(payload);
    let policy = this.#bufferPolicies.get(payload);
    if (policy === undefined) {
      policy = this.policyForPage((gzipped ? gunzipSync(payload) : payload).toString('utf8'));
      this.#bufferPolicies.set(payload, policy);
    }
    return policy;
  }

  /** The CSP of an HTML page with this text. */
  policyForPage(html: string): string {
    let policy = this.#pagePolicies.get(html);
    if (policy === undefined) {
      const hashes: string[] = [];
      for (const m of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
        hashes.push(`'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
      }
      policy = [
        "default-src 'self'",
        `script-src 'self'${hashes.length > 0 ? ` ${hashes.join(' ')}` : ''}`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; ');
      if (this.#pagePolicies.size > 64) this.#pagePolicies.clear();
      this.#pagePolicies.set(html, policy);
    }
    return policy;
  }
}
