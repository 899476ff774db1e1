import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EdgeRow } from './completeness-report.ts';
import { edgeLabel, edgeTitle, edgeTone, graphEdges } from './edge-completeness.ts';

const edge = (
  caller: string,
  callee: string,
  calls: number,
  answered: number,
  breaks = {},
): EdgeRow => ({
  caller,
  callee,
  calls,
  answered,
  rate: calls > 0 ? answered / calls : null,
  breaks,
  breakCount: Object.values(breaks as Record<string, number>).reduce((a, b) => a + b, 0),
});

describe('edge colours', () => {
  test('green at 99% and above, amber at 90% and above, red below, none without data', () => {
    assert.equal(edgeTone(1), 'good');
    assert.equal(edgeTone(0.99), 'good');
    assert.equal(edgeTone(0.9899), 'warn');
    assert.equal(edgeTone(0.9), 'warn');
    assert.equal(edgeTone(0.8999), 'bad');
    assert.equal(edgeTone(0), 'bad');
    assert.equal(edgeTone(null), 'none');
    assert.equal(edgeTone(undefined), 'none');
    assert.equal(edgeTone(NaN), 'none');
  });
});

describe('graph edges', () => {
  const links = [
    { parent: 'frontend', child: 'catalog', callCount: 584 },
    { parent: 'frontend', child: 'cart', callCount: 649 },
    { parent: 'frontend', child: 'frontend', callCount: 3 },
    { parent: 'db-client', child: 'postgres', callCount: 10 },
  ];
  const completeness = [
    edge('frontend', 'catalog', 638, 584, { split_trace: 54 }),
    edge('frontend', 'cart', 649, 649),
    // Every call broken: no stored trace links checkout to shipping, so no dependency.
    edge('checkout', 'shipping', 100, 0, { async_break: 100 }),
    edge('x', 'x', 5, 5),
  ];

  test("each link gets the same edge's completeness; completeness-only edges are added", () => {
    const g = graphEdges(links, completeness);
    assert.deepEqual(
      g.map((e) => [e.from, e.to, e.calls, e.tone]),
      [
        ['frontend', 'catalog', 584, 'warn'],
        ['frontend', 'cart', 649, 'good'],
        ['db-client', 'postgres', 10, 'none'],
        ['checkout', 'shipping', 0, 'bad'],
      ],
    );
  });

  test('without completeness (turned off, or an error) the graph is the dependencies alone', () => {
    const g = graphEdges(links, null);
    assert.deepEqual(
      g.map((e) => [e.from, e.to, e.tone]),
      [
        ['frontend', 'catalog', 'none'],
        ['frontend', 'cart', 'none'],
        ['db-client', 'postgres', 'none'],
      ],
    );
    assert.equal(edgeLabel(g[0]), '584');
  });

  test('labels and tooltips carry the rate and the breaks', () => {
    const [catalog, cart, db, shipping] = graphEdges(links, completeness);
    assert.equal(edgeLabel(catalog), '584 · 91.5%');
    assert.equal(edgeLabel(cart), '649 · 100%');
    assert.equal(edgeLabel(db), '10');
    assert.equal(edgeLabel(shipping), '0%');
    assert.equal(
      edgeTitle(catalog),
      'frontend → catalog: 584 calls; 91.5% of 638 judged calls answered in the same trace (54 split trace)',
    );
    assert.equal(
      edgeTitle(db),
      'db-client → postgres: 10 calls; no completeness data for this edge',
    );
    assert.equal(
      edgeLabel({ ...cart, completeness: edge('frontend', 'cart', 10000, 9999) }),
      '649 · 99.9%',
    );
  });
});
