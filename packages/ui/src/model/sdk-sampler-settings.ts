/**
 * The settings that point an SDK's remote sampler at Skein (docs/configuration.md,
 * "Pointing SDKs at Skein"), written out for one service so they can be copied. Ports are
 * Skein's defaults: HTTP `sampling.http` :5778; gRPC `sampling.grpc` :5779 and the Jaeger
 * collector port `receivers.jaegerGrpc` :14250.
 */

export const SAMPLING_HTTP_PORT = 5778;
export const JAEGER_GRPC_PORT = 14250;

/** Jaeger's and the SDKs' usual poll: once a minute. */
const POLL_MS = 60_000;

export interface SdkSetting {
  /** Which SDK, in words. */
  sdk: string;
  /** What to know beside the text (protocol, where it goes). */
  note: string;
  /** The settings, as the SDK takes them. */
  text: string;
}

export interface SdkSettingsInput {
  /** Where SDKs reach Skein (the host the UI is served from, by default). */
  host: string;
  /** '' for a placeholder. */
  service: string;
  /** What SDKs apply until the first answer (the strategy's probability, if any). */
  initialProbability: number | null;
}

/** A probability as SDKs read it: plain decimal, no exponent (`0.0001`, not `1e-4`). */
export function probabilityArg(p: number): string {
  const clamped = Math.min(1, Math.max(0, p));
  return clamped.toFixed(12).replace(/\.?0+$/, '');
}

/** The settings per SDK, for `input.service` (a placeholder when empty). */
export function sdkSamplerSettings(input: SdkSettingsInput): SdkSetting[] {
  const host =
    input.host.includes(':') && !input.host.startsWith('[') ? `[${input.host}]` : input.host;
  const service = input.service || 'my-service';
  const p = probabilityArg(input.initialProbability ?? 0.001);
  const http = `http://${host}:${SAMPLING_HTTP_PORT}`;
  const js = JSON.stringify(service);
  return [
    {
      sdk: 'OpenTelemetry, by environment (Java agent and SDKs with the jaeger_remote sampler)',
      note: `asks over gRPC: Skein answers on :${JAEGER_GRPC_PORT} and on sampling.grpc (:5779)`,
      text: [
        `OTEL_SERVICE_NAME=${service}`,
        'OTEL_TRACES_SAMPLER=parentbased_jaeger_remote',
        `OTEL_TRACES_SAMPLER_ARG=endpoint=http://${host}:${JAEGER_GRPC_PORT},pollingIntervalMs=${POLL_MS},initialSamplingRate=${p}`,
      ].join('\n'),
    },
    {
      sdk: 'OpenTelemetry JS (@opentelemetry/sampler-jaeger-remote)',
      note: `asks over HTTP: GET ${http}/sampling?service=…`,
      text: [
        'new JaegerRemoteSampler({',
        `  endpoint: '${http}',`,
        `  serviceName: ${js},`,
        `  poolingInterval: ${POLL_MS},`,
        `  initialSampler: new TraceIdRatioBasedSampler(${p}),`,
        '})',
      ].join('\n'),
    },
    {
      sdk: 'OpenTelemetry Go (go.opentelemetry.io/contrib/samplers/jaegerremote)',
      note: 'asks over HTTP',
      text: [
        `jaegerremote.New(${js},`,
        `  jaegerremote.WithSamplingServerURL("${http}/sampling"),`,
        '  jaegerremote.WithSamplingRefreshInterval(time.Minute),',
        `  jaegerremote.WithInitialSampler(trace.TraceIDRatioBased(${p})))`,
      ].join('\n'),
    },
    {
      sdk: 'jaeger-client (Node)',
      note: 'the param is applied until the first answer',
      text: `sampler: { type: 'remote', param: ${p}, hostPort: '${host}:${SAMPLING_HTTP_PORT}', refreshIntervalMs: ${POLL_MS} }`,
    },
    {
      sdk: 'Jaeger clients (Go, Java), by environment',
      note: 'asks over HTTP',
      text: [
        `JAEGER_SERVICE_NAME=${service}`,
        'JAEGER_SAMPLER_TYPE=remote',
        `JAEGER_SAMPLER_PARAM=${p}`,
        `JAEGER_SAMPLER_MANAGER_HOST_PORT=${host}:${SAMPLING_HTTP_PORT}`,
      ].join('\n'),
    },
  ];
}
