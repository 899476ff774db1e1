import { HAS_DOT } from './text-features.ts';

/**
 * Built-in value detectors for redaction rules (`values: [email, credit_card, ...]`).
 *
 * Each detector finds candidates with a global regular expression and then checks
 * each candidate's structure (a checksum, a real date, a decodable header), so
 * numbers that merely look alike — timestamps, ids, versions — are left alone.
 * Cheap necessary conditions run first — a shortest length, a digit run and characters
 * (`minDigits`, `needs`, counted for every detector in one pass by `textFeatures`),
 * then `mayMatch` — so most values cost one pass over their characters and no regular
 * expression at all.
 */
export interface Detector {
  /** The name rules use. */
  readonly name: string;
  /** Shortest text a match can be; shorter values are skipped without a look. */
  readonly minLength: number;
  /** Fewest digits a match holds in one run (`textFeatures`' digit run); 0: no such bound. */
  readonly minDigits: number;
  /** `textFeatures` character bits (`HAS_DOT`) every value with a match has; 0: none. */
  readonly needs: number;
  /**
   * False when `value` cannot contain a match (a necessary condition, cheap); called
   * only on values long enough, with enough digits and the characters `needs`.
   */
  mayMatch(value: string): boolean;
  /** Finds candidates; global, so callers reset `lastIndex` before a scan. */
  readonly pattern: RegExp;
  /** Whether a candidate the pattern found is a real one. */
  isMatch(candidate: string): boolean;
}

const always = (): boolean => true;

// ---- email ----------------------------------------------------------------------

const EMAIL_TLD = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/**
 * `local@domain.tld`: a local part of the characters addresses use in practice
 * (letters, digits, `._%+-`, no leading, trailing or doubled dot, at most 64), a
 * domain of at least two DNS labels whose last is alphabetic (so `lodash@4.17.21`
 * and `root@localhost` are not addresses).
 */
const email: Detector = {
  name: 'email',
  minLength: 6,
  minDigits: 0,
  needs: 0,
  // An '@' after the first character: `@team: bob@example.com` holds an address.
  mayMatch: (value) => value.indexOf('@', 1) > 0,
  pattern:
    /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+/g,
  isMatch(candidate) {
    const at = candidate.indexOf('@');
    const local = candidate.slice(0, at);
    if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
    if (candidate.length > 254) return false;
    const tld = candidate.slice(candidate.lastIndexOf('.') + 1);
    return EMAIL_TLD.test(tld);
  },
};

// ---- credit card ----------------------------------------------------------------

/** The Luhn (mod 10) check over a string of digits. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Whether the number starts with an issuer range a card network uses, at a length it
 * issues (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). Luhn alone
 * passes one random number in ten; the ranges keep nanosecond timestamps (`17...`) and
 * zero-padded ids out.
 */
function issuerKnown(digits: string): boolean {
  const len = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4') return len === 13 || len === 16 || len === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return len === 15; // Amex
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) {
    return len >= 16 && len <= 19; // Discover
  }
  if (p4 >= 3528 && p4 <= 3589) return len >= 16 && len <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) {
    return len >= 14 && len <= 19; // Diners Club
  }
  if (p2 === 62 || p2 === 81) return len >= 16 && len <= 19; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return len >= 13 && len <= 19; // Maestro
  return false;
}

/**
 * 13–19 digits, optionally grouped by single spaces or dashes (one kind per number),
 * not part of a longer run of digits or a word, from a known issuer range, passing Luhn.
 */
const creditCard: Detector = {
  name: 'credit_card',
  minLength: 13,
  minDigits: 13,
  needs: 0,
  mayMatch: always,
  pattern: /(?<![0-9A-Za-z])(?<![0-9][ -])[1-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])(?![ -][0-9])/g,
  isMatch(candidate) {
    const hasSpace = candidate.includes(' ');
    if (hasSpace && candidate.includes('-')) return false;
    const digits = hasSpace || candidate.includes('-') ? candidate.replace(/[ -]/g, '') : candidate;
    return issuerKnown(digits) && luhnValid(digits);
  },
};

// ---- phone ----------------------------------------------------------------------

/**
 * NANP: `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `1 415 555 2671`: separators
 * are required (a bare run of ten digits is an id as often as a number), the area code
 * and the exchange start with 2–9 and the exchange is not N11.
 */
function nanpValid(digits: string): boolean {
  const ten = digits.length === 11 && digits[0] === '1' ? digits.slice(1) : digits;
  if (ten.length !== 10) return false;
  if (ten[0] < '2' || ten[3] < '2') return false;
  return !(ten[4] === '1' && ten[5] === '1');
}

