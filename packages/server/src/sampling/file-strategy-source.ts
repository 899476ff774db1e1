import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { SamplingConfig, SkeinConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import { compileStrategies, type CompiledStrategies } from './compiled-strategies.ts';
import type { ResolvedStrategy, StrategySource } from './strategy-source.ts';

/** How long a burst of file events (editors write, rename, chmod) may settle before reading. */
export const STRATEGIES_FILE_SETTLE_MS = 200;

export interface FileStrategySourceOptions {
  logger: Logger;
  /** For `skein_sampling_strategies_reloads_total`; absent in tests that do not look. */
  registry?: Registry;
}

export type StrategiesReloadResult = 'applied' | 'unchanged' | 'refused';

/** Strategies read and compiled, ready to swap in. */
interface Loaded {
  compiled: CompiledStrategies;
  /** The file path, or `sampling.strategies` for strategies written in the config. */
  location: string;
  /** The file's path when the strategies come from one ('' otherwise). */
  file: string;
  /** The file's text (to skip re-reads that change nothing). */
  text: string;
  services: Map<string, ResolvedStrategy>;
  defaultStrategy: ResolvedStrategy;
}

/**
 * Reads the strategies `sampling` points at: a Jaeger strategies JSON file, or the
 * same written in the config (camelCase).
 * @throws ConfigError naming the file (or key) and what is wrong.
 */
export function loadStrategies(sampling: SamplingConfig): Loaded {
  if (sampling.strategiesFile !== '') return readStrategiesFile(sampling.strategiesFile);
  const location = 'sampling.strategies';
  return loaded(compileStrategies(sampling.strategies, location, 'camel'), location, '', '');
}

/**
 * Reads and compiles a Jaeger strategies JSON file (`location` as configured;
 * relative paths are from the working directory).
 * @throws ConfigError naming the file and what is wrong.
 */
function readStrategiesFile(location: string): Loaded {
  const file = resolve(location);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      [location, `cannot read the strategies file (${(err as Error).message})`],
      {
        cause: err,
      },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      [location, `not valid JSON (a Jaeger strategies file): ${(err as Error).message}`],
      { cause: err },
    );
  }
  return loaded(compileStrategies(doc, location, 'snake'), location, file, text);
}

function loaded(
  compiled: CompiledStrategies,
  location: string,
  file: string,
  text: string,
): Loaded {
  const services = new Map<string, ResolvedStrategy>();
  for (const [service, strategy] of compiled.services) {
    services.set(service, { strategy, origin: 'file' });
  }
  return {
    compiled,
    location,
    file,
    text,
    services,
    defaultStrategy: { strategy: compiled.defaultStrategy, origin: 'default' },
  };
}

/**
 * The strategies written by the operator: Jaeger's strategies file
 * (`sampling.strategiesFile`) or the same in Skein's YAML (`sampling.strategies`).
 *
 * As a `StrategySource` it answers only for services the document names; its
 * default strategy is read with `defaultStrategy()` so that the adaptive source can
 * sit between the two (see `StrategyResolver`).
 *
 * The file is re-read when it changes (`watch`) and with the configuration
 * (`prepare`, a `ReloadTarget`). A version that does not read, parse or validate is
 * refused with an error log line naming the problem, and the strategies in force
 * stay. Swaps are atomic: a caller sees the old or the new strategies, never a mix.
 */
export class FileStrategySource implements StrategySource {
  readonly #logger: Logger;
  readonly #reloads: Counter<'result'> | undefined;
  #loaded: Loaded;
  #watcher: FSWatcher | undefined;
  #settle: NodeJS.Timeout | undefined;
  #watching = false;
  #reloading: Promise<StrategiesReloadResult> = Promise.resolve('unchanged');

  /** @throws ConfigError when the strategies do not load (skein then refuses to start). */
  constructor(sampling: SamplingConfig, options: FileStrategySourceOptions) {
    this.#logger = options.logger;
    this.#reloads =
      options.registry === undefined
        ? undefined
        : new Counter({
            name: 'skein_sampling_strategies_reloads_total',
            help: 'Re-reads of the sampling strategies file, by result: applied, unchanged, refused.',
            labelNames: ['result'],
            registers: [options.registry],
          });
    this.#loaded = loadStrategies(sampling);
    this.#logLoaded('sampling strategies loaded');
  }

