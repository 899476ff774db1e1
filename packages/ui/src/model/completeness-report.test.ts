import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BREAK_CAUSE_INFO, causeInfo } from './break-causes.ts';
import {
  breakTotal,
  callTotals,
  orderCauses,
  edgeExamples,
  parseCompletenessReport,
  sortEdgeRows,
  sortServiceRows,
  type EdgeRow,
  type ServiceRow,
} from './completeness-report.ts';

const T = (c: string) => c.repeat(32);

/** An answer shaped as docs/api.md documents it (field values from a tracegen run). */
const BODY = {
  data: {
    window: { start: 1_000_000_000, end: 4_600_000_000, step: 60_000_000 },
    service: null,
    summary: { traces: 2181, complete: 1792, rate: 1792 / 2181 },
    rootServices: [{ service: 'frontend', traces: 2000, complete: 1792, rate: 0.896 }],
    services: [
      {
        service: 'checkout',
        spans: 2724,
        spansInComplete: 2108,
        rate: 0.7739,
        breaks: { async_break: 127 },
        breakCount: 127,
      },
      {
        service: 'shipping',
        spans: 1362,
        spansInComplete: 1054,
        rate: 0.7739,
        breaks: { fragment: 127 },
        breakCount: 127,
      },
      { service: 'search', spans: 2931, spansInComplete: 2931, rate: 1, breaks: {}, breakCount: 0 },
      { service: 'idle', spans: 0, spansInComplete: 0, rate: null, breaks: {}, breakCount: 0 },
    ],
    edges: [
      {
        caller: 'checkout',
        callee: 'shipping',
        calls: 681,
        answered: 554,
        rate: 554 / 681,
        breaks: { async_break: 127 },
        breakCount: 127,
      },
      {
        caller: 'frontend',
        callee: 'catalog',
        calls: 638,
        answered: 584,
        rate: 584 / 638,
        breaks: { split_trace: 54 },
        breakCount: 54,
      },
      {
        caller: 'frontend',
        callee: 'cart',
        calls: 649,
        answered: 649,
        rate: 1,
        breaks: {},
        breakCount: 0,
      },
    ],
    causes: [
      {
        cause: 'split_trace',
        incomplete: true,
        count: 54,
        top: [
          {
            service: 'frontend',
            peer: 'catalog',
            count: 54,
            examples: [{ traceId: T('a'), otherTraceId: T('b') }],
          },
        ],
        examples: [{ traceId: T('a'), otherTraceId: T('b') }, { traceId: '<img src=x>' }],
      },
      {
        cause: 'orphan',
        incomplete: true,
        count: 32,
        top: [{ service: 'cart', peer: '', count: 32, examples: [{ traceId: T('c') }] }],
        examples: [{ traceId: T('c'), otherTraceId: 'not-hex' }],
      },
      { cause: 'late_span', incomplete: false, count: 3, top: [], examples: [] },
    ],
    series: [
      { time: 1_060_000_000, traces: 0, complete: 0, rate: null },
      { time: 1_000_000_000, traces: 2181, complete: 1792, rate: 1792 / 2181 },
    ],
  },
  total: 0,
  limit: 0,
  offset: 0,
  errors: null,
};

describe('parseCompletenessReport', () => {
  test('reads every documented field; series ascending; null rates kept as null', () => {
    const r = parseCompletenessReport(BODY);
    assert.deepEqual(r.window, { start: 1_000_000_000, end: 4_600_000_000, step: 60_000_000 });
    assert.equal(r.service, null);
    assert.deepEqual(r.summary, { traces: 2181, complete: 1792, rate: 1792 / 2181 });
    assert.equal(r.rootServices[0].service, 'frontend');
    assert.deepEqual(r.services[0].breaks, { async_break: 127 });
    assert.equal(r.services[3].rate, null);
    assert.deepEqual(
      r.edges.map((e) => [e.caller, e.callee, e.breakCount]),
      [
        ['checkout', 'shipping', 127],
        ['frontend', 'catalog', 54],
        ['frontend', 'cart', 0],
      ],
    );
    assert.deepEqual(
      r.series.map((p) => [p.time, p.rate]),
      [
        [1_000_000_000, 1792 / 2181],
        [1_060_000_000, null],
      ],
    );
    assert.equal(r.causes[2].incomplete, false);
  });

  test('example ids that are not hex are left out (they become URLs)', () => {
    const r = parseCompletenessReport(BODY);
    assert.deepEqual(r.causes[0].examples, [{ traceId: T('a'), otherTraceId: T('b') }]);
    assert.deepEqual(r.causes[1].examples, [{ traceId: T('c') }]);
    assert.equal(r.causes[1].top[0].peer, '');
  });

  test('a body that is not the report names the field', () => {
    assert.throws(() => parseCompletenessReport({ data: null }), /no object at data/);
    assert.throws(
      () => parseCompletenessReport({ data: { ...BODY.data, summary: { traces: 'x' } } }),
      /no number at data\.summary\.traces/,
    );
    assert.throws(
      () => parseCompletenessReport({ data: { ...BODY.data, edges: {} } }),
      /no list at data\.edges/,
    );
  });
});

