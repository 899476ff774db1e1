import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultConfig, type RedactionConfig } from '../../../config/config.ts';
import { ConfigError } from '../../../errors.ts';
import { ValueType, type AnyValue, type Attribute, type Span } from '../../../model/span.ts';
import { makeResource, makeScope, makeSpan } from '../../../query/test-support/span-builders.ts';
import type { ProcessorCounters } from '../../processor.ts';
import {
  compileRedaction,
  redactionFactory,
  REDACTED_ATTRIBUTE,
  searchValueFor,
  type RedactionSettings,
} from './index.ts';

const HASH_KEY = 'test-hash-key-0123456789';

function settingsFor(overrides: Partial<RedactionConfig>): RedactionSettings {
  return compileRedaction({
    ...defaultConfig.pipeline.processors.redaction,
    rules: [],
    urlQuery: [],
    hashKey: HASH_KEY,
    ...overrides,
  });
}

function expectedHash(text: string): string {
  return `hmac:${createHmac('sha256', HASH_KEY).update(text).digest('base64url').slice(0, 22)}`;
}

/** Counts what the processor reports. */
class CountingCounters implements ProcessorCounters {
  changedCalls: number[] = [];
  droppedCalls: [string, number][] = [];
  changed(n: number): void {
    this.changedCalls.push(n);
  }
  dropped(reason: string, n: number): void {
    this.droppedCalls.push([reason, n]);
  }
}

function str(key: string, value: string): Attribute {
  return { key, type: ValueType.String, value };
}

function attr(span: Span, key: string): Attribute | undefined {
  return span.attributes.find((a) => a.key === key);
}

let nextId = 1;
function spanWith(attributes: Attribute[], extra: Partial<Span> = {}): Span {
  const id = (nextId++).toString(16).padStart(16, '0');
  return makeSpan({ traceId: id.padStart(32, '0'), spanId: id, attributes, ...extra });
}

/** Runs one span through a processor with these settings; returns it and the counters. */
function run(settings: RedactionSettings, span: Span): { span: Span; counters: CountingCounters } {
  const counters = new CountingCounters();
  const out = redactionFactory.create(settings).process([span], counters);
  assert.equal(out.length, 1);
  return { span: out[0], counters };
}

