import { defaultConfig, type ListenerConfig, type SkeinConfig } from '../config/config.ts';
import { isLoopbackHost } from './security-settings.ts';

/** A listener of the config, by the name the banner gives it. */
export interface ConfiguredListener {
  name: string;
  /** Its config path, e.g. `receivers.otlpGrpc`. */
  path: string;
  /** UDP listeners cannot carry credentials. */
  udp: boolean;
  get(config: SkeinConfig): ListenerConfig;
}

/** Every listener a config can open (the Jaeger UI port listens on `query.host`). */
export const CONFIGURED_LISTENERS: readonly ConfiguredListener[] = [
  { name: 'otlp-grpc', path: 'receivers.otlpGrpc', udp: false, get: (c) => c.receivers.otlpGrpc },
  { name: 'otlp-http', path: 'receivers.otlpHttp', udp: false, get: (c) => c.receivers.otlpHttp },
  { name: 'zipkin', path: 'receivers.zipkin', udp: false, get: (c) => c.receivers.zipkin },
  {
    name: 'jaeger-thrift-http',
    path: 'receivers.jaegerThriftHttp',
    udp: false,
    get: (c) => c.receivers.jaegerThriftHttp,
  },
  {
    name: 'jaeger-grpc',
    path: 'receivers.jaegerGrpc',
    udp: false,
    get: (c) => c.receivers.jaegerGrpc,
  },
  {
    name: 'jaeger-agent-compact',
    path: 'receivers.jaegerAgentCompact',
    udp: true,
    get: (c) => c.receivers.jaegerAgentCompact,
  },
  {
    name: 'jaeger-agent-binary',
    path: 'receivers.jaegerAgentBinary',
    udp: true,
    get: (c) => c.receivers.jaegerAgentBinary,
  },
  { name: 'sampling-http', path: 'sampling.http', udp: false, get: (c) => c.sampling.http },
  { name: 'sampling-grpc', path: 'sampling.grpc', udp: false, get: (c) => c.sampling.grpc },
  { name: 'query', path: 'query', udp: false, get: (c) => c.query },
  { name: 'admin', path: 'admin', udp: false, get: (c) => c.admin },
];

/**
 * Whether credentials will be required: `security.auth` on, or auto with tokens or
 * an OIDC issuer configured. (compileSecuritySettings checks the values themselves.)
 */
export function authEnforced(config: SkeinConfig): boolean {
  const s = config.security;
  return s.auth === 'on' || (s.auth === 'auto' && (s.tokens.length > 0 || s.oidc.issuer !== ''));
}

/**
 * Applies `security.listen` (`--listen`): every listener whose host was left at its
 * default binds that address instead. The UDP agent ports stay on loopback while
 * auth is enforced (a datagram carries no credentials) unless their host is set.
 */
export function applyListen(config: SkeinConfig): void {
  const listen = config.security.listen;
  if (listen === '') return;
  const enforced = authEnforced(config);
  for (const l of CONFIGURED_LISTENERS) {
    if (l.udp && enforced) continue;
    const listener = l.get(config);
    if (listener.host === l.get(defaultConfig).host) listener.host = listen;
  }
}

/** Enabled listeners bound to an address other hosts can reach, as `name host:port`. */
export function exposedListeners(
  config: SkeinConfig,
  which: 'tcp' | 'udp' | 'all' = 'all',
): string[] {
  const out: string[] = [];
  for (const l of CONFIGURED_LISTENERS) {
    if ((which === 'tcp' && l.udp) || (which === 'udp' && !l.udp)) continue;
    const listener = l.get(config);
    if (listener.enabled && !isLoopbackHost(listener.host))
      out.push(`${l.name} ${listener.host}:${listener.port}`);
  }
  return out;
}
