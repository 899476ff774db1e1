import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SkeinConfig } from '../config/config.ts';

/**
 * Something whose settings follow the config file while Skein runs.
 *
 * Contract: `prepare` validates and compiles its part of `next` without changing
 * anything and returns the function that applies it; it throws (a `ConfigError`
 * naming the key) to refuse the new configuration. Applying cannot fail.
 */
export interface ReloadTarget {
  readonly name: string;
  prepare(next: SkeinConfig): () => void | Promise<void>;
  /** Dotted config prefixes this target applies live (e.g. `pipeline.processors`). */
  readonly covers: readonly string[];
  /**
   * The target reads files of its own (a sampling strategies file): every reload
   * applies it, even when no setting it covers changed, so SIGHUP re-reads them.
   */
  readonly readsFiles?: boolean;
}

export interface ConfigReloaderOptions {
  /** Reads and validates the whole configuration again (file, environment, flags). */
  load: () => SkeinConfig;
  /** The running configuration. */
  current: SkeinConfig;
  /** The config file to watch for changes; without one only SIGHUP reloads. */
  file?: string;
  logger: Logger;
  registry: Registry;
}

export type ReloadResult = 'applied' | 'unchanged' | 'refused';

/** How long to let a burst of file events (editors write, rename, chmod) settle. */
const SETTLE_MS = 200;

/**
 * Hot reload: on SIGHUP, or when the config file changes, reads the configuration
 * again and hands it to every target. Either every target accepts it and it is
 * applied, or the reload is refused with a logged reason and nothing changes.
 * Settings no target covers (ports, storage) need a restart; a reload that changes
 * them says so and keeps the running values.
 */
export class ConfigReloader {
  readonly #options: ConfigReloaderOptions;
  readonly #targets: ReloadTarget[] = [];
  readonly #reloads: Counter<'result'>;
  readonly #lastSuccess: Gauge;
  #current: SkeinConfig;
  #watcher: FSWatcher | undefined;
  #settle: NodeJS.Timeout | undefined;
  #running: Promise<ReloadResult> = Promise.resolve('unchanged');
  readonly #onSignal = () => void this.reload('SIGHUP');

  constructor(options: ConfigReloaderOptions) {
    this.#options = options;
    this.#current = options.current;
    this.#reloads = new Counter({
      name: 'skein_config_reloads_total',
      help: 'Configuration reloads (SIGHUP or a changed file), by result: applied, unchanged, refused.',
      labelNames: ['result'],
      registers: [options.registry],
    });
    this.#lastSuccess = new Gauge({
      name: 'skein_config_last_reload_success_timestamp_seconds',
      help: 'When the configuration was last loaded successfully (start or reload), Unix seconds.',
      registers: [options.registry],
    });
    this.#lastSuccess.set(Date.now() / 1000);
  }

  add(target: ReloadTarget): void {
    this.#targets.push(target);
  }

  /** Listens for SIGHUP and watches the config file's directory (editors replace files). */
  start(): void {
    process.on('SIGHUP', this.#onSignal);
    const file = this.#options.file;
    if (file === undefined) return;
    const path = resolve(file);
    const name = basename(path);
    try {
      this.#watcher = watch(dirname(path), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(this.#settle);
        this.#settle = setTimeout(() => void this.reload('file changed'), SETTLE_MS);
        this.#settle.unref();
      });
      this.#watcher.unref();
    } catch (err) {
      this.#options.logger.warn(
        { err, file },
        'cannot watch the config file; reload with SIGHUP instead',
      );
    }
  }

  stop(): void {
    process.off('SIGHUP', this.#onSignal);
    clearTimeout(this.#settle);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** Reloads now; concurrent calls run one after the other. Never throws. */
  reload(trigger: string): Promise<ReloadResult> {
    this.#running = this.#running.then(() => this.#reload(trigger));
    return this.#running;
  }

  async #reload(trigger: string): Promise<ReloadResult> {
    const { logger } = this.#options;
    let next: SkeinConfig;
    const applies: { target: ReloadTarget; apply: () => void | Promise<void> }[] = [];
    try {
      next = this.#options.load();
      for (const target of this.#targets) applies.push({ target, apply: target.prepare(next) });
    } catch (err) {
      this.#reloads.inc({ result: 'refused' });
      logger.error(
        { trigger, reason: (err as Error).message },
        `configuration reload refused: ${(err as Error).message}; the running settings stay`,
      );
      return 'refused';
    }
    const covers = this.#targets.flatMap((t) => t.covers);
    const live = changedPaths(this.#current, next).filter((p) => covered(p, covers));
    const needRestart = changedPaths(this.#current, next).filter((p) => !covered(p, covers));
    if (needRestart.length > 0) {
      logger.warn(
        { trigger, settings: needRestart },
        'these settings changed but apply only at restart; the running values stay until then',
      );
    }
    this.#lastSuccess.set(Date.now() / 1000);
    if (live.length === 0) {
      const rereads = applies.filter((a) => a.target.readsFiles === true);
      for (const { apply } of rereads) await apply();
      if (rereads.length > 0) {
        this.#reloads.inc({ result: 'applied' });
        logger.info(
          { trigger, reread: rereads.map((a) => a.target.name) },
          'configuration reloaded: settings unchanged, files re-read',
        );
        return 'applied';
      }
      this.#reloads.inc({ result: 'unchanged' });
      logger.info({ trigger }, 'configuration reloaded: nothing that applies live changed');
      return 'unchanged';
    }
    for (const { apply } of applies) await apply();
    // Keep what needs a restart at its running value, so the next reload reports it again.
    this.#current = withLive(this.#current, next, covers);
    this.#reloads.inc({ result: 'applied' });
    logger.info({ trigger, settings: live }, 'configuration reloaded and applied');
    return 'applied';
  }
}

function covered(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}.`));
}

/** Dotted paths of the leaves (lists count as leaves) that differ between two configs. */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths(a[k], b[k], prefix === '' ? k : `${prefix}.${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

/** `running` with the subtrees under `prefixes` taken from `next`. */
function withLive(
  running: SkeinConfig,
  next: SkeinConfig,
  prefixes: readonly string[],
): SkeinConfig {
  const out = structuredClone(running) as unknown as Record<string, unknown>;
  for (const prefix of prefixes) {
    const parts = prefix.split('.');
    let to = out;
    let from = next as unknown as Record<string, unknown>;
    for (let i = 0; i < parts.length - 1; i++) {
      to = to[parts[i]] as Record<string, unknown>;
      from = from[parts[i]] as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1];
    to[leaf] = structuredClone(from[leaf]);
  }
  return out as unknown as SkeinConfig;
}