describe('redaction: key rules, per action', () => {
  const rows: {
    action: 'drop' | 'hash' | 'mask' | 'replace';
    input: AnyValue;
    expected: AnyValue | undefined;
  }[] = [
    { action: 'drop', input: { type: ValueType.String, value: 's3cret!' }, expected: undefined },
    {
      action: 'hash',
      input: { type: ValueType.String, value: 'alice@example.com' },
      expected: { type: ValueType.String, value: expectedHash('alice@example.com') },
    },
    {
      action: 'hash',
      input: { type: ValueType.Int, value: 4242 },
      expected: { type: ValueType.String, value: expectedHash('4242') },
    },
    {
      action: 'mask',
      input: { type: ValueType.String, value: 'tok_abcdef123456' },
      expected: { type: ValueType.String, value: '****3456' },
    },
    {
      action: 'mask',
      input: { type: ValueType.String, value: 'short' },
      expected: { type: ValueType.String, value: '****' },
    },
    {
      action: 'replace',
      input: { type: ValueType.String, value: 'Basic dXNlcjpwYXNz' },
      expected: { type: ValueType.String, value: '[redacted]' },
    },
    {
      action: 'mask',
      input: {
        type: ValueType.Array,
        value: [
          { type: ValueType.String, value: 'Bearer abcdefgh' },
          { type: ValueType.String, value: 'x' },
        ],
      },
      expected: {
        type: ValueType.Array,
        value: [
          { type: ValueType.String, value: '****efgh' },
          { type: ValueType.String, value: '****' },
        ],
      },
    },
  ];
  for (const row of rows) {
    test(`${row.action} ${JSON.stringify(row.input.value)}`, () => {
      const settings = settingsFor({
        rules: [
          {
            keys: ['*.password', 'http.request.header.authorization', 'enduser.id'],
            action: row.action,
            ...(row.action === 'replace' ? { with: '[redacted]' } : {}),
          },
        ],
      });
      const before = { key: 'HTTP.Request.Header.Authorization', ...row.input } as Attribute;
      const { span, counters } = run(settings, spanWith([before, str('http.route', '/login')]));
      const after = attr(span, 'HTTP.Request.Header.Authorization');
      if (row.expected === undefined) assert.equal(after, undefined);
      else assert.deepEqual(after, { key: 'HTTP.Request.Header.Authorization', ...row.expected });
      assert.deepEqual(attr(span, 'http.route'), str('http.route', '/login'), 'others untouched');
      assert.deepEqual(attr(span, REDACTED_ATTRIBUTE), {
        key: REDACTED_ATTRIBUTE,
        type: ValueType.Int,
        value: 1,
      });
      assert.deepEqual(counters.changedCalls, [1]);
    });
  }

  test('globs match any run of characters, case-insensitively; the first matching rule decides', () => {
    const settings = settingsFor({
      rules: [
        { keys: ['user.email'], action: 'hash' },
        { keys: ['*.password', 'http.request.header.*'], action: 'drop' },
        { keys: ['user.*'], action: 'replace', with: 'X' },
      ],
    });
    const { span } = run(
      settings,
      spanWith([
        str('db.Password', 'a'),
        str('http.request.header.x-api-key', 'b'),
        str('user.email', 'c@d.io'),
        str('user.name', 'e'),
        str('password', 'f'), // `*.password` needs the dot
        str('user_email', 'g'),
      ]),
    );
    assert.deepEqual(
      span.attributes.map((a) => [a.key, a.value]),
      [
        ['user.email', expectedHash('c@d.io')],
        ['user.name', 'X'],
        ['password', 'f'],
        ['user_email', 'g'],
        [REDACTED_ATTRIBUTE, 4],
      ],
    );
  });

  test('keys inside kvlists are matched by their dotted path', () => {
    const settings = settingsFor({ rules: [{ keys: ['*.password'], action: 'drop' }] });
    const { span } = run(
      settings,
      spanWith([
        {
          key: 'request',
          type: ValueType.KvList,
          value: [str('user', 'bob'), str('password', 'hunter2')],
        },
      ]),
    );
    assert.deepEqual(span.attributes[0], {
      key: 'request',
      type: ValueType.KvList,
      value: [str('user', 'bob')],
    });
    assert.equal(attr(span, REDACTED_ATTRIBUTE)?.value, 1);
  });
});

