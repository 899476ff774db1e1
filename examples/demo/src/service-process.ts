import { startTelemetry, type Mode, type Telemetry } from './telemetry.ts';

/** What the runner passes every service process (in `DEMO_CONFIG`, JSON). */
export interface ServiceConfig {
  mode: Mode;
  otlp: string;
  sampling: string;
  natsUrl: string;
  postgresUrl: string;
  /**
   * The loopback address this service listens on (127.0.<mode>.<service>): each
   * service has its own, as on a network, so Skein can tell callees apart by
   * `server.address`.
   */
  host: string;
  /** Peer service name → base URL or host:port. */
  peers: Record<string, string>;
}

/** A running service: what it tells the runner, and how it stops. */
export interface RunningService {
  port: number;
  close(): Promise<void>;
}

/**
 * The body of each service process: starts tracing first (so the modules the service
 * imports afterwards are instrumented), runs `main`, reports `{ ready, port }` to the
 * runner over IPC, and on `stop` closes, flushes and exits.
 */
export async function serviceProcess(
  name: string,
  main: (config: ServiceConfig, telemetry: Telemetry) => Promise<RunningService>,
): Promise<void> {
  const config = JSON.parse(process.env.DEMO_CONFIG ?? '{}') as ServiceConfig;
  config.peers ??= {};
  const telemetry = startTelemetry({
    service: name,
    mode: config.mode,
    otlp: config.otlp,
    sampling: config.sampling,
  });
  const running = await main(config, telemetry);
  process.on('message', (message: unknown) => {
    // The runner sends every service the others' addresses once all have started.
    if (typeof message === 'object' && message !== null && 'peers' in message) {
      Object.assign(config.peers, (message as { peers: Record<string, string> }).peers);
      return;
    }
    if (message !== 'stop') return;
    void (async () => {
      await running.close();
      await telemetry.shutdown();
      process.exit(0);
    })();
  });
  process.send?.({ ready: name, port: running.port });
}
