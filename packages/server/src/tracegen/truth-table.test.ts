import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TracePlanner } from './trace-planner.ts';
import { formatTruthTable } from './truth-table.ts';
import { TruthTally } from './truth-tally.ts';

describe('formatTruthTable', () => {
  test('shows overall completeness, per edge answered shares and per cause counts', () => {
    const planner = new TracePlanner({
      seed: 1,
      breaks: [{ cause: 'split', caller: 'frontend', callee: 'catalog', rate: 0.5 }],
    });
    const tally = new TruthTally();
    for (let i = 0; i < 100; i++) tally.add(planner.next().truth);
    const rates = tally.rates();
    const text = formatTruthTable(rates);
    const splits = rates.causes.split_trace ?? 0;
    assert.ok(splits > 0);
    assert.match(
      text,
      new RegExp(`^truth: ${100 + splits} traces \\(100 main, ${splits} fragments\\)`),
    );
    assert.match(text, new RegExp(`\\n  split_trace +frontend +catalog +${splits}(\\n|$)`));
    assert.match(text, new RegExp(`breaks by cause: (fragment|split_trace) ${splits}, `));
    assert.match(text, new RegExp(`\\n  fragment +catalog +frontend +${splits}(\\n|$)`));
    const edge = rates.edges.find((e) => e.caller === 'frontend' && e.callee === 'catalog');
    assert.ok(edge !== undefined);
    assert.match(
      text,
      new RegExp(
        `\\n  frontend>catalog +${edge.calls} +${edge.answered} +${(edge.answeredShare * 100).toFixed(2)}%\\n`,
      ),
    );
  });

  test('an unbroken run says 100.00% and no breaks', () => {
    const planner = new TracePlanner({ seed: 1 });
    const tally = new TruthTally();
    for (let i = 0; i < 50; i++) tally.add(planner.next().truth);
    const text = formatTruthTable(tally.rates());
    assert.match(text, /50 complete = 100\.00% completeness/);
    assert.match(text, /no breaks injected/);
  });
});