describe('redaction: value rules, per action', () => {
  const text = 'order by alice@example.com paid with 4111 1111 1111 1111';
  const rows: { action: 'drop' | 'hash' | 'mask' | 'replace'; expected: string | undefined }[] = [
    { action: 'drop', expected: undefined },
    {
      action: 'hash',
      expected: `order by ${expectedHash('alice@example.com')} paid with ${expectedHash('4111 1111 1111 1111')}`,
    },
    { action: 'mask', expected: 'order by ****.com paid with ****1111' },
    { action: 'replace', expected: 'order by <pii> paid with <pii>' },
  ];
  for (const row of rows) {
    test(`${row.action}: only the matched parts change`, () => {
      const settings = settingsFor({
        rules: [
          {
            values: ['email', 'credit_card'],
            action: row.action,
            ...(row.action === 'replace' ? { with: '<pii>' } : {}),
          },
        ],
      });
      const { span } = run(settings, spanWith([str('note', text), str('plain', 'nothing here')]));
      assert.equal(attr(span, 'note')?.value, row.expected);
      assert.equal(attr(span, 'plain')?.value, 'nothing here');
      assert.equal(attr(span, REDACTED_ATTRIBUTE)?.value, 1);
    });
  }

  test('user regexes, in rule order after earlier rules', () => {
    const settings = settingsFor({
      rules: [
        { values: ['secret-[0-9a-f]{16}'], action: 'replace', with: '[redacted]' },
        { values: ['(?i)internal-only'], action: 'mask' },
      ],
    });
    const { span } = run(
      settings,
      spanWith([str('msg', 'key secret-0123456789abcdef and INTERNAL-ONLY note')]),
    );
    assert.equal(attr(span, 'msg')?.value, 'key [redacted] and ****ONLY note');
  });

  test('cover event names and attributes (exception.message, exception.stacktrace), link, scope and resource attributes, span name and status message, arrays and big ints', () => {
    const settings = settingsFor({ rules: [{ values: ['email', 'credit_card'], action: 'mask' }] });
    const resource = makeResource('shop', [str('owner', 'ops@example.com')]);
    const scope = makeScope();
    scope.attributes.push(str('contact', 'lib@example.com'));
    const span = spanWith(
      [
        {
          key: 'emails',
          type: ValueType.Array,
          value: [
            { type: ValueType.String, value: 'x@example.com' },
            { type: ValueType.Int, value: 3 },
          ],
        },
        { key: 'card.number', type: ValueType.Int, value: 4111111111111111 },
      ],
      {
        name: 'notify bob@example.com',
        statusMessage: 'failed for bob@example.com',
        resource,
        scope,
        events: [
          {
            time: 1,
            name: 'mail to eve@example.com',
            attributes: [
              str('exception.message', 'invalid address eve@example.com'),
              str('exception.stacktrace', 'Error: eve@example.com\n  at send (mail.js:1:1)'),
            ],
            droppedAttributesCount: 0,
          },
        ],
        links: [
          {
            traceId: 'a'.repeat(32),
            spanId: 'b'.repeat(16),
            traceState: '',
            attributes: [str('from', 'link@example.com')],
            droppedAttributesCount: 0,
            flags: 0,
          },
        ],
      },
    );
    run(settings, span);
    assert.deepEqual(span.attributes[0].value, [
      { type: ValueType.String, value: '****.com' },
      { type: ValueType.Int, value: 3 },
    ]);
    assert.deepEqual(span.attributes[1], str('card.number', '****1111'));
    assert.equal(span.name, 'notify ****.com');
    assert.equal(span.statusMessage, 'failed for ****.com');
    assert.equal(span.events[0].name, 'mail to ****.com');
    assert.deepEqual(
      span.events[0].attributes.map((a) => a.value),
      ['invalid address ****.com', 'Error: ****.com\n  at send (mail.js:1:1)'],
    );
    assert.equal(span.links[0].attributes[0].value, '****.com');
    assert.equal(resource.attributes[1].value, '****.com');
    assert.equal(scope.attributes[0].value, '****.com');
    // 2 span attributes + name + status + event name + 2 event attributes + link + resource + scope
    assert.equal(attr(span, REDACTED_ATTRIBUTE)?.value, 10);
  });

  test('a drop value rule removes the attribute, and only the matched text of a name', () => {
    const settings = settingsFor({ rules: [{ values: ['email'], action: 'drop' }] });
    const { span } = run(
      settings,
      spanWith([str('to', 'a@example.com'), str('n', '1')], { name: 'send a@example.com now' }),
    );
    assert.deepEqual(
      span.attributes.map((a) => a.key),
      ['n', REDACTED_ATTRIBUTE],
    );
    assert.equal(span.name, 'send  now');
  });
});

describe('redaction: SQL literals', () => {
  const rows: [string, string][] = [
    [
      "SELECT * FROM users WHERE email = 'alice@example.com' AND id = 42",
      'SELECT * FROM users WHERE email = ? AND id = ?',
    ],
    ["UPDATE t SET note = 'it''s ok', n = -1.5e3", 'UPDATE t SET note = ?, n = -?'],
    ["SELECT 'a\\'b' , x FROM t2", 'SELECT ? , x FROM t2'],
    [
      'SELECT "col1", `col2`, [col3] FROM table1 t1 WHERE t1.col4 IN (1, 2, 0x1F)',
      'SELECT "col1", `col2`, [col3] FROM table1 t1 WHERE t1.col4 IN (?, ?, ?)',
    ],
    [
      'SELECT * FROM t WHERE a = $1 AND b = :2 AND c = @p3 AND d = ? AND e = ?4',
      'SELECT * FROM t WHERE a = $1 AND b = :2 AND c = @p3 AND d = ? AND e = ?4',
    ],
    [
      "INSERT INTO t VALUES (N'ünïcode', E'esc\\n', $$dollar 'quoted'$$, $tag$x$tag$)",
      'INSERT INTO t VALUES (?, ?, ?, ?)',
    ],
    [
      "SELECT 1 /* traceparent='00-abc-01' */ -- it's a comment\nFROM dual",
      "SELECT ? /* traceparent='00-abc-01' */ -- it's a comment\nFROM dual",
    ],
    ['SELECT .5, 3.', 'SELECT ?, ?'],
    ["SELECT 'unterminated", 'SELECT ?'],
    ['SELECT name FROM users', 'SELECT name FROM users'],
  ];
  const settings = settingsFor({ sqlLiterals: true });
  for (const [input, expected] of rows) {
    test(input, () => {
      const { span } = run(
        settings,
        spanWith([str('db.query.text', input), str('other', "'x' 1")]),
      );
      assert.equal(attr(span, 'db.query.text')?.value, expected);
      assert.equal(attr(span, 'other')?.value, "'x' 1", 'only SQL attributes');
      assert.equal(attr(span, REDACTED_ATTRIBUTE)?.value, input === expected ? undefined : 1);
    });
  }
  test('db.statement too, and not when sqlLiterals is off', () => {
    assert.equal(
      run(settings, spanWith([str('db.statement', 'SELECT 1')])).span.attributes[0].value,
      'SELECT ?',
    );
    const off = settingsFor({ sqlLiterals: false, spanNames: true });
    assert.equal(
      run(off, spanWith([str('db.statement', 'SELECT 1')])).span.attributes[0].value,
      'SELECT 1',
    );
  });
});

