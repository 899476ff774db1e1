/*
 * The parts of jaeger-client (a devDependency without type declarations) the
 * receiver tests use.
 */

declare module 'jaeger-client' {
  export interface JaegerSpanContext {
    /** Trace id bytes: 8 (64-bit) or 16 (128-bit). */
    traceId: Buffer;
    spanId: Buffer;
    parentId: Buffer | null;
    flags: number;
  }
  export interface JaegerClientSpan {
    context(): JaegerSpanContext;
    setTag(key: string, value: unknown): JaegerClientSpan;
    log(fields: Record<string, unknown>, timestampMs?: number): JaegerClientSpan;
    finish(finishTimeMs?: number): void;
    _spanContext: JaegerSpanContext;
  }
  export interface Reporter {
    report(span: JaegerClientSpan): void;
    close(callback?: () => void): void;
    setProcess(serviceName: string, tags: unknown[]): void;
  }
  export interface Sender {
    setProcess(process: unknown): void;
  }
  export class Tracer {
    constructor(
      serviceName: string,
      reporter: Reporter,
      sampler: unknown,
      options?: { tags?: Record<string, unknown>; traceId128bit?: boolean; logger?: unknown },
    );
    startSpan(
      name: string,
      options?: {
        childOf?: JaegerSpanContext;
        references?: unknown[];
        tags?: Record<string, unknown>;
        startTime?: number;
      },
    ): JaegerClientSpan;
    close(callback?: () => void): void;
    _process: { serviceName: string; tags: Array<{ key: string; value: unknown }> };
  }
  export class ConstSampler {
    constructor(decision: boolean);
  }
  export class RemoteReporter implements Reporter {
    constructor(sender: Sender, options?: { bufferFlushInterval?: number; logger?: unknown });
    report(span: JaegerClientSpan): void;
    close(callback?: () => void): void;
    setProcess(serviceName: string, tags: unknown[]): void;
    flush(callback?: () => void): void;
  }
  export class InMemoryReporter implements Reporter {
    spans: JaegerClientSpan[];
    report(span: JaegerClientSpan): void;
    close(callback?: () => void): void;
    setProcess(serviceName: string, tags: unknown[]): void;
  }
  export class CompositeReporter implements Reporter {
    constructor(reporters: Reporter[]);
    report(span: JaegerClientSpan): void;
    close(callback?: () => void): void;
    setProcess(serviceName: string, tags: unknown[]): void;
  }
  /** Node's ESM import of this CommonJS package: the default export is module.exports. */
  const jaeger: {
    Tracer: typeof Tracer;
    ConstSampler: typeof ConstSampler;
    RemoteReporter: typeof RemoteReporter;
    InMemoryReporter: typeof InMemoryReporter;
    CompositeReporter: typeof CompositeReporter;
    opentracing: {
      followsFrom(context: JaegerSpanContext): unknown;
      childOf(context: JaegerSpanContext): unknown;
    };
  };
  export default jaeger;
}

declare module 'jaeger-client/dist/src/reporters/udp_sender.js' {
  import type { Sender } from 'jaeger-client';
  const udpSender: {
    default: new (options: { host: string; port: number; logger?: unknown }) => Sender;
  };
  export default udpSender;
}

declare module 'jaeger-client/dist/src/reporters/http_sender.js' {
  import type { Sender } from 'jaeger-client';
  const httpSender: {
    default: new (options: { endpoint: string; logger?: unknown }) => Sender;
  };
  export default httpSender;
}

declare module 'jaeger-client/dist/src/thrift.js' {
  import type { JaegerClientSpan } from 'jaeger-client';
  /** A span as jaeger-client encodes it (thriftrw object shapes). */
  export interface ThriftSpan {
    tags: Array<{
      key: string;
      vType: string;
      vStr: string;
      vDouble: number;
      vBool: boolean;
      vBinary: Buffer;
    }>;
    logs: Array<{ timestamp: Buffer; fields: ThriftSpan['tags'] }>;
  }
  const thrift: {
    default: {
      spanToThrift(span: JaegerClientSpan): ThriftSpan;
      getThriftTags(tags: Array<{ key: string; value: unknown }>): ThriftSpan['tags'];
    };
  };
  export default thrift;
}
