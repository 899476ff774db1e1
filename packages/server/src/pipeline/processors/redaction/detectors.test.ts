import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultConfig } from '../../../config/config.ts';
import { compileRedaction } from './compile-redaction.ts';
import { KeyKind } from './redaction-settings.ts';

/** `text` with every match of the detector replaced by `[X]`, through the real compiled rule. */
function redact(detector: string, text: string): string | null {
  const settings = compileRedaction({
    ...defaultConfig.pipeline.processors.redaction,
    rules: [{ values: [detector], action: 'replace', with: '[X]' }],
  });
  return settings.redactText(text, KeyKind.Plain);
}

/** [input, expected output] rows; an unchanged input is a negative case. */
type Row = [string, string];

function table(detector: string, positive: Row[], negative: string[]): void {
  describe(detector, () => {
    for (const [input, expected] of positive) {
      test(`finds: ${input}`, () => assert.equal(redact(detector, input), expected));
    }
    for (const input of negative) {
      test(`leaves: ${input}`, () => assert.equal(redact(detector, input), input));
    }
  });
}

table(
  'email',
  [
    ['alice@example.com', '[X]'],
    ['contact: Bob.Smith+news@mail.example.co.uk.', 'contact: [X].'],
    ['mailto:carol_99@sub-domain.example.org?subject=hi', 'mailto:[X]?subject=hi'],
    ['a@b.io and c@d.dev', '[X] and [X]'],
    ['"dave%ops@xn--bcher-kva.example"', '"[X]"'],
    // An '@' first and an address later (the old prefilter looked at the first '@' only).
    ['@oncall: erin@example.com', '@oncall: [X]'],
  ],
  [
    'lodash@4.17.21',
    '@scope/pkg@1.0.0',
    'root@localhost',
    '@alice',
    'alice@',
    'al..ice@example.com',
    'user@-bad-.com',
    'see docs at https://example.com/@handle',
    'alice.@example.com',
  ],
);

table(
  'credit_card',
  [
    ['4111111111111111', '[X]'],
    ['card 4111 1111 1111 1111 exp 12/29', 'card [X] exp 12/29'],
    ['5500-0000-0000-0004', '[X]'],
    ['amex=378282246310005;', 'amex=[X];'],
    ['3782 822463 10005', '[X]'],
    ['discover 6011111111111117', 'discover [X]'],
    ['jcb:3530111333300000', 'jcb:[X]'],
  ],
  [
    '4111111111111112', // Luhn fails
    '1700000000000000004', // a nanosecond timestamp that passes Luhn, no issuer starts with 1
    '0000000000000000',
    '4111 1111-1111 1111', // mixed separators
    '41111111111111110000', // 20 digits: part of a longer number
    'order 94111111111111111 shipped', // 17 digits inside a longer run
    'id=x4111111111111111',
    '4111111111111111abc',
    '550e8400-e29b-41d4-a716-446655440000',
    '4111 1111 1111 1111 2024', // a longer grouped run
    'phone +1 415 555 2671',
  ],
);

table(
  'phone',
  [
    ['+14155552671', '[X]'],
    ['call +1 (415) 555-2671 now', 'call [X] now'],
    ['+44 20 7946 0958', '[X]'],
    ['tel:+86 138 0013 8000', 'tel:[X]'],
    ['+49 (0)30 1234567', '[X]'],
    ['+33.1.23.45.67.89', '[X]'],
    ['(415) 555-2671', '[X]'],
    ['415-555-2671', '[X]'],
    ['office 415.555.2671, ext 3', 'office [X], ext 3'],
    ['1-800-555-0199', '[X]'],
  ],
  [
    '2024-01-15T10:30:00+08:00',
    '2024-01-15 10:30:00.123456',
    '1700000000000',
    'order 4155552671', // a bare run of digits is an id
    'v1.2.3.4567',
    '192.168.100.200',
    '+192.168.100.200',
    '+2024-01-15',
    '555-1234',
    '123-456-7890', // area code cannot start with 1
    '415-155-2671', // exchange cannot start with 1
    '415-911-2671', // N11 exchange
    '+1 123 456 7890',
    '+123',
    '+12345678901234567', // longer than E.164
    '123-45-6789', // SSN shape, not a phone
    '550e8400-e29b-41d4-a716-446655440000',
    'score +1500 pts',
    'trace 4bf92f3577b34da6a3ce929d0e0e4736',
  ],
);

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const UNSIGNED = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"1"}').toString('base64url')}.`;
const NO_ALG = `${Buffer.from('{"typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"1"}').toString('base64url')}.c2ln`;

table(
  'jwt',
  [
    [JWT, '[X]'],
    [`Bearer ${JWT}`, 'Bearer [X]'],
    [`token=${JWT}&x=1`, 'token=[X]&x=1'],
    [`unsigned ${UNSIGNED} ok`, 'unsigned [X] ok'],
  ],
  [
    NO_ALG, // header decodes, but has no alg
    'eyJub3QganNvbg.eyJzdWIiOiIxIn0.c2ln', // header is not JSON
    'eyJhbGciOiJIUzI1NiJ9.only-two-parts',
    'com.example.eyJavaClass.method',
    'a.b.c',
  ],
);

table(
  'cn_id_card',
  [
    ['11010519491231002X', '[X]'],
    ['身份证号 11010519491231002x 已验证', '身份证号 [X] 已验证'],
    ['id=310115198511024573;', 'id=[X];'],
    ['330106200002290045', '[X]'], // 29 Feb 2000 exists
  ],
  [
    '110105194912310021', // wrong check digit
    '11010519491231002Y',
    '990105194912310025', // no province 99
    '330106200102290048', // 29 Feb 2001 does not exist
    '440304199013071231', // month 13
    '510107209912310019', // born in the future
    '1101051949123100211', // 19 digits
    'x11010519491231002X',
  ],
);

table(
  'ipv4',
  [
    ['192.168.1.10', '[X]'],
    ['client 10.0.0.1:8080 connected', 'client [X]:8080 connected'],
    ['from=255.255.255.255.', 'from=[X].'],
    ['[203.0.113.7]', '[[X]]'],
  ],
  [
    '256.1.1.1',
    '1.2.3.4.5',
    'v10.0.0.1',
    '192.168.01.1',
    'Chrome/126.0.6478.126',
    '1.2.3',
    '2001:db8::1',
  ],
);