describe('redaction: URL query parameters', () => {
  const settings = settingsFor({ urlQuery: ['token', 'API_KEY'] });
  const rows: [string, string, string][] = [
    ['url.full', 'https://x.io/a?token=abc&b=1', 'https://x.io/a?token=***&b=1'],
    [
      'http.url',
      'https://x.io/a?b=1&api_key=k1#frag?token=z',
      'https://x.io/a?b=1&api_key=***#frag?token=z',
    ],
    ['http.target', '/search?q=shoes&Token=t&token=', '/search?q=shoes&Token=***&token='],
    ['url.query', 'api%5Fkey=k&x=y', 'api%5Fkey=***&x=y'],
    ['url.original', 'https://bob:hunter2@x.io/?tokens=1', 'https://bob:***@x.io/?tokens=1'],
    ['url.full', 'https://x.io/path', 'https://x.io/path'],
    ['url.path', '/a?token=abc', '/a?token=abc'],
  ];
  for (const [key, input, expected] of rows) {
    test(`${key} ${input}`, () => {
      const { span } = run(settings, spanWith([str(key, input)]));
      assert.equal(attr(span, key)?.value, expected);
    });
  }
});

describe('redaction: span names (opt-in)', () => {
  const rows: [string, string][] = [
    ['GET /users/12345', 'GET /users/{id}'],
    ['/orders/550e8400-e29b-41d4-a716-446655440000/items/7', '/orders/{id}/items/{id}'],
    ['GET /commits/9fceb02d0ae598e95dc970b74767f19372d61af8?x=1', 'GET /commits/{id}?x=1'],
    ['GET /api/v2/users', 'GET /api/v2/users'],
    ['GET /files/report-2024.pdf', 'GET /files/report-2024.pdf'],
    ['SELECT orders 3', 'SELECT orders 3'],
  ];
  const settings = settingsFor({ spanNames: true });
  for (const [input, expected] of rows) {
    test(input, () =>
      assert.equal(run(settings, spanWith([], { name: input })).span.name, expected),
    );
  }
  test('off by default', () => {
    const off = settingsFor({ sqlLiterals: true });
    assert.equal(run(off, spanWith([], { name: 'GET /users/1' })).span.name, 'GET /users/1');
  });
});

