import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom, planTrace, plannedServices } from './trace-plan.ts';

describe('planTrace', () => {
  test('the same seed plans the same traces', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    for (let i = 0; i < 20; i++) assert.deepEqual(planTrace(a), planTrace(b));
  });

  test('every span but the root has an earlier parent, and children start within their parent', () => {
    const random = createRandom(1);
    for (let i = 0; i < 500; i++) {
      const plan = planTrace(random);
      assert.equal(plan[0].parent, -1);
      for (let j = 1; j < plan.length; j++) {
        const span = plan[j];
        assert.ok(span.parent >= 0 && span.parent < j, `span ${j} parent ${span.parent}`);
        assert.ok(span.duration > 0, `span ${j} has a duration`);
        const parent = plan[span.parent];
        assert.ok(span.start >= parent.start, `span ${j} starts after its parent`);
        if (parent.kind !== 'producer') {
          assert.ok(
            span.start + span.duration <= parent.start + parent.duration,
            `span ${j} (${span.name}) ends within ${parent.name}`,
          );
        }
      }
    }
  });

  test('traces cross several services, vary in size, and some carry errors', () => {
    const random = createRandom(3);
    const services = new Set<string>();
    const sizes = new Set<number>();
    let errors = 0;
    for (let i = 0; i < 1000; i++) {
      const plan = planTrace(random);
      sizes.add(plan.length);
      for (const s of plan) {
        services.add(s.service);
        if (s.error !== null) errors++;
      }
    }
    assert.ok(services.size >= 7, `services: ${[...services].join(',')}`);
    assert.ok(sizes.size >= 5, `sizes: ${[...sizes].join(',')}`);
    assert.ok(errors > 10 && errors < 2000, `errors: ${errors}`);
    for (const s of services) assert.ok(plannedServices().includes(s));
  });
});
