/**
 * The TS/JS fixture harness. For every rule with a TS/JS detector, `test/fixtures/ts/<rule-name>/`
 * holds `.ts`/`.tsx`/`.js`/`.mjs`/`.cjs` files with inline expectations:
 *
 *   fs.readFileSync(p);  // error: AW201 file @3     flagged here (message id, 1-based column optional)
 *   load(p);             // typed-error: AW301       flagged only when the checker knows the types
 *   fs.promises.readFile(p);  // ok: why             (anything else: must not be flagged)
 *
 * Each file runs type-aware through an in-process LanguageService on TypeScript 5.9 and 6.0, and
 * syntax-only (no program). Files whose names start with `ok` must stay clean. After fix-all the
 * exact text is `<name>.fixed.<ext>` (safe fixes) and `<name>.unsafe.<ext>` (unsafe too); no such
 * file when fixes change nothing. Every single fix re-parses. `ASYNCWISE_UPDATE=1` rewrites them.
 * The rules' TS documentation examples are checked here too (```ts blocks).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type * as ts from 'typescript';
import { CATALOG } from '../../src/core/catalog';
import { applyEdits, type Finding } from '../../src/core/finding';
import { codeBlocks } from '../../src/tools/renderDocs';
import { analyzeTypeScript, fixAllTypeScript } from '../../src/typescript/analyze';
import { repoRoot, settings, UPDATE } from './helpers';
import { FIXTURE_DERIVED, FIXTURE_SOURCE, MemoryLanguageService, parseAlone, parseErrors, TS_FIXTURES, typescriptVersions } from './ts-harness';


interface Expectation {
  line: number;
  code: string;
  typedOnly: boolean;
  messageId?: string;
  column?: number;
}

export function tsExpectations(text: string): Expectation[] {
  const out: Expectation[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /\/\/\s*(typed-)?error:\s*(.*)$/.exec(line);
    if (!m) return;
    for (const part of m[2].split(/\s*;\s*/)) {
      const words = part.trim().split(/\s+/);
      const code = words.shift();
      if (!code || !/^AW\d{3}$/.test(code)) continue;
      const e: Expectation = { line: i + 1, code, typedOnly: !!m[1] };
      for (const w of words) {
        if (w.startsWith('@')) e.column = Number(w.slice(1));
        else if (/^[a-zA-Z]+$/.test(w)) e.messageId = w;
      }
      out.push(e);
    }
  });
  return out;
}

function check(file: string, text: string, findings: readonly Finding[], code: string, typed: boolean, label: string): void {
  const expected = tsExpectations(text).filter((e) => e.code === code && (typed || !e.typedOnly));
  const actual = findings.filter((f) => f.code === code);
  const where = `${path.relative(TS_FIXTURES, file)} (${label})`;
  for (const e of expected) {
    const hit = actual.find((f) => f.startPosition.line + 1 === e.line && (!e.messageId || f.messageId === e.messageId) && (!e.column || f.startPosition.column + 1 === e.column));
    assert.ok(hit, `${where}:${e.line}: expected ${e.code}${e.messageId ? ` ${e.messageId}` : ''}${e.column ? ` @${e.column}` : ''}; got ${JSON.stringify(actual.filter((f) => f.startPosition.line + 1 === e.line).map((f) => `${f.messageId} @${f.startPosition.column + 1}`))}`);
  }
  for (const f of actual) {
    const line = f.startPosition.line + 1;
    assert.ok(expected.some((e) => e.line === line), `${where}:${line}: unexpected ${f.code} ${f.messageId}: ${f.message}`);
  }
}

