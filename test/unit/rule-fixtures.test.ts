/**
 * The fixture harness. For every rule, `test/fixtures/rules/<rule-name>/*.py` holds code with inline
 * expectations:
 *
 *   time.sleep(1)  # error: AW201            flagged on this line
 *   time.sleep(1)  # error: AW201 sleep @4   … with message id `sleep`, starting at column 4 (1-based)
 *   os.path.join(a, b)  # ok: pure string work   (any other comment: must not be flagged)
 *
 * A first-line header `# asyncwise: target-version=3.7` sets options for the file (`path=tests/test_x.py`:
 * the path the file is analysed as, relative, read as given). Lines without an
 * `error:` annotation must have no finding of that rule. For every file with findings, the exact
 * text after fix-all (safe fixes) is `<file>.fixed.py`, and after every fix (unsafe too)
 * `<file>.unsafe.py`; each single fix must re-parse. `ASYNCWISE_UPDATE=1 npm test` rewrites them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { applyEdits } from '../../src/core/finding';
import { analyzePython } from '../../src/python/analyze';
import { loadParser, repoRoot, settings, UPDATE } from './helpers';

const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'rules');

interface Expectation {
  line: number;
  code: string;
  messageId?: string;
  column?: number;
}

function expectations(text: string): Expectation[] {
  const out: Expectation[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /#\s*error:\s*(.*)$/.exec(line);
    if (!m) return;
    for (const part of m[1].split(/\s*;\s*/)) {
      const words = part.trim().split(/\s+/);
      const code = words.shift();
      if (!code || !/^AW\d{3}$/.test(code)) continue;
      const e: Expectation = { line: i + 1, code };
      for (const w of words) {
        if (w.startsWith('@')) e.column = Number(w.slice(1));
        else if (/^[a-zA-Z]+$/.test(w)) e.messageId = w;
      }
      out.push(e);
    }
  });
  return out;
}

function header(text: string): Record<string, string> {
  const first = text.split('\n', 1)[0];
  const m = /^#\s*asyncwise:\s*(.*)$/.exec(first);
  const opts: Record<string, string> = {};
  if (m) for (const kv of m[1].split(/\s+/)) {
    const [k, v] = kv.split('=');
    if (k && v) opts[k] = v;
  }
  return opts;
}

function compareOrUpdate(file: string, actual: string): void {
  if (UPDATE) {
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `missing ${path.relative(repoRoot(), file)} (run ASYNCWISE_UPDATE=1 npm test)`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${path.basename(file)} differs`);
}

for (const rule of CATALOG.filter((r) => r.python)) {
  describe(`${rule.code} ${rule.name} fixtures`, () => {
    const dir = path.join(FIXTURES, rule.name);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.py') && !/\.(fixed|unsafe)\.py$/.test(f)) : [];
    it('has fixtures that flag and fixtures that must stay clean', () => {
      const all = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
      assert.ok(all.some((t) => expectations(t).some((e) => e.code === rule.code)), `no fixture of ${dir} expects ${rule.code}`);
      assert.ok(files.some((f) => f.startsWith('ok')), `no ok*.py fixture in ${dir}`);
    });
    for (const file of files) {
      it(file, async () => {
        const parser = await loadParser();
        const full = path.join(dir, file);
        const source = fs.readFileSync(full, 'utf8');
        const opts = header(source);
        // A fixture analysed as a test file (`path=`) checks the default: a severity names the rule,
        // which would run it in test code too (src/core/testCode.ts).
        const s = settings({ python: { targetVersion: opts['target-version'] ?? '3.11' }, rules: opts['path'] ? {} : { [rule.code]: 'warning' } });
        const analysis = analyzePython(parser, source, s, { rules: [rule], filePath: opts['path'] });
        try {
          const findings = analysis.findings.filter((f) => f.code === rule.code);
          const expected = expectations(source).filter((e) => e.code === rule.code);
          const actualLines = findings.map((f) => `${f.startPosition.line + 1}`);
          const expectedLines = expected.map((e) => `${e.line}`);
          assert.deepEqual(actualLines, expectedLines, `flagged lines of ${file}: got ${actualLines.join(',')} expected ${expectedLines.join(',')}`);
          expected.forEach((e, i) => {
            const f = findings[i];
            if (e.messageId) assert.equal(f.messageId, e.messageId, `${file}:${e.line} message id`);
            if (e.column) assert.equal(f.startPosition.column + 1, e.column, `${file}:${e.line} column`);
            assert.ok(f.message.length > 0 && !/\{\w+\}/.test(f.message), `${file}:${e.line} message has unfilled placeholders: ${f.message}`);
          });
          // Every offered fix must re-parse; the analysis drops those that do not.
          for (const f of findings) {
            for (const fix of analysis.validFixes(f)) {
              const tree = parser.parse(applyEdits(source, fix.edits));
              const broke = tree.rootNode.hasError;
              tree.delete();
              assert.ok(!broke, `${file}:${f.startPosition.line + 1} fix "${fix.title}" does not parse`);
            }
          }
          if (findings.some((f) => f.fixes.length > 0)) {
            compareOrUpdate(full.replace(/\.py$/, '.fixed.py'), analysis.fixAll(false).text);
            compareOrUpdate(full.replace(/\.py$/, '.unsafe.py'), analysis.fixAll(true).text);
          }
        } finally {
          analysis.dispose();
        }
      });
    }
  });
}