  strategyFor(service: string): ResolvedStrategy | undefined {
    return this.#loaded.services.get(service);
  }

  services(): string[] {
    return [...this.#loaded.services.keys()];
  }

  /** What a service the document does not name gets (origin `default`). */
  defaultStrategy(): ResolvedStrategy {
    return this.#loaded.defaultStrategy;
  }

  /** Whether the document has its own default strategy (false: Jaeger's built-in 0.001). */
  get hasDefault(): boolean {
    return this.#loaded.compiled.hasDefault;
  }

  /** Where the strategies are written: the file as configured, or `sampling.strategies`. */
  get location(): string {
    return this.#loaded.location;
  }

  /** What is served differently from what the document says for `service` ('' = the default). */
  warnings(service: string): readonly string[] {
    return this.#loaded.compiled.warnings.get(service) ?? [];
  }

  /**
   * `ReloadTarget.prepare`: reads the strategies `next` points at (the file is read
   * again even when its path did not change) and returns the swap.
   * @throws ConfigError when they do not load: the reload is refused.
   */
  prepare(next: SkeinConfig): () => void {
    const loaded = loadStrategies(next.sampling);
    return () => {
      const fileChanged = loaded.file !== this.#loaded.file;
      this.#loaded = loaded;
      this.#logLoaded('sampling strategies reloaded with the configuration');
      if (fileChanged && this.#watching) {
        this.#unwatch();
        this.watch();
      }
    };
  }

  /**
   * Watches the strategies file's directory (editors replace files rather than write
   * them) and re-reads the file a moment after it changes. Nothing to watch when the
   * strategies are written in the config.
   */
  watch(): void {
    this.#watching = true;
    const file = this.#loaded.file;
    if (file === '') return;
    const name = basename(file);
    try {
      this.#watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(this.#settle);
        this.#settle = setTimeout(() => void this.reloadFile(), STRATEGIES_FILE_SETTLE_MS);
        this.#settle.unref();
      });
      this.#watcher.unref();
    } catch (err) {
      this.#logger.warn(
        { err, file },
        'cannot watch the sampling strategies file; it is re-read on a configuration reload (SIGHUP) only',
      );
    }
  }

  /**
   * Re-reads the strategies file now. Runs one at a time; never throws. A file that
   * does not load is refused (logged at error level with the reason) and the
   * strategies in force stay.
   */
  reloadFile(): Promise<StrategiesReloadResult> {
    this.#reloading = this.#reloading.then(() => this.#reloadFile());
    return this.#reloading;
  }

  #reloadFile(): StrategiesReloadResult {
    const current = this.#loaded;
    if (current.file === '') return 'unchanged';
    let loaded: Loaded;
    try {
      loaded = readStrategiesFile(current.location);
    } catch (err) {
      this.#reloads?.inc({ result: 'refused' });
      const reason = (err as Error).message;
      this.#logger.error(
        { file: current.location, reason },
        `sampling strategies file refused: ${reason}; the previous strategies stay in force`,
      );
      return 'refused';
    }
    if (loaded.text === current.text) {
      this.#reloads?.inc({ result: 'unchanged' });
      return 'unchanged';
    }
    this.#loaded = loaded;
    this.#reloads?.inc({ result: 'applied' });
    this.#logLoaded('sampling strategies file changed; new strategies in force');
    return 'applied';
  }

  /** Stops watching. */
  close(): void {
    this.#watching = false;
    this.#unwatch();
  }

  #unwatch(): void {
    clearTimeout(this.#settle);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #logLoaded(message: string): void {
    const { compiled, location } = this.#loaded;
    this.#logger.info(
      { source: location, services: compiled.services.size, hasDefault: compiled.hasDefault },
      message,
    );
    for (const [service, texts] of compiled.warnings) {
      for (const text of texts) {
        this.#logger.warn(
          { source: location, service: service === '' ? '(default strategy)' : service },
          `sampling strategy: ${text}`,
        );
      }
    }
  }
}
