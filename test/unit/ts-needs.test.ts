/**
 * A rule's `typescriptNeeds` must be a necessary condition: the CLI does not parse a file whose text
 * fails the needs of every enabled rule, so a rule that could still report there would lose findings.
 * Checked with the needs lifted, type-aware and syntax-only, on every TS/JS fixture of every rule (each
 * rule sees the other rules' shapes too) and on a variant of each with comments and blanks between
 * the tokens (`( /* c *\/ async`), the spellings a text test is most likely to miss.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { mayHaveAsyncExecutor } from '../../src/rules/async-promise-executor';
import type { Rule } from '../../src/rules/define';
import { analyzeTypeScript, rulesFor } from '../../src/typescript/analyze';
import { settings } from './helpers';
import { FIXTURE_DERIVED, FIXTURE_SOURCE, MemoryLanguageService, parseAlone, TS_FIXTURES, typescriptVersions } from './ts-harness';


function fixtureFiles(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of fs.readdirSync(TS_FIXTURES)) {
    const full = path.join(TS_FIXTURES, dir);
    if (!fs.statSync(full).isDirectory() || dir.startsWith('.')) continue;
    for (const f of fs.readdirSync(full).sort()) {
      if (FIXTURE_SOURCE.test(f) && !FIXTURE_DERIVED.test(f)) out.push({ name: path.join(full, f), text: fs.readFileSync(path.join(full, f), 'utf8') });
    }
  }
  return out;
}

/** The same code with a comment after each `(` and before each `async`, and `new` split from its class by a line. */
function withComments(text: string): string {
  return text.replace(/\(/g, '( /* c */ ').replace(/\basync\b/g, '/* c */ async').replace(/\bnew (?=[A-Z])/g, 'new // c\n  ');
}

/** A line comment after each `(`, lines ending in a lone CR. */
function withLineComments(text: string): string {
  return text.replace(/\r?\n/g, '\r').replace(/\((?!\))/g, '( // c\r');
}

const lifted = (rule: Rule): Rule => ({ ...rule, typescriptNeeds: undefined });

describe('typescriptNeeds: a rule finds nothing where its needs fail', () => {
  const files = fixtureFiles();
  const variants = [
    ...files,
    ...files.map((f) => ({ name: f.name.replace(FIXTURE_SOURCE, '.commented.$1'), text: withComments(f.text) })),
    ...files.map((f) => ({ name: f.name.replace(FIXTURE_SOURCE, '.line-comments.$1'), text: withLineComments(f.text) })),
  ];
  const rules = CATALOG.filter((r) => r.typescript && r.typescriptNeeds);
  const tsm = typescriptVersions()[0].ts;

  it('has rules with needs and fixtures to try them on', () => {
    assert.ok(rules.length >= 5, 'rules with typescriptNeeds');
    assert.ok(files.length >= 40, 'TS/JS fixtures');
  });

  for (const rule of rules) {
    it(`${rule.code} ${rule.name}`, () => {
      const s = settings({ rules: { [rule.code]: 'warning' } });
      const service = new MemoryLanguageService(tsm);
      const names = variants.map((v) => service.set(v.name, v.text));
      let reported = 0;
      variants.forEach((v, i) => {
        const typed = service.sourceFile(names[i]);
        const findings = [
          ...analyzeTypeScript(tsm, typed.sourceFile, s, { program: typed.program, rules: [lifted(rule)] }).findings,
          ...analyzeTypeScript(tsm, parseAlone(tsm, v.name, v.text), s, { rules: [lifted(rule)] }).findings,
        ];
        const passes = rulesFor(v.name, v.text, s, undefined, [rule]).length === 1;
        if (findings.length > 0) reported++;
        assert.ok(passes || findings.length === 0, `${path.relative(TS_FIXTURES, v.name)}: ${rule.code} reports ${findings.map((f) => `${f.startPosition.line + 1}: ${f.message}`).join('; ')} but its needs fail there`);
      });
      assert.ok(reported > 0, `${rule.code} reports nothing on any fixture: the check proves nothing`);
    });
  }
});

describe('typescriptNeeds stay linear in the text', () => {
  const needs = CATALOG.flatMap((r) => r.typescriptNeeds ?? []).filter((w): w is (text: string) => boolean => typeof w === 'function');
  // What a backward look could make quadratic: long runs of blanks, parentheses and line breaks
  // between many `async` words, and long lines without a line comment.
  const shapes = [
    (n: number) => '( \n'.repeat(n) + 'x async',
    (n: number) => 'x\n async '.repeat(n),
    (n: number) => `${'a'.repeat(n)}\n${' async'.repeat(n / 8)}`,
    (n: number) => 'x */ async '.repeat(n),
    (n: number) => `${'// c\n'.repeat(n)}(async`,
    (n: number) => `x(a /*${' '.repeat(n)}*/ ${'f(\nasync '.repeat(n / 8)}`,
  ];

  it('has tests to time', () => assert.ok(needs.length > 0));

  for (const [i, shape] of shapes.entries()) {
    it(`shape ${i + 1}: sixteen times the text costs at most sixty times the time`, () => {
      const time = (text: string) => {
        let best = Infinity;
        for (let run = 0; run < 5; run++) {
          const start = process.hrtime.bigint();
          for (const need of needs) need(text);
          best = Math.min(best, Number(process.hrtime.bigint() - start));
        }
        return best;
      };
      const small = shape(16_000);
      const large = shape(256_000);
      time(small);
      time(large);
      // The small text timed after the JIT has seen both sizes, and never below 0.5 ms (timer and GC noise).
      const ratio = time(large) / Math.max(time(small), 500_000);
      // Linear is 16x; quadratic would be 256x. A loaded machine's noise stays well under 60x.
      assert.ok(ratio < 60, `ratio ${ratio.toFixed(1)}`);
    });
  }
});

describe("AW304's need: the text may hold new X(async …)", () => {
  const cases: [string, boolean][] = [
    ['new Promise(async () => {})', true],
    ['new Promise( /* c */ async () => {})', true],
    ['new Promise( // c\n  async () => {})', true],
    ['new Promise( // c\n // d\n\n  async () => {})', true],
    ['new Promise( // see http://x\r  async () => {})', true],
    ['new Promise((async () => {}))', true],
    ['new Promise(/*a*/(/*b*/async () => {}))', true],
    ['new globalThis . Promise ( async () => {})', true],
    ['new Promise<void>(async () => {})', true],
    ['new (Promise)(async () => {})', true],
    ['new\nPromise(\nasync function () {})', true],
    ['new\u00a0Promise(\u2028async () => {})', true],
    ['new Promise(/* async */ async () => {})', true],
    // Unclear: `//` may start a comment after the code of that line.
    ["f('http://x') // c\nasync function g() {}", true],
    ['// comment\nasync function g() {}', false],
    ['x = 1;\n// a\n// b\nasync function g() {}', false],
    ['class A {\n  /**\n   * doc\n   */\n  async m() {}\n}', false],
    ['test("x", async () => {})', false],
    ['x.then(async () => {})', false],
    ['renew(async () => {})', false],
    ['app.register(async (i) => {})', false],
    ['(async () => {})()', false],
    ['(async', false],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)}: ${expected ? 'may' : 'cannot'}`, () => assert.equal(mayHaveAsyncExecutor(text), expected));
  }
});