function compareOrUpdate(file: string, actual: string | undefined): void {
  if (UPDATE) {
    if (actual === undefined) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, actual);
    return;
  }
  const rel = path.relative(repoRoot(), file);
  if (actual === undefined) {
    assert.ok(!fs.existsSync(file), `${rel} exists but the fixes change nothing`);
    return;
  }
  assert.ok(fs.existsSync(file), `missing ${rel} (run ASYNCWISE_UPDATE=1 npm run test:unit)`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${path.basename(file)} differs`);
}

const versions = typescriptVersions();
const tsRules = CATALOG.filter((r) => r.typescript);

for (const rule of tsRules) {
  describe(`${rule.code} ${rule.name} TS/JS fixtures`, () => {
    const dir = path.join(TS_FIXTURES, rule.name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => FIXTURE_SOURCE.test(f) && !FIXTURE_DERIVED.test(f)).sort() : [];
    const ruleSettings = settings({ rules: rule.enabledByDefault === false ? { [rule.code]: 'warning' } : {}, fix: { allowUnsafe: true } });

    it('has fixtures that flag and fixtures that must stay clean', () => {
      assert.ok(files.some((f) => tsExpectations(fs.readFileSync(path.join(dir, f), 'utf8')).some((e) => e.code === rule.code)), `no fixture in ${dir} expects ${rule.code}`);
      assert.ok(files.some((f) => f.startsWith('ok')), `no ok* fixture in ${dir}`);
    });

    for (const version of versions) {
      it(`type-aware on ${version.label}`, () => {
        const service = new MemoryLanguageService(version.ts);
        const names = files.map((f) => service.set(path.join(dir, f), fs.readFileSync(path.join(dir, f), 'utf8')));
        for (const full of names) {
          const { program, sourceFile } = service.sourceFile(full);
          const analysis = analyzeTypeScript(version.ts, sourceFile, ruleSettings, { program, rules: [rule] });
          assert.deepEqual(analysis.errors, [], `${full}: rule errors`);
          check(full, sourceFile.text, analysis.findings, rule.code, true, version.label);
          if (path.basename(full).startsWith('ok')) assert.deepEqual(analysis.findings.map((f) => `${f.startPosition.line + 1}: ${f.message}`), [], `${full} must stay clean`);
          checkFixes(version.ts, full, sourceFile, analysis.findings, rule.fixable);
        }
      });
    }

    it('syntax-only (no program)', () => {
      const tsm = versions[0].ts;
      for (const f of files) {
        const full = path.join(dir, f);
        const text = fs.readFileSync(full, 'utf8');
        const analysis = analyzeTypeScript(tsm, parseAlone(tsm, full, text), ruleSettings, { rules: [rule] });
        assert.deepEqual(analysis.errors, [], `${full}: rule errors`);
        check(full, text, analysis.findings, rule.code, false, 'syntax only');
      }
    });
  });
}

/** Fix-all outputs match the committed files; each fix alone re-parses; fixability matches the metadata. */
function checkFixes(tsm: typeof ts, full: string, sourceFile: ts.SourceFile, findings: readonly Finding[], fixable: string): void {
  const before = parseErrors(tsm, full, sourceFile.text);
  for (const f of findings) {
    for (const fix of f.fixes) {
      assert.ok(parseErrors(tsm, full, applyEdits(sourceFile.text, fix.edits)) <= before, `${full}: fix "${fix.title}" does not re-parse`);
    }
  }
  if (fixable === 'never') assert.deepEqual(findings.flatMap((f) => f.fixes.map((x) => x.title)), [], `${full}: fixable=never but fixes offered`);
  const ext = path.extname(full);
  const stem = full.slice(0, -ext.length);
  const safe = fixAllTypeScript(tsm, sourceFile, findings, false).text;
  const all = fixAllTypeScript(tsm, sourceFile, findings, true).text;
  compareOrUpdate(`${stem}.fixed${ext}`, safe === sourceFile.text ? undefined : safe);
  compareOrUpdate(`${stem}.unsafe${ext}`, all === safe ? undefined : all);
}

describe('TS/JS documentation examples', () => {
  for (const rule of tsRules) {
    it(`${rule.code}: Example blocks fire, Use instead blocks do not (typed and syntax-only)`, () => {
      const examples = codeBlocks(rule.docs, 'Example', 'ts');
      const better = codeBlocks(rule.docs, 'Use instead', 'ts');
      assert.ok(examples.length > 0 && better.length > 0, `${rule.code} docs have ts examples in both sections`);
      const s = settings({ rules: rule.enabledByDefault === false ? { [rule.code]: 'warning' } : {} });
      for (const version of versions) {
        const service = new MemoryLanguageService(version.ts);
        const blocks = [...examples.map((code) => ({ code, fires: true })), ...better.map((code) => ({ code, fires: false }))];
        const names = blocks.map((b, i) => service.set(`test/fixtures/ts/.docs/${rule.name}-${i}.ts`, b.code));
        blocks.forEach((b, i) => {
          const { program, sourceFile } = service.sourceFile(names[i]);
          const typed = analyzeTypeScript(version.ts, sourceFile, s, { program, rules: [rule] }).findings;
          const alone = analyzeTypeScript(version.ts, parseAlone(version.ts, names[i], b.code), s, { rules: [rule] }).findings;
          if (b.fires) assert.ok(typed.length > 0, `${rule.code} Example does not fire (${version.label}):\n${b.code}`);
          else {
            assert.deepEqual(typed.map((f) => f.message), [], `${rule.code} "Use instead" fires (${version.label}):\n${b.code}`);
            assert.deepEqual(alone.map((f) => f.message), [], `${rule.code} "Use instead" fires (syntax only):\n${b.code}`);
          }
        });
      }
    });
  }
});
