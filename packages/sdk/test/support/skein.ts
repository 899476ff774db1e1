import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../server/test/e2e/eventually.ts';
import { startSkein, type SkeinProcess } from '../../../server/test/e2e/skein-process.ts';

export { eventually };

/** A span as Skein's Jaeger API returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
}

/** A trace read back from Skein: its spans, and each span's service. */
export interface StoredTrace {
  spans: JaegerSpan[];
  serviceOf(span: JaegerSpan): string;
  byName(name: string): JaegerSpan;
}

/**
 * A real `skein all` (server/test/e2e/skein-process.ts) on a temp DuckDB directory
 * with a 1 s trace-buffer idle, for the kit's tests to export to and read back from.
 */
export class TestSkein {
  readonly dir = mkdtempSync(join(tmpdir(), 'skein-sdk-test-'));
  process!: SkeinProcess;
  otlp = '';
  query = '';
  sampling = '';

  async start(extraArgs: string[] = []): Promise<this> {
    this.process = await startSkein('all', [
      `--storage.duckdb.path=${this.dir}`,
      '--pipeline.traceBuffer.idleSeconds=1',
      '--pipeline.processors.completeness.flushIntervalSeconds=1',
      // Tests want every trace: the strategy served on :5778 samples all.
      '--sampling.strategies.defaultStrategy.param=1',
      ...extraArgs,
    ]);
    this.otlp = this.process.urls.get('otlp-http') ?? assert.fail('no otlp-http url');
    this.query = this.process.urls.get('query') ?? assert.fail('no query url');
    this.sampling = this.process.urls.get('sampling-http') ?? assert.fail('no sampling-http url');
    return this;
  }

  async stop(): Promise<void> {
    const code = await this.process?.stop();
    rmSync(this.dir, { recursive: true, force: true });
    assert.equal(code, 0, `skein exited with ${code}:\n${this.process?.output.join('\n')}`);
  }

  /** Polls `/api/traces/{id}` until it holds at least `minSpans` spans. */
  async trace(traceId: string, minSpans: number, ms = 15_000): Promise<StoredTrace> {
    return eventually(
      async () => {
        const res = await fetch(`${this.query}/api/traces/${traceId}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as {
          data: { spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }[];
        };
        const t = body.data[0];
        if (t === undefined || t.spans.length < minSpans) return undefined;
        return {
          spans: t.spans,
          serviceOf: (s: JaegerSpan) => t.processes[s.processID]?.serviceName ?? '',
          byName(name: string) {
            return (
              t.spans.find((s) => s.operationName === name) ??
              assert.fail(`no span "${name}" in ${t.spans.map((s) => s.operationName).join(', ')}`)
            );
          },
        };
      },
      `trace ${traceId} with ${minSpans} spans in Skein`,
      ms,
    );
  }
}

/** The parent span id of a stored span ('' for a root). */
export function parentOf(span: JaegerSpan): string {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '';
}

/** A tag's value on a stored span (undefined when absent). */
export function tagOf(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}
