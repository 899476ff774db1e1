import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';

/** Seconds: from a cached service list (~1 ms) to a search that waits its turn. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The `route` label of a request no route matched (a 404 of the router). */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * How long the query ports take, split where the time goes (what Jaeger's query service
 * reports as `jaeger_query_latency`, per HTTP route and per storage read):
 *
 * - `skein_query_request_duration_seconds{port,route,status}`: a request from its arrival
 *   (Fastify's onRequest) to its answer handed to the socket (onResponse). `route` is the
 *   route's pattern (`/api/traces/:traceID`), never the URL, so the label values are
 *   bounded by the routes; a request no route matched is `route="(unmatched)"`. `status`
 *   is the class of the answer (`2xx` ... `5xx`).
 * - `skein_storage_read_duration_seconds{method}`: each read the query ports made of the
 *   store (`getTrace`, `findTraces`, `getServices`, ...), from the call to its answer or
 *   error; with the DuckDB store's thread, the hop there and back is included.
 *
 * A slow request's time, less its reads, is the rest: the query gate's queue, encoding
 * the answer and writing it. One instance per registry (the names register once).
 */
export class QueryMetrics {
  readonly requestDuration: Histogram<'port' | 'route' | 'status'>;
  readonly readDuration: Histogram<'method'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requestDuration = new Histogram({
      name: 'skein_query_request_duration_seconds',
      help: 'Query API requests, from arrival to the answer handed to the socket, per port, route pattern and status class.',
      labelNames: ['port', 'route', 'status'],
      buckets: BUCKETS,
      registers,
    });
    this.readDuration = new Histogram({
      name: 'skein_storage_read_duration_seconds',
      help: 'Reads of the store made by the query API, per reader method, answered or failed.',
      labelNames: ['method'],
      buckets: BUCKETS,
      registers,
    });
  }

  /** Times every request `app` answers under `port`'s label. */
  observe(app: FastifyInstance, port: string): void {
    const requests = this.requestDuration;
    app.addHook('onResponse', (request, reply, done) => {
      requests.observe(
        {
          port,
          route: request.routeOptions.url ?? UNMATCHED_ROUTE,
          status: `${Math.trunc(reply.statusCode / 100)}xx`,
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  /**
   * `reader` with each method call timed under its name. Methods run on `reader` itself
   * (its private fields work); what is not a function passes through. Give it to the query
   * app only: writes are not reads.
   */
  timed<T extends object>(reader: T): T {
    const reads = this.readDuration;
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(reader, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        let timedMethod = wrapped.get(property);
        if (timedMethod === undefined) {
          timedMethod = function (this: unknown, ...args: unknown[]): unknown {
            const end = reads.startTimer({ method: property });
            let result: unknown;
            try {
              result = Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
            } catch (err) {
              end();
              throw err;
            }
            if (result instanceof Promise) return result.finally(() => end());
            end();
            return result;
          };
          wrapped.set(property, timedMethod);
        }
        return timedMethod;
      },
    });
  }
}
