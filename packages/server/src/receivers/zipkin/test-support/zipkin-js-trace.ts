import {
  Annotation,
  BatchRecorder,
  ExplicitContext,
  InetAddress,
  TraceId,
  Tracer,
  jsonEncoder,
} from 'zipkin';
import { HttpLogger } from 'zipkin-transport-http';

/** What `sendZipkinJsTrace` sent, to compare with what reads back. */
export interface ZipkinJsTrace {
  /** 32 hex digits (the tracer makes 128-bit ids). */
  traceId: string;
  rootId: string;
  childId: string;
  /** µs: the root starts here; every other time is an offset from it. */
  t0: number;
}

/** zipkin-js's Tracer has `join` (how a server continues a client's span); its types omit it. */
interface JoiningTracer extends Tracer {
  join(traceId: TraceId): TraceId;
}

/** zipkin-transport-http's logger with the flush it has but does not declare. */
interface FlushableLogger extends HttpLogger {
  processQueue(fetch: unknown): void;
  fetchImplementation: unknown;
  on(event: 'success' | 'error', listener: (value: unknown) => void): void;
}

/**
 * Records a two-span trace with the real zipkin-js tracer and sends it with
 * zipkin-transport-http to `endpoint` in the given encoding, resolving once the
 * server answered 2xx:
 *
 * - root: SERVER "get /cart" of service "checkout" at t0 for 1000 µs, local address
 *   10.1.2.3:8080, tags http.path=/cart and retries=3, annotation "cache miss" at t0+10;
 * - child: CLIENT "charge card" at t0+100 for 800 µs, remote "payments" at
 *   10.9.8.7:8443, tag error="card declined";
 * - its server side: SERVER "charge card" of service "payments" at t0+200 for 500 µs,
 *   recorded by a second tracer (its own recorder and sender) that joined the
 *   client's span id, so zipkin-js reports it as `shared`.
 */
export async function sendZipkinJsTrace(
  endpoint: string,
  encoding: 'JSON_V1' | 'JSON_V2',
): Promise<ZipkinJsTrace> {
  const sender = () =>
    new HttpLogger({
      endpoint,
      jsonEncoder: jsonEncoder[encoding],
      httpInterval: 3_600_000,
    }) as FlushableLogger;
  const logger = sender();
  const tracer = new Tracer({
    ctxImpl: new ExplicitContext(),
    recorder: new BatchRecorder({ logger }),
    localServiceName: 'checkout',
    traceId128Bit: true,
  });
  const serverLogger = sender();
  const server = new Tracer({
    ctxImpl: new ExplicitContext(),
    recorder: new BatchRecorder({ logger: serverLogger }),
    localServiceName: 'payments',
  }) as JoiningTracer;
  const t0 = Date.now() * 1000;
  let root: TraceId | undefined;
  let child: TraceId | undefined;
  tracer.scoped(() => {
    root = tracer.createRootId();
    tracer.setId(root);
    tracer.recordServiceName('checkout');
    tracer.recordRpc('get /cart');
    tracer.recordAnnotation(new Annotation.ServerRecv(), t0);
    tracer.recordAnnotation(
      new Annotation.LocalAddr({ host: new InetAddress('10.1.2.3'), port: 8080 }),
      t0,
    );
    tracer.recordBinary('http.path', '/cart');
    tracer.recordBinary('retries', 3);
    tracer.recordAnnotation(new Annotation.Message('cache miss'), t0 + 10);

    child = tracer.createChildId();
    tracer.setId(child);
    tracer.recordServiceName('checkout');
    tracer.recordRpc('charge card');
    tracer.recordAnnotation(new Annotation.ClientSend(), t0 + 100);
    tracer.recordAnnotation(
      new Annotation.ServerAddr({
        serviceName: 'payments',
        host: new InetAddress('10.9.8.7'),
        port: 8443,
      }),
      t0 + 100,
    );
    tracer.recordBinary('error', 'card declined');
    tracer.recordAnnotation(new Annotation.ClientRecv(), t0 + 900);

    tracer.setId(root);
    tracer.recordAnnotation(new Annotation.ServerSend(), t0 + 1000);
  });
  server.scoped(() => {
    // What the server extracts from the client's B3 headers, then joins.
    const incoming = new TraceId({
      traceId: child!.traceId,
      parentId: child!.parentSpanId,
      spanId: child!.spanId,
      sampled: child!.sampled,
    });
    server.setId(server.join(incoming));
    server.recordServiceName('payments');
    server.recordRpc('charge card');
    server.recordAnnotation(new Annotation.ServerRecv(), t0 + 200);
    server.recordAnnotation(new Annotation.ServerSend(), t0 + 700);
  });
  await Promise.all([flush(logger), flush(serverLogger)]);
  return {
    traceId: root!.traceId,
    rootId: root!.spanId,
    childId: child!.spanId,
    t0,
  };
}

function flush(logger: FlushableLogger): Promise<unknown> {
  return new Promise((resolve, reject) => {
    logger.on('success', resolve);
    logger.on('error', reject);
    logger.processQueue(logger.fetchImplementation);
  });
}