const DATE_LIKE = /^\+?\d{4}-\d{2}-\d{2}/;
const IPV4_LIKE = /^\+?\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * International numbers written with a `+` and a country code (E.164 and its common
 * spellings: `+44 20 7946 0958`, `+86 138 0013 8000`, `+49 (0)30 1234567`), 8 to 15
 * digits; and North American numbers as above. Dates, times, versions, IP addresses
 * and plain digit runs (ids, timestamps) are not phone numbers.
 */
const phone: Detector = {
  name: 'phone',
  minLength: 9,
  minDigits: 8,
  needs: 0,
  mayMatch: always,
  pattern:
    /(?<![\w+.-])(?:\+[1-9](?:[0-9]|[ .-](?=\(?[0-9])|\((?=[0-9])|\)(?=[ .-]?[0-9]))*[0-9]|(?:1[ .-]?)?(?:\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4})(?![\w]|[.-][0-9])/g,
  isMatch(candidate) {
    const digits = candidate.replace(/[^0-9]/g, '');
    if (candidate[0] !== '+') return nanpValid(digits);
    if (digits.length < 8 || digits.length > 15) return false;
    if (DATE_LIKE.test(candidate) || IPV4_LIKE.test(candidate)) return false;
    const open = candidate.split('(').length - 1;
    const close = candidate.split(')').length - 1;
    if (open !== close || open > 1) return false;
    // +1 is the NANP: then the rest must be a valid North American number.
    if (digits[0] === '1') return nanpValid(digits);
    return true;
  },
};

// ---- JWT ------------------------------------------------------------------------

/**
 * A JSON Web Token in compact form: three base64url segments joined by dots whose
 * header decodes to a JSON object with an `alg` (a header always starts `eyJ`, the
 * encoding of `{"`). The signature may be empty (`alg: none`).
 */
const jwt: Detector = {
  name: 'jwt',
  minLength: 20,
  minDigits: 0,
  needs: 0,
  mayMatch: (value) => value.includes('eyJ'),
  pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?![\w-])/g,
  isMatch(candidate) {
    const header = candidate.slice(0, candidate.indexOf('.'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    } catch {
      return false;
    }
    return (
      parsed !== null &&
      typeof parsed === 'object' &&
      typeof (parsed as { alg?: unknown }).alg === 'string'
    );
  },
};

// ---- Chinese resident identity card ---------------------------------------------

/** First two digits of the region code: the provinces and regions GB/T 2260 assigns. */
const CN_PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
  53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91,
]);
const CN_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_CHECK = '10X98765432';

/** The ISO 7064 MOD 11-2 check character of the first 17 digits. */
function cnCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * CN_WEIGHTS[i];
  return CN_CHECK[sum % 11];
}

/**
 * The 18-character resident identity number (GB 11643): a 6-digit region code of a
 * known province, a birth date YYYYMMDD that exists and is not in the future, a
 * 3-digit sequence and the ISO 7064 MOD 11-2 check character (0–9 or X).
 */
const cnIdCard: Detector = {
  name: 'cn_id_card',
  minLength: 18,
  minDigits: 17,
  needs: 0,
  mayMatch: always,
  pattern:
    /(?<![0-9A-Za-z])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9A-Za-z])/g,
  isMatch(candidate) {
    if (!CN_PROVINCES.has(Number(candidate.slice(0, 2)))) return false;
    const year = Number(candidate.slice(6, 10));
    const month = Number(candidate.slice(10, 12));
    const day = Number(candidate.slice(12, 14));
    const birth = Date.UTC(year, month - 1, day);
    const date = new Date(birth);
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
    if (birth > Date.now()) return false;
    return cnCheckCharacter(candidate) === candidate[17].toUpperCase();
  },
};

// ---- IPv4 -----------------------------------------------------------------------

/**
 * A dotted-quad IPv4 address with octets 0–255 and no leading zeros, standing alone:
 * not inside a longer dotted run (`1.2.3.4.5`), a word or a number.
 */
const ipv4: Detector = {
  name: 'ipv4',
  minLength: 7,
  minDigits: 4,
  needs: HAS_DOT,
  mayMatch: always,
  pattern:
    /(?<![\w.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?![\w]|\.[0-9])/g,
  isMatch: () => true,
};

/** Every built-in detector by the name rules use. */
export const DETECTORS: ReadonlyMap<string, Detector> = new Map(
  [email, creditCard, phone, jwt, cnIdCard, ipv4].map((d) => [d.name, d]),
);
