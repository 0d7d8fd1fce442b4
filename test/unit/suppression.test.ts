import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSuppression, suppresses } from '../../src/core/suppression';
import { analyzePython } from '../../src/python/analyze';
import { loadParser, settings } from './helpers';

const rule = { code: 'AW201', name: 'blocking-call-in-async', aliases: ['ASYNC251'] };

describe('suppression comments', () => {
  it('parses every spelling', () => {
    const cases: [string, boolean][] = [
      ['# noqa', true],
      ['# noqa: AW201', true],
      ['# noqa:AW201,AW101', true],
      ['# NOQA: ASYNC251', true],
      ['# noqa: AW101', false],
      ['# asyncwise: ignore', true],
      ['# asyncwise: ignore[AW201]', true],
      ['# asyncwise: ignore[blocking-call-in-async]', true],
      ['# asyncwise: ignore[AW101]', false],
      ['# a normal comment', false],
    ];
    for (const [comment, expected] of cases) {
      const s = parseSuppression(comment);
      assert.equal(Boolean(s && suppresses(s, rule)), expected, comment);
    }
  });

  it('silences findings on their line only', async () => {
    const parser = await loadParser();
    const source = [
      'import time',
      'async def f():',
      '    time.sleep(1)  # noqa: ASYNC251',
      '    time.sleep(2)  # asyncwise: ignore[AW201]',
      '    time.sleep(3)  # noqa: AW101',
      '    time.sleep(4)',
      '    s = "# noqa"; time.sleep(5)',
      '',
    ].join('\n');
    const a = analyzePython(parser, source, settings());
    assert.deepEqual(a.findings.filter((f) => f.code === 'AW201').map((f) => f.startPosition.line + 1), [5, 6, 7]);
    a.dispose();
  });
});
