import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanKind } from '../../../model/span.ts';
import type { SpanDigest } from '../../span-digest.ts';
import { CalleeDirectory } from './callee-directory.ts';

const call: SpanDigest = {
  spanId: '0000000000000001',
  parentSpanId: '',
  service: 'frontend',
  nameHash: 0,
  kind: SpanKind.Client,
  startTime: 0,
  duration: 1,
  flags: 1,
  statusCode: 0,
  peerService: '',
  serverAddress: 'catalog',
  destination: '',
  linkedSpanIds: undefined,
};

test('a service is instrumented from its first SERVER span, before any of its traces is assembled', () => {
  const directory = new CalleeDirectory();
  assert.equal(directory.calleeOf(call), undefined, 'not judged while catalog is unknown');
  directory.markInstrumented('catalog');
  assert.equal(directory.calleeOf(call), 'catalog');
  assert.equal(directory.isCallee('catalog'), true, 'a judged call makes it a callee');
});
