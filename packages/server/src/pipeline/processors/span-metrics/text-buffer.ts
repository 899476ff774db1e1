/**
 * A growable byte buffer for exposition text. Rendering thousands of series as JS
 * strings made one short-lived string per line (tens of thousands per scrape) and
 * most of the render time went to the garbage collector; writing bytes into one
 * buffer makes no garbage per line.
 */
export class TextBuffer {
  #buf: Buffer;
  #pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }

  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /** Appends bytes (e.g. a series' pre-encoded labels). */
  raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** Appends a string as UTF-8. */
  text(s: string): void {
    this.#ensure(s.length * 3);
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
  }

  /** Appends a string known to be ASCII (names, hex ids, numbers): one byte per char. */
  ascii(s: string): void {
    this.#ensure(s.length);
    for (let i = 0; i < s.length; i++) this.#buf[this.#pos++] = s.charCodeAt(i);
  }

  /** Appends a number as the exposition formats write it. */
  number(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) this.#unsigned(n);
    else if (Number.isNaN(n)) this.ascii('NaN');
    else if (n === Infinity) this.ascii('+Inf');
    else if (n === -Infinity) this.ascii('-Inf');
    else this.ascii(String(n));
  }

  /**
   * Appends `thousandths / 1000` with three decimals (`12.345`); for µs → ms and
   * ms → s without a float-to-string conversion. Non-integers fall back to `number`.
   */
  thousandths(thousandths: number): void {
    if (!(Number.isSafeInteger(thousandths) && thousandths >= 0)) {
      this.number(thousandths / 1000);
      return;
    }
    const whole = Math.floor(thousandths / 1000);
    const frac = thousandths - whole * 1000;
    this.#unsigned(whole);
    this.#ensure(4);
    const b = this.#buf;
    b[this.#pos++] = 0x2e; // '.'
    b[this.#pos++] = 0x30 + Math.floor(frac / 100);
    b[this.#pos++] = 0x30 + (Math.floor(frac / 10) % 10);
    b[this.#pos++] = 0x30 + (frac % 10);
  }

  #unsigned(n: number): void {
    this.#ensure(16);
    if (n < 10) {
      this.#buf[this.#pos++] = 0x30 + n;
      return;
    }
    let digits = 0;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
    let at = this.#pos + digits;
    this.#pos = at;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) this.#buf[--at] = 0x30 + (m % 10);
  }
}
