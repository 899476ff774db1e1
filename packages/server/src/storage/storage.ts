import type { DependencyReader } from './dependency-reader.ts';
import type { SpanWriter } from './span-writer.ts';
import type { TraceReader } from './trace-reader.ts';

/**
 * A storage backend: one object that writes, reads and purges.
 *
 * Contract: `open` is called once before anything else; `close` flushes and
 * releases files; after `close`, every call rejects. `purgeBefore` deletes every
 * span whose start time is before the cutoff (µs) and returns how many it deleted.
 */
export interface Storage extends SpanWriter, TraceReader, DependencyReader {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  purgeBefore(cutoff: number): Promise<number>;
}
