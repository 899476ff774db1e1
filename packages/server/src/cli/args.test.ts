import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArgs } from './args.ts';

describe('parseArgs', () => {
  test('defaults to the all-in-one role', () => {
    assert.deepEqual(parseArgs([]), { command: 'all', configFile: undefined, options: {} });
  });

  test('reads the command, the config file and settings in both spellings', () => {
    assert.deepEqual(
      parseArgs(['query', '--config', 'skein.yaml', '--query.port=1', '--admin.port', '2']),
      {
        command: 'query',
        configFile: 'skein.yaml',
        options: { 'query.port': '1', 'admin.port': '2' },
      },
    );
  });

  test("tracegen's --break and --skew may repeat; their values join with commas", () => {
    assert.deepEqual(
      parseArgs(['tracegen', '--break', 'late=0.1', '--break=split:a>b=0.2', '--skew', 'a=5'])
        .options,
      { break: 'late=0.1,split:a>b=0.2', skew: 'a=5' },
    );
    assert.deepEqual(parseArgs(['--x=1', '--x=2']).options, { x: '2' });
  });

  test('help and version win wherever they stand', () => {
    assert.equal(parseArgs(['collector', '--help']).command, 'help');
    assert.equal(parseArgs(['-v']).command, 'version');
  });

  test('bad command lines say what is wrong', () => {
    assert.throws(() => parseArgs(['serve']), /unknown command "serve"/);
    assert.throws(() => parseArgs(['all', 'extra']), /unexpected argument "extra"/);
    assert.throws(() => parseArgs(['--query.port']), /--query.port needs a value/);
  });
});
