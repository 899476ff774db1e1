import type { PropagatorName, SkeinOptions } from './kit-options.ts';

const PROPAGATORS = new Set<string>(['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger']);

/**
 * Reads {@link SkeinOptions} from `OTEL_*` / `SKEIN_*` variables (for
 * `node --import @skein/node/register`). Throws naming the variable when one is
 * malformed; `service` is empty when `OTEL_SERVICE_NAME` is unset (start refuses it).
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): SkeinOptions {
  const options: SkeinOptions = { service: env.OTEL_SERVICE_NAME ?? '' };
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) options.endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const sampling = env.SKEIN_SAMPLING_ENDPOINT;
  if (sampling) options.samplingEndpoint = sampling === 'off' ? false : sampling;
  if (env.SKEIN_SAMPLING_RATIO) {
    const ratio = Number(env.SKEIN_SAMPLING_RATIO);
    if (!(ratio >= 0 && ratio <= 1))
      throw new Error(`SKEIN_SAMPLING_RATIO=${env.SKEIN_SAMPLING_RATIO}: use a number from 0 to 1`);
    options.samplingRatio = ratio;
  }
  if (env.OTEL_PROPAGATORS) {
    const names = env.OTEL_PROPAGATORS.split(',').map((s) => s.trim());
    for (const n of names)
      if (!PROPAGATORS.has(n))
        throw new Error(
          `OTEL_PROPAGATORS: unknown propagator "${n}"; use tracecontext, baggage, b3, b3multi, jaeger`,
        );
    options.propagators = names as PropagatorName[];
  }
  if (env.SKEIN_REQUEST_ID_HEADER !== undefined)
    options.requestIdHeader =
      env.SKEIN_REQUEST_ID_HEADER === 'off' ? false : env.SKEIN_REQUEST_ID_HEADER;
  if (env.SKEIN_ESM_HOOK !== undefined)
    options.esmHook = env.SKEIN_ESM_HOOK === '1' || env.SKEIN_ESM_HOOK === 'true';
  if (env.SKEIN_LEAK_CHECK === '1' || env.SKEIN_LEAK_CHECK === 'true') options.leakCheck = true;
  if (env.OTEL_RESOURCE_ATTRIBUTES) {
    const attrs: Record<string, string> = {};
    for (const pair of env.OTEL_RESOURCE_ATTRIBUTES.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`OTEL_RESOURCE_ATTRIBUTES: "${pair}" is not key=value`);
      attrs[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
    }
    options.resourceAttributes = attrs;
  }
  return options;
}
