import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SpanLimitsConfig } from '../config/config.ts';
import type { Attribute, Resource, Scope, Span, SpanEvent, SpanLink } from '../model/span.ts';
import { ValueType } from '../model/span.ts';
import { SpanLimits, TRUNCATED_ATTRIBUTE, cutString } from './span-limits.ts';
import type { TruncationReason } from './span-limits.ts';

const LIMITS: SpanLimitsConfig = {
  maxAttributesPerSpan: 3,
  maxAttributeValueLength: 8,
  maxEventsPerSpan: 2,
  maxLinksPerSpan: 2,
  maxAttributesPerEvent: 1,
  maxAttributesPerLink: 1,
  maxSpanBytes: 1_000_000,
};

function str(key: string, value: string): Attribute {
  return { key, type: ValueType.String, value };
}

function attrs(n: number): Attribute[] {
  return Array.from({ length: n }, (_, i) => str(`k${i}`, `v${i}`));
}

function event(attributes: Attribute[] = []): SpanEvent {
  return { time: 1, name: 'e', attributes, droppedAttributesCount: 0 };
}

function link(attributes: Attribute[] = []): SpanLink {
  return {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    traceState: '',
    attributes,
    droppedAttributesCount: 0,
    flags: 0,
  };
}

const resource = (): Resource => ({
  serviceName: 's',
  tenant: '',
  attributes: [str('service.name', 's')],
  droppedAttributesCount: 0,
  schemaUrl: '',
});
const scope = (): Scope => ({
  name: '',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
});

function span(fields: Partial<Span> = {}): Span {
  return {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: 'op',
    kind: 1,
    startTime: 1_700_000_000_000_000,
    duration: 5,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource: resource(),
    scope: scope(),
    ...fields,
  };
}

/** Counts what SpanLimits reports, per reason. */
class Tally {
  readonly counts = new Map<TruncationReason, number>();
  truncated(reason: TruncationReason, spans: number): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + spans);
  }
}

function marker(s: { attributes: Attribute[] }): unknown {
  const last = s.attributes[s.attributes.length - 1];
  return last?.key === TRUNCATED_ATTRIBUTE ? last.value : undefined;
}