describe('table order', () => {
  const services = (): ServiceRow[] => parseCompletenessReport(BODY).services;
  const edges = (): EdgeRow[] => parseCompletenessReport(BODY).edges;

  test('services by breaks, most first; ties by lower rate, then name', () => {
    const rows = sortServiceRows(services().reverse(), 'breakCount', true);
    assert.deepEqual(
      rows.map((r) => r.service),
      ['checkout', 'shipping', 'idle', 'search'],
    );
    assert.deepEqual(
      sortServiceRows(services(), 'breakCount', false).map((r) => r.service),
      ['idle', 'search', 'checkout', 'shipping'],
    );
  });

  test('services by rate: lowest first ascending, rows without a rate last either way', () => {
    assert.deepEqual(
      sortServiceRows(services(), 'rate', false).map((r) => r.service),
      ['checkout', 'shipping', 'search', 'idle'],
    );
    assert.deepEqual(
      sortServiceRows(services(), 'rate', true).map((r) => r.service),
      ['search', 'checkout', 'shipping', 'idle'],
    );
    assert.deepEqual(
      sortServiceRows(services(), 'service', true).map((r) => r.service),
      ['shipping', 'search', 'idle', 'checkout'],
    );
  });

  test('edges by breaks, by rate, by calls, by name', () => {
    assert.deepEqual(
      sortEdgeRows(edges().reverse(), 'breakCount', true).map((e) => e.callee),
      ['shipping', 'catalog', 'cart'],
    );
    assert.deepEqual(
      sortEdgeRows(edges(), 'rate', false).map((e) => e.callee),
      ['shipping', 'catalog', 'cart'],
    );
    assert.deepEqual(
      sortEdgeRows(edges(), 'calls', true).map((e) => e.callee),
      ['shipping', 'cart', 'catalog'],
    );
    assert.deepEqual(
      sortEdgeRows(edges(), 'edge', false).map((e) => e.callee),
      ['shipping', 'cart', 'catalog'],
    );
  });

  test('call totals and the examples recorded on an edge', () => {
    const r = parseCompletenessReport(BODY);
    assert.deepEqual(callTotals(r.edges), { calls: 1968, answered: 1787 });
    assert.deepEqual(edgeExamples(r.causes, r.edges[1]), [
      { traceId: T('a'), otherTraceId: T('b') },
    ]);
    assert.deepEqual(edgeExamples(r.causes, r.edges[2]), []);
  });
});

describe('cause order', () => {
  const cause = (name: string, count: number, incomplete = true) => ({
    cause: name,
    incomplete,
    count,
    top: [],
    examples: [],
  });
  const causes = [
    cause('fragment', 181),
    cause('late_span', 500, false),
    cause('async_break', 127),
    cause('split_trace', 54),
    cause('orphan', 54),
  ];

  test('propagation breaks by count, then fragments, then the causes counted apart', () => {
    assert.deepEqual(
      orderCauses(causes).map((c) => c.cause),
      ['async_break', 'orphan', 'split_trace', 'fragment', 'late_span'],
    );
  });

  test('the cause the page was opened on comes first', () => {
    assert.deepEqual(
      orderCauses(causes, 'fragment').map((c) => c.cause),
      ['fragment', 'async_break', 'orphan', 'split_trace', 'late_span'],
    );
  });

  test('the break total counts a split once and leaves out counted-apart causes', () => {
    assert.equal(breakTotal(causes), 127 + 54 + 54);
  });
});

describe('cause explanations', () => {
  test('every cause the API documents has a label, a meaning and a fix', () => {
    for (const cause of [
      'orphan',
      'rootless',
      'multiple_roots',
      'unanswered_call',
      'split_trace',
      'async_break',
      'fragment',
      'sampled_out_parent',
      'late_span',
      'duplicate_span',
    ]) {
      const info = BREAK_CAUSE_INFO[cause];
      assert.ok(info, cause);
      for (const text of [info.label, info.meaning, info.fix]) assert.ok(text.length > 5, cause);
    }
    assert.match(causeInfo('split_trace').meaning, /trace context header was not injected/);
  });

  test('a cause from a newer server is shown by its name', () => {
    assert.equal(causeInfo('clock_jump').label, 'clock jump');
  });
});
