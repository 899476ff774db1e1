import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTenantName } from '../../security/security-settings.ts';
import { OTHER_TENANTS_LABEL, TenantLabels } from './tenant-labels.ts';

test('the first tenants keep their own label; later ones share "(other)", which no tenant can be named', () => {
  const labels = new TenantLabels(2);
  assert.equal(labels.of(''), '');
  assert.equal(labels.of('acme'), 'acme');
  assert.equal(labels.of('globex'), OTHER_TENANTS_LABEL);
  assert.equal(labels.of('acme'), 'acme');
  assert.equal(labels.of(''), '');
  assert.equal(isTenantName(OTHER_TENANTS_LABEL), false);
});