describe('SpanLimits', () => {
  // Each row: a span over one limit, what is kept, the dropped counts, the marker.
  const table: {
    name: string;
    make: () => Span;
    check: (s: Span) => void;
    reason: string;
  }[] = [
    {
      name: 'attributes per span: the first kept, the rest in droppedAttributesCount',
      make: () => span({ attributes: attrs(5), droppedAttributesCount: 2 }),
      check: (s) => {
        assert.deepEqual(
          s.attributes.slice(0, 3).map((a) => a.key),
          ['k0', 'k1', 'k2'],
        );
        assert.equal(s.droppedAttributesCount, 4);
      },
      reason: 'attributes',
    },
    {
      name: 'events per span',
      make: () => span({ events: [event(), event(), event(), event()] }),
      check: (s) => {
        assert.equal(s.events.length, 2);
        assert.equal(s.droppedEventsCount, 2);
      },
      reason: 'events',
    },
    {
      name: 'links per span',
      make: () => span({ links: [link(), link(), link()], droppedLinksCount: 1 }),
      check: (s) => {
        assert.equal(s.links.length, 2);
        assert.equal(s.droppedLinksCount, 2);
      },
      reason: 'links',
    },
    {
      name: 'attributes per event',
      make: () => span({ events: [event(attrs(3))] }),
      check: (s) => {
        assert.deepEqual(s.events[0].attributes, [str('k0', 'v0')]);
        assert.equal(s.events[0].droppedAttributesCount, 2);
      },
      reason: 'event_attributes',
    },
    {
      name: 'attributes per link',
      make: () => span({ links: [link(attrs(2))] }),
      check: (s) => {
        assert.deepEqual(s.links[0].attributes, [str('k0', 'v0')]);
        assert.equal(s.links[0].droppedAttributesCount, 1);
      },
      reason: 'link_attributes',
    },
    {
      name: 'value length: strings (in arrays and kvlists too), bytes, names, status message',
      make: () =>
        span({
          name: 'n'.repeat(20),
          statusMessage: 'm'.repeat(9),
          attributes: [
            str('s', 'x'.repeat(100)),
            { key: 'b', type: ValueType.Bytes, value: new Uint8Array(20) },
            {
              key: 'a',
              type: ValueType.Array,
              value: [
                { type: ValueType.String, value: 'y'.repeat(9) },
                { type: ValueType.Int, value: 123456789012 },
              ],
            },
          ],
          events: [event([str('e', 'z'.repeat(30))])],
        }),
      check: (s) => {
        assert.equal(s.name, 'n'.repeat(8));
        assert.equal(s.statusMessage, 'm'.repeat(8));
        assert.equal(s.attributes[0].value, 'x'.repeat(8));
        assert.equal((s.attributes[1].value as Uint8Array).byteLength, 8);
        assert.deepEqual(s.attributes[2].value, [
          { type: ValueType.String, value: 'y'.repeat(8) },
          { type: ValueType.Int, value: 123456789012 },
        ]);
        assert.equal(s.events[0].attributes[0].value, 'z'.repeat(8));
        assert.equal(s.droppedAttributesCount, 0);
      },
      reason: 'value_length',
    },
  ];

  for (const row of table) {
    test(row.name, () => {
      const tally = new Tally();
      const limits = new SpanLimits(LIMITS, tally);
      const s = row.make();
      assert.equal(limits.apply([s, span()]), 1);
      row.check(s);
      assert.equal(marker(s), row.reason);
      assert.deepEqual([...tally.counts], [[row.reason, 1]]);
    });
  }

  test('a span within every limit is left alone and nothing is reported', () => {
    const tally = new Tally();
    const s = span({ attributes: attrs(3), events: [event(attrs(1))], links: [link()] });
    const before = structuredClone({ ...s, resource: undefined, scope: undefined });
    assert.equal(new SpanLimits(LIMITS, tally).apply([s]), 0);
    assert.deepEqual({ ...s, resource: undefined, scope: undefined }, before);
    assert.equal(tally.counts.size, 0);
  });

  test('span size: events, then links, then attributes are cut from the end until it fits', () => {
    const big = { ...LIMITS, maxAttributesPerSpan: 100, maxAttributeValueLength: 10_000 };
    const sized = { ...big, maxSpanBytes: 600 };
    const make = () =>
      span({
        attributes: [str('keep', 'k'), str('big', 'b'.repeat(400))],
        events: [event([str('e', 'e'.repeat(100))]), event([str('e', 'e'.repeat(100))])],
        links: [link([str('l', 'l'.repeat(100))])],
      });
    const tally = new Tally();
    const s = make();
    new SpanLimits(sized, tally).apply([s]);
    assert.equal(s.events.length, 0);
    assert.equal(s.droppedEventsCount, 2);
    assert.equal(s.links.length, 0);
    assert.equal(s.droppedLinksCount, 1);
    assert.deepEqual(
      s.attributes.map((a) => a.key),
      ['keep', 'big', TRUNCATED_ATTRIBUTE],
    );
    assert.equal(marker(s), 'span_size');
    assert.deepEqual([...tally.counts], [['span_size', 1]]);
    // A limit below the big attribute cuts it too.
    const smaller = make();
    new SpanLimits({ ...big, maxSpanBytes: 300 }, tally).apply([smaller]);
    assert.deepEqual(
      smaller.attributes.map((a) => a.key),
      ['keep', TRUNCATED_ATTRIBUTE],
    );
    assert.equal(smaller.droppedAttributesCount, 1);
  });

  test('several reasons are listed in a fixed order and each is counted', () => {
    const tally = new Tally();
    const s = span({
      attributes: [...attrs(4), str('long', 'x'.repeat(9))],
      events: [event(), event(), event()],
    });
    new SpanLimits(LIMITS, tally).apply([s, span({ events: [event(), event(), event()] })]);
    assert.equal(marker(s), 'attributes,events');
    assert.deepEqual([...tally.counts].sort(), [
      ['attributes', 1],
      ['events', 2],
    ]);
  });

  test('deterministic, and applying twice cuts nothing more (a client-sent marker is limited too)', () => {
    const make = () =>
      span({ attributes: [...attrs(6), str('long', 'x'.repeat(50))], events: [event(attrs(4))] });
    const a = make();
    const b = make();
    const limits = new SpanLimits(LIMITS);
    limits.apply([a]);
    limits.apply([b]);
    assert.deepEqual(a, b);
    const once = structuredClone(a);
    const tally = new Tally();
    assert.equal(new SpanLimits(LIMITS, tally).apply([a]), 0);
    assert.deepEqual(a, once);
    assert.equal(tally.counts.size, 0);
    const sent = span({ attributes: [str(TRUNCATED_ATTRIBUTE, 'q'.repeat(10_000))] });
    new SpanLimits(LIMITS).apply([sent]);
    assert.equal(sent.attributes.length, 1);
    assert.ok((sent.attributes[0].value as string).length < 100);
  });

  test('a shared resource over the limits is cut once and marked itself', () => {
    const shared = resource();
    shared.attributes.push(...attrs(4), str('host', 'h'.repeat(30)));
    const tally = new Tally();
    const spans = [span({ resource: shared }), span({ resource: shared })];
    assert.equal(new SpanLimits(LIMITS, tally).apply(spans), 0);
    assert.deepEqual(
      shared.attributes.map((a) => a.key),
      ['service.name', 'k0', 'k1', TRUNCATED_ATTRIBUTE],
    );
    assert.equal(shared.droppedAttributesCount, 3);
    assert.equal(marker(shared), 'attributes');
    assert.equal(marker(spans[0]), undefined);
  });

  test('a resource service name and a scope name over the value limit are cut too', () => {
    const r = resource();
    r.serviceName = 's'.repeat(20);
    const sc = scope();
    sc.name = 'n'.repeat(20);
    sc.version = '1.0';
    new SpanLimits(LIMITS).apply([span({ resource: r, scope: sc })]);
    assert.equal(r.serviceName, 's'.repeat(8));
    assert.equal(marker(r), 'value_length');
    assert.deepEqual([sc.name, sc.version, marker(sc)], ['n'.repeat(8), '1.0', 'value_length']);
  });

  test('cutString keeps surrogate pairs whole and copies', () => {
    assert.equal(cutString('ab😀cd', 3), 'ab');
    assert.equal(cutString('ab😀cd', 4), 'ab😀');
    assert.equal(cutString('abcdef', 3), 'abc');
  });
});
