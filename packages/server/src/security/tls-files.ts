import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';

/** `security.tls`, checked. */
export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, the receivers require client certificates signed by it. */
  readonly clientCaFile: string | undefined;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** What the files hold at one moment. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

/** How often the files are checked for a change. */
const WATCH_INTERVAL_MS = 1000;

/**
 * `security.tls`, or undefined when no certificate is configured.
 * @throws ConfigError for a key without a certificate (or the reverse) or a bad version.
 */
export function compileTlsSettings(config: SkeinConfig): TlsSettings | undefined {
  const t = config.security.tls;
  if (t.minVersion !== 'TLSv1.2' && t.minVersion !== 'TLSv1.3')
    throw new ConfigError([
      'security.tls.minVersion',
      `must be TLSv1.2 or TLSv1.3, got "${t.minVersion}"`,
    ]);
  if (t.certFile === '' && t.keyFile === '') {
    if (t.clientCaFile !== '')
      throw new ConfigError([
        'security.tls.clientCaFile',
        'needs security.tls.certFile and keyFile',
      ]);
    return undefined;
  }
  if (t.certFile === '' || t.keyFile === '')
    throw new ConfigError([
      t.certFile === '' ? 'security.tls.certFile' : 'security.tls.keyFile',
      'TLS needs both a certificate (certFile) and its private key (keyFile)',
    ]);
  return {
    certFile: t.certFile,
    keyFile: t.keyFile,
    clientCaFile: t.clientCaFile === '' ? undefined : t.clientCaFile,
    minVersion: t.minVersion,
  };
}

/**
 * The certificate, key and client CA files: read at start (a missing or unreadable
 * file refuses the start), checked every second and read again when one changes, so
 * a renewed certificate is served to new connections without a restart. A change
 * that does not read (half-written, mismatched key) is logged and the previous
 * material kept.
 */
export class TlsFiles {
  readonly settings: TlsSettings;
  readonly #logger: Logger;
  readonly #listeners: ((material: TlsMaterial) => void)[] = [];
  readonly #validate: (material: TlsMaterial) => void;
  #material: TlsMaterial;
  #watching = false;

  /**
   * @param validate throws when the material cannot be served (tls.createSecureContext).
   * @throws ConfigError when a file cannot be read or validated.
   */
  constructor(settings: TlsSettings, logger: Logger, validate: (material: TlsMaterial) => void) {
    this.settings = settings;
    this.#logger = logger;
    this.#validate = validate;
    try {
      this.#material = this.#read();
    } catch (err) {
      throw new ConfigError(['security.tls', (err as Error).message], { cause: err });
    }
  }

  get material(): TlsMaterial {
    return this.#material;
  }

  /** Calls `listener` with the new material after every successful reload. */
  onChange(listener: (material: TlsMaterial) => void): void {
    this.#listeners.push(listener);
  }

  /** Starts checking the files for changes. */
  watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    for (const file of this.#files())
      watchFile(file, { interval: WATCH_INTERVAL_MS }, this.#changed);
  }

  close(): void {
    if (!this.#watching) return;
    this.#watching = false;
    for (const file of this.#files()) unwatchFile(file, this.#changed);
  }

  readonly #changed = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
    let next: TlsMaterial;
    try {
      next = this.#read();
    } catch (err) {
      this.#logger.warn(
        { err },
        'TLS files changed but cannot be used yet; still serving the previous certificate',
      );
      return;
    }
    this.#material = next;
    this.#logger.info({ certFile: this.settings.certFile }, 'TLS certificate reloaded');
    for (const listener of this.#listeners) listener(next);
  };

  #files(): string[] {
    const s = this.settings;
    return s.clientCaFile === undefined
      ? [s.certFile, s.keyFile]
      : [s.certFile, s.keyFile, s.clientCaFile];
  }

  #read(): TlsMaterial {
    const s = this.settings;
    const read = (file: string, what: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new Error(`cannot read the ${what} ${file}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    };
    const material = {
      cert: read(s.certFile, 'certificate'),
      key: read(s.keyFile, 'private key'),
      ca: s.clientCaFile === undefined ? undefined : read(s.clientCaFile, 'client CA bundle'),
    };
    this.#validate(material);
    return material;
  }
}