describe('redaction: counting, shared objects, hot update', () => {
  test('a batch reports the spans changed once; untouched spans get no skein.redacted', () => {
    const settings = settingsFor({ rules: [{ keys: ['secret'], action: 'drop' }] });
    const processor = redactionFactory.create(settings);
    const spans = [
      spanWith([str('secret', 'x'), str('a', 'b')]),
      spanWith([str('a', 'b')]),
      spanWith([str('secret', 'y')]),
    ];
    const counters = new CountingCounters();
    assert.equal(processor.process(spans, counters), spans);
    assert.deepEqual(counters.changedCalls, [2]);
    assert.deepEqual(spans[1].attributes, [str('a', 'b')]);
    assert.equal(attr(spans[2], REDACTED_ATTRIBUTE)?.value, 1);
    const clean = new CountingCounters();
    processor.process([spanWith([str('a', 'b')])], clean);
    assert.deepEqual(clean.changedCalls, [], 'nothing reported when nothing changed');
  });

  test('a shared resource is redacted once, hashed once, and counted on each of its spans', () => {
    const settings = settingsFor({ rules: [{ keys: ['host.owner'], action: 'hash' }] });
    const resource = makeResource('shop', [str('host.owner', 'ops@example.com')]);
    const processor = redactionFactory.create(settings);
    const spans = [spanWith([], { resource }), spanWith([], { resource })];
    const counters = new CountingCounters();
    processor.process(spans, counters);
    const hashed = expectedHash('ops@example.com');
    assert.equal(resource.attributes[1].value, hashed);
    // The same resource object again in a later batch is not hashed a second time.
    const later = spanWith([], { resource });
    processor.process([later], counters);
    assert.equal(resource.attributes[1].value, hashed);
    for (const span of [...spans, later]) assert.equal(attr(span, REDACTED_ATTRIBUTE)?.value, 1);
    assert.deepEqual(counters.changedCalls, [2, 1]);
  });

  test('a changed service.name attribute is reflected in resource.serviceName', () => {
    const settings = settingsFor({ rules: [{ values: ['ipv4'], action: 'replace', with: 'ip' }] });
    const resource = makeResource('worker-10.0.0.1');
    run(settings, spanWith([], { resource }));
    assert.equal(resource.serviceName, 'worker-ip');
  });

  test("the tenant is never an attribute: each tenant's resource keeps its tenant, even with every attribute dropped", () => {
    const settings = settingsFor({
      rules: [
        { keys: ['host.owner'], action: 'hash' },
        { keys: ['*'], action: 'drop' },
      ],
    });
    const processor = redactionFactory.create(settings);
    const plain = makeResource('shop', [str('host.owner', 'ops@example.com')]);
    const acme = {
      ...makeResource('shop', [str('host.owner', 'ops@example.com')]),
      tenant: 'acme',
    };
    const spans = [
      spanWith([str('x', 'y')], { resource: plain }),
      spanWith([], { resource: acme }),
    ];
    processor.process(spans, new CountingCounters());
    assert.deepEqual(
      spans.map((s) => [s.resource.tenant, s.resource.attributes.map((a) => [a.key, a.value])]),
      [
        ['', [['host.owner', expectedHash('ops@example.com')]]],
        ['acme', [['host.owner', expectedHash('ops@example.com')]]],
      ],
    );
    assert.equal(acme.serviceName, 'unknown_service', 'service.name was dropped');
  });

  test('decisions and clean values remembered per position never hide a secret', () => {
    const settings = settingsFor({
      rules: [
        { keys: ['token'], action: 'drop' },
        { values: ['email'], action: 'mask' },
      ],
    });
    const spans = [
      spanWith([str('a', 'hello'), str('b', 'plain text')]),
      spanWith([str('a', 'hello'), str('b', 'to x@example.com')]),
      spanWith([str('token', 'hello'), str('b', 'plain text')]),
      spanWith([str('a', 'hello'), str('b', 'plain text')]),
      spanWith([str('a', 'y@example.com'), str('b', 'plain text')]),
    ];
    const counters = new CountingCounters();
    redactionFactory.create(settings).process(spans, counters);
    assert.deepEqual(
      spans.map((s) => s.attributes.map((a) => `${a.key}=${String(a.value)}`).join(' ')),
      [
        'a=hello b=plain text',
        'a=hello b=to ****.com skein.redacted=1',
        'b=plain text skein.redacted=1',
        'a=hello b=plain text',
        'a=****.com b=plain text skein.redacted=1',
      ],
    );
    assert.deepEqual(counters.changedCalls, [3]);
  });

  test('remembered clean values are per key: the same text under a SQL or URL key is still rewritten', () => {
    const settings = settingsFor({
      rules: [{ values: ['email'], action: 'mask' }],
      sqlLiterals: true,
      urlQuery: ['token'],
    });
    const sql = 'SELECT * FROM t WHERE id = 5';
    const url = 'https://x.test/a?token=abc';
    const spans = [
      spanWith([str('note', sql), str('link', url)]),
      spanWith([str('note', sql), str('link', url)]),
      spanWith([str('db.statement', sql), str('url.full', url)]),
      // Shorter than any value rule's match, but the SQL and URL rules still apply.
      spanWith([str('db.statement', 'id = 5'), str('url.query', 'token=1')]),
    ];
    redactionFactory.create(settings).process(spans, new CountingCounters());
    assert.deepEqual(
      spans.map((s) => s.attributes.map((a) => String(a.value)).join(' | ')),
      [
        `${sql} | ${url}`,
        `${sql} | ${url}`,
        'SELECT * FROM t WHERE id = ? | https://x.test/a?token=*** | 2',
        'id = ? | token=*** | 2',
      ],
    );
  });

  test('many values cycling through one position: a secret among them is always found', () => {
    const settings = settingsFor({ rules: [{ values: ['email', 'credit_card'], action: 'mask' }] });
    const clean = ['GET /a/one', 'GET /a/two', 'GET /a/three', 'GET /a/four', 'GET /a/five'];
    const spans: Span[] = [];
    for (let round = 0; round < 4; round++) {
      for (const value of clean) spans.push(spanWith([str('route', value)], { name: value }));
      spans.push(
        spanWith([str('route', `mail ops${round}@example.com`)], {
          name: 'pay 4111 1111 1111 1111',
        }),
      );
    }
    redactionFactory.create(settings).process(spans, new CountingCounters());
    for (let i = 0; i < spans.length; i++) {
      const route = String(spans[i].attributes[0].value);
      if (i % 6 === 5) {
        assert.match(route, /^mail \*\*\*\*\.com$/);
        assert.equal(spans[i].name, 'pay ****1111');
      } else {
        assert.equal(route, clean[i % 6]);
        assert.equal(spans[i].name, clean[i % 6]);
      }
    }
  });

  test('a secret span name like a remembered clean one (same length and characters at the looked-up places) is found', () => {
    const settings = settingsFor({ rules: [{ values: ['email'], action: 'mask' }] });
    const spans = [
      // The two names share a slot of the remembered names' index.
      spanWith([], { name: 'aoeabtcd io' }),
      spanWith([], { name: 'to ab@cd.io' }),
      spanWith([], { name: 'aoeabtcd io' }),
    ];
    redactionFactory.create(settings).process(spans, new CountingCounters());
    assert.deepEqual(
      spans.map((s) => s.name),
      ['aoeabtcd io', 'to ****d.io', 'aoeabtcd io'],
    );
  });

  test('a position whose values never repeat stops remembering them, and still finds secrets', () => {
    const settings = settingsFor({ rules: [{ values: ['email'], action: 'mask' }] });
    const spans: Span[] = [];
    for (let i = 0; i < 300; i++) {
      const value = i % 50 === 49 ? `to u${i}@example.com` : `/orders/${1000 + i}/items`;
      spans.push(spanWith([str('method', 'GET /x'), str('path', value)]));
    }
    const counters = new CountingCounters();
    redactionFactory.create(settings).process(spans, counters);
    for (let i = 0; i < spans.length; i++) {
      const path = String(spans[i].attributes[1].value);
      if (i % 50 === 49) assert.match(path, /^to \*\*\*\*\.com$/, `span ${i}`);
      else assert.equal(path, `/orders/${1000 + i}/items`);
      assert.equal(spans[i].attributes[0].value, 'GET /x');
    }
    assert.deepEqual(counters.changedCalls, [6]);
  });

  test('event names and attributes and status messages remembered clean never hide a secret', () => {
    const settings = settingsFor({
      rules: [
        { keys: ['exception.stacktrace'], action: 'drop' },
        { values: ['email'], action: 'mask' },
      ],
    });
    const event = (message: string, stack: string) => ({
      time: 1,
      name: 'exception',
      attributes: [str('exception.message', message), str('exception.stacktrace', stack)],
      droppedAttributesCount: 0,
    });
    const spans: Span[] = [];
    for (let i = 0; i < 6; i++) {
      const secret = i % 3 === 2;
      const text = secret ? `no account for u${i}@example.com` : 'upstream timed out';
      spans.push(spanWith([], { statusMessage: text, events: [event(text, text)] }));
    }
    redactionFactory.create(settings).process(spans, new CountingCounters());
    for (let i = 0; i < spans.length; i++) {
      const expected = i % 3 === 2 ? 'no account for ****.com' : 'upstream timed out';
      assert.equal(spans[i].statusMessage, expected, `status ${i}`);
      assert.deepEqual(
        spans[i].events[0].attributes.map((a) => [a.key, a.value]),
        [['exception.message', expected]],
        `event ${i}: the stacktrace key rule applies even to a text remembered clean`,
      );
    }
  });

  test('hashes remembered for repeated values are the HMAC of each value under the current key', () => {
    const rules: RedactionConfig['rules'] = [{ keys: ['enduser.id'], action: 'hash' }];
    const processor = redactionFactory.create(settingsFor({ rules }));
    const ids = ['u1', 'u2', 'u1', 'u3', 'u2', 'u1'];
    const spans = ids.map((id) => spanWith([str('enduser.id', id)]));
    processor.process(spans, new CountingCounters());
    assert.deepEqual(
      spans.map((s) => attr(s, 'enduser.id')?.value),
      ids.map((id) => expectedHash(id)),
    );
    processor.update(settingsFor({ rules, hashKey: 'another-key-0123456789abcdef' }));
    const later = spanWith([str('enduser.id', 'u1')]);
    processor.process([later], new CountingCounters());
    assert.equal(
      attr(later, 'enduser.id')?.value,
      `hmac:${createHmac('sha256', 'another-key-0123456789abcdef').update('u1').digest('base64url').slice(0, 22)}`,
      'a new key hashes anew',
    );
  });

  test('span names remembered clean are checked again under new rules', () => {
    const processor = redactionFactory.create(
      settingsFor({ rules: [{ values: ['email'], action: 'mask' }] }),
    );
    const first = spanWith([], { name: 'GET /orders/secret-0123456789abcdef' });
    processor.process([first], new CountingCounters());
    assert.equal(first.name, 'GET /orders/secret-0123456789abcdef');
    processor.update(
      settingsFor({ rules: [{ values: ['secret-[0-9a-f]{16}'], action: 'replace', with: 'X' }] }),
    );
    const second = spanWith([], { name: 'GET /orders/secret-0123456789abcdef' });
    processor.process([second], new CountingCounters());
    assert.equal(second.name, 'GET /orders/X');
  });

  test('update swaps the rules between batches', () => {
    const processor = redactionFactory.create(
      settingsFor({ rules: [{ keys: ['a'], action: 'drop' }] }),
    );
    const counters = new CountingCounters();
    const first = spanWith([str('a', '1'), str('b', '2')]);
    processor.process([first], counters);
    processor.update(settingsFor({ rules: [{ keys: ['b'], action: 'replace', with: 'B' }] }));
    const second = spanWith([str('a', '1'), str('b', '2')]);
    processor.process([second], counters);
    assert.deepEqual(
      first.attributes.map((a) => [a.key, a.value]),
      [
        ['b', '2'],
        [REDACTED_ATTRIBUTE, 1],
      ],
    );
    assert.deepEqual(
      second.attributes.map((a) => [a.key, a.value]),
      [
        ['a', '1'],
        ['b', 'B'],
        [REDACTED_ATTRIBUTE, 1],
      ],
    );
    processor.update(settingsFor({ enabled: false, rules: [{ keys: ['a'], action: 'drop' }] }));
    const third = spanWith([str('a', '1')]);
    processor.process([third], counters);
    assert.deepEqual(third.attributes, [str('a', '1')], 'disabled: nothing changes');
  });

  test('the default rules drop credentials, mask cards and JWTs, mask URL tokens', () => {
    const settings = redactionFactory.compile(defaultConfig);
    const { span } = run(
      settings,
      spanWith([
        str('http.request.header.authorization', 'Bearer x'),
        str('db.password', 'p'),
        str('app.client_secret', 's'),
        str('http.url', 'https://x.io/cb?code=1&access_token=abc'),
        str('note', 'card 4111111111111111'),
        str('user.email', 'alice@example.com'),
      ]),
    );
    assert.deepEqual(
      span.attributes.map((a) => [a.key, a.value]),
      [
        ['http.url', 'https://x.io/cb?code=1&access_token=***'],
        ['note', 'card ****1111'],
        ['user.email', 'alice@example.com'],
        [REDACTED_ATTRIBUTE, 5],
      ],
    );
  });
});

