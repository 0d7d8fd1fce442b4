import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { DEFAULT_SETTINGS, effectiveSeverity, parsePythonVersion, parseSettings } from '../../src/core/settings';

function parse(input: unknown) {
  const warnings: string[] = [];
  const s = parseSettings(input, CATALOG, (w) => warnings.push(w));
  return { s, warnings };
}

const AW301 = CATALOG.find((r) => r.code === 'AW301')!;

describe('settings', () => {
  it('defaults when nothing is given', () => {
    assert.equal(parse(undefined).s, DEFAULT_SETTINGS);
    assert.deepEqual(parse({}).s.python.targetVersion, [3, 9]);
    assert.equal(effectiveSeverity(parse({}).s, AW301, 'python'), 'warning');
  });

  it('overrides severity by code or by name', () => {
    assert.equal(effectiveSeverity(parse({ rules: { AW301: 'error' } }).s, AW301, 'python'), 'error');
    assert.equal(effectiveSeverity(parse({ rules: { 'unawaited-coroutine': 'off' } }).s, AW301, 'python'), 'off');
    assert.equal(effectiveSeverity(parse({ rules: { aw301: 'hint' } }).s, AW301, 'python'), 'hint');
  });

  it('reports bad values and keeps the defaults', () => {
    const { s, warnings } = parse({ enable: 'yes', rules: { AW999: 'error', AW301: 'loud' }, python: { targetVersion: '2.7' } });
    assert.equal(s.enable, true);
    assert.equal(effectiveSeverity(s, AW301, 'python'), 'warning');
    assert.deepEqual(s.python.targetVersion, [3, 9]);
    assert.equal(warnings.length, 4, warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes('AW999')));
    assert.ok(warnings.some((w) => w.includes('"loud"')));
  });

  it('never throws on garbage', () => {
    for (const junk of [42, 'x', [], { rules: [] }, { python: 5 }, { rules: { AW301: null } }, { select: 7 }]) {
      assert.doesNotThrow(() => parse(junk));
    }
  });

  it('select and ignore take codes and prefixes', () => {
    const { s } = parse({ select: 'AW2,AW3', ignore: ['AW203'] });
    assert.equal(effectiveSeverity(s, AW301, 'python'), 'warning');
    assert.equal(effectiveSeverity(s, CATALOG.find((r) => r.code === 'AW203')!, 'python'), 'off');
    const only1 = parse({ select: ['AW1'] }).s;
    assert.equal(effectiveSeverity(only1, AW301, 'python'), 'off');
  });

  it('runs off-by-default rules only when asked', () => {
    const opinionated = { ...AW301, code: 'AW301', enabledByDefault: false };
    assert.equal(effectiveSeverity(parse({}).s, opinionated, 'python'), 'off');
    assert.equal(effectiveSeverity(parse({ select: 'AW2' }).s, opinionated, 'python'), 'off', 'a prefix does not enable it');
    assert.equal(effectiveSeverity(parse({ select: 'AW301' }).s, opinionated, 'python'), 'warning');
    assert.equal(effectiveSeverity(parse({ rules: { AW301: 'hint' } }).s, opinionated, 'python'), 'hint');
  });

  it('takes a default per language when the rule has one (on where it reaches the precision bar)', () => {
    assert.equal(AW301.severityIn?.typescript, 'hint', 'AW301 is a hint in TS/JS only (docs/ecosystem.md)');
    assert.equal(effectiveSeverity(parse({}).s, AW301, 'python'), 'warning');
    assert.equal(effectiveSeverity(parse({}).s, AW301, 'typescript'), 'hint');
    assert.equal(effectiveSeverity(parse({ rules: { AW301: 'error' } }).s, AW301, 'typescript'), 'error', 'a configured severity applies to both');
  });

  it('leaves out default hints when hints are not wanted (the CLI), unless the rule is named', () => {
    const AW203 = CATALOG.find((r) => r.code === 'AW203')!;
    assert.equal(AW203.severity, 'hint');
    assert.equal(effectiveSeverity(parse({}).s, AW203, 'python'), 'hint', 'the editor shows hints');
    const cli = (input: object) => parse({ ...input, hints: false }).s;
    assert.equal(effectiveSeverity(cli({}), AW203, 'python'), 'off');
    assert.equal(effectiveSeverity(cli({}), AW301, 'typescript'), 'off', 'a hint in this language only');
    assert.equal(effectiveSeverity(cli({}), AW301, 'python'), 'warning');
    assert.equal(effectiveSeverity(cli({ select: 'AW2' }), AW203, 'python'), 'off', 'a prefix does not name it');
    assert.equal(effectiveSeverity(cli({ select: 'AW203,AW301' }), AW203, 'python'), 'hint', 'named in select');
    assert.equal(effectiveSeverity(cli({ rules: { AW203: 'hint' } }), AW203, 'python'), 'hint', 'given a severity');
    assert.equal(effectiveSeverity(cli({ rules: { 'cheap-blocking-io': 'warning' } }), AW203, 'python'), 'warning');
  });

  it('parses Python versions in the spellings projects use', () => {
    assert.deepEqual(parsePythonVersion('3.8'), [3, 8]);
    assert.deepEqual(parsePythonVersion('3.12'), [3, 12]);
    assert.deepEqual(parsePythonVersion('py311'), [3, 11]);
    assert.deepEqual(parsePythonVersion('>=3.7'), [3, 7]);
    assert.deepEqual(parsePythonVersion('>=3.10, <4'), [3, 10]);
    assert.equal(parsePythonVersion('three'), undefined);
  });
});
