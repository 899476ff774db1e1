import type { Logger } from 'pino';

/** A started module: how to stop it, and what it listens on or runs (for the banner). */
export interface RunningModule {
  stop(): Promise<void>;
  endpoints?: { name: string; url: string }[];
  /** Lines for the startup banner, e.g. `processors: redaction → spanMetrics`. */
  notes?: string[];
}

/**
 * One module of the role table (after Grafana Tempo's modules.go): what it depends
 * on and how it starts. `start` receives the shared context, may publish what it
 * made into it (e.g. the storage object), and returns how to stop.
 */
export interface ModuleDefinition<Ctx, Name extends string> {
  dependsOn: readonly Name[];
  start(ctx: Ctx): Promise<RunningModule>;
}

/** A running set of modules, stopped in reverse start order. */
export interface App {
  readonly endpoints: { name: string; url: string }[];
  readonly notes: string[];
  stop(): Promise<void>;
}

/**
 * Orders `wanted` modules and their dependencies so each starts after what it
 * depends on (depth-first, stable in table order).
 * @throws Error on a dependency cycle (a bug in the table, caught by a test).
 */
export function resolveOrder<Name extends string>(
  table: Record<Name, { dependsOn: readonly Name[] }>,
  wanted: readonly Name[],
): Name[] {
  const order: Name[] = [];
  const state = new Map<Name, 'visiting' | 'done'>();
  const visit = (name: Name, path: Name[]) => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting')
      throw new Error(`module dependency cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of table[name].dependsOn) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of wanted) visit(name, []);
  return order;
}

/**
 * Starts modules in dependency order. If one fails to start, the ones already
 * started are stopped (reverse order) and the error is rethrown.
 */
export async function startModules<Ctx, Name extends string>(
  table: Record<Name, ModuleDefinition<Ctx, Name>>,
  wanted: readonly Name[],
  ctx: Ctx,
  logger: Logger,
): Promise<App> {
  const started: { name: Name; running: RunningModule }[] = [];
  const stopAll = async () => {
    for (let i = started.length - 1; i >= 0; i--) {
      const { name, running } = started[i];
      try {
        await running.stop();
        logger.debug({ module: name }, 'module stopped');
      } catch (err) {
        logger.error({ err, module: name }, 'module failed to stop cleanly');
      }
    }
    started.length = 0;
  };
  try {
    for (const name of resolveOrder(table, wanted)) {
      const running = await table[name].start(ctx);
      started.push({ name, running });
      logger.debug({ module: name }, 'module started');
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    endpoints: started.flatMap((s) => s.running.endpoints ?? []),
    notes: started.flatMap((s) => s.running.notes ?? []),
    stop: stopAll,
  };
}