describe('redaction: compile refuses bad rules, naming the key', () => {
  const rows: [string, Partial<RedactionConfig>, RegExp][] = [
    [
      'unknown action',
      {
        rules: [
          { keys: ['a'], action: 'drop' },
          { keys: ['b'], action: 'erase' as 'drop' },
        ],
      },
      /pipeline\.processors\.redaction\.rules\[1\]\.action: must be one of drop, hash, mask, replace, got "erase"/,
    ],
    [
      'replace without with',
      { rules: [{ keys: ['a'], action: 'replace' }] },
      /rules\[0\]\.with: action: replace needs/,
    ],
    [
      'with on another action',
      { rules: [{ keys: ['a'], action: 'mask', with: 'x' }] },
      /rules\[0\]\.with: is only used by action: replace/,
    ],
    [
      'bad regex',
      { rules: [{ values: ['email', 'secret-[0-9'], action: 'mask' }] },
      /rules\[0\]\.values\[1\]: is neither a detector .* nor a valid regular expression/,
    ],
    [
      'misspelt detector',
      { rules: [{ values: ['credit-card'], action: 'mask' }] },
      /rules\[0\]\.values\[0\]: "credit-card" is not a detector \(detectors: email, credit_card, phone, jwt, cn_id_card, ipv4\)/,
    ],
    [
      'regex matching empty text',
      { rules: [{ values: ['x*'], action: 'mask' }] },
      /rules\[0\]\.values\[0\]: the regular expression "x\*" matches empty text/,
    ],
    [
      'keys and values together',
      { rules: [{ keys: ['a'], values: ['email'], action: 'mask' }] },
      /rules\[0\]: needs either "keys" .* or "values"/,
    ],
    [
      'empty keys',
      { rules: [{ keys: [], action: 'drop' }] },
      /rules\[0\]\.keys: must be a non-empty list of strings/,
    ],
    [
      'unknown field',
      { rules: [{ keys: ['a'], action: 'drop', when: 'x' } as never] },
      /rules\[0\]\.when: unknown field/,
    ],
    [
      'hash without a key',
      {
        rules: [
          { keys: ['a'], action: 'drop' },
          { keys: ['b'], action: 'hash' },
        ],
        hashKey: '',
      },
      /pipeline\.processors\.redaction\.hashKey: rules\[1\] uses action: hash, which needs a secret key of at least 16 characters/,
    ],
  ];
  for (const [name, overrides, message] of rows) {
    test(name, () => {
      assert.throws(
        () => settingsFor(overrides),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }

  test('through the factory, from a whole config', () => {
    const config = structuredClone(defaultConfig);
    config.pipeline.processors.redaction.rules = [{ keys: ['a'], action: 'hash' }];
    assert.throws(() => redactionFactory.compile(config), /hashKey/);
    config.pipeline.processors.redaction.hashKey = HASH_KEY;
    assert.equal(redactionFactory.compile(config).keyRules.length, 1);
  });
});

describe('searchValueFor', () => {
  const settings = settingsFor({
    rules: [
      { keys: ['user.email', 'enduser.*'], action: 'hash' },
      { keys: ['card'], action: 'mask' },
      { values: ['email'], action: 'hash' },
    ],
    urlQuery: ['token'],
  });

  test('hashes the value of a key a hash rule covers, as ingest stored it', () => {
    const span = spanWith([str('user.email', 'alice@example.com'), str('enduser.id', '42')]);
    run(settings, span);
    assert.equal(
      searchValueFor(settings, 'user.email', 'alice@example.com'),
      attr(span, 'user.email')?.value,
    );
    assert.equal(searchValueFor(settings, 'ENDUSER.ID', '42'), expectedHash('42'));
  });

  test('hashes the parts a hash value rule finds, as ingest stored them', () => {
    const span = spanWith([
      str('mail.to', 'alice@example.com'),
      str('url.full', 'https://x.io/?token=t&u=bob@example.com'),
    ]);
    run(settings, span);
    assert.equal(
      searchValueFor(settings, 'mail.to', 'alice@example.com'),
      expectedHash('alice@example.com'),
    );
    assert.equal(
      searchValueFor(settings, 'url.full', 'https://x.io/?token=t&u=bob@example.com'),
      attr(span, 'url.full')?.value,
    );
  });

  test('leaves values no hash rule covers unchanged', () => {
    assert.equal(searchValueFor(settings, 'card', '4111111111111111'), '4111111111111111');
    assert.equal(searchValueFor(settings, 'http.route', '/x'), '/x');
    assert.equal(
      searchValueFor(settings, 'url.full', 'https://x.io/?token=t'),
      'https://x.io/?token=t',
    );
    const off = settingsFor({ enabled: false, rules: [{ keys: ['user.email'], action: 'hash' }] });
    assert.equal(searchValueFor(off, 'user.email', 'a@b.io'), 'a@b.io');
  });
});
