/**
 * Every fix of the concurrency-shape rules (AW401, AW403), not only the first one fix-all picks:
 * for each fixture with findings, `<file>.all-fixes.txt` lists each finding's fixes with the lines
 * each one rewrites, exactly. Each fix must re-parse and leave nothing for its rule to flag where
 * it applied. `ASYNCWISE_UPDATE=1` rewrites the golden files (read them after).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { applyEdits } from '../../src/core/finding';
import { analyzePython } from '../../src/python/analyze';
import { loadParser, repoRoot, settings, UPDATE } from './helpers';

const RULES = ['AW401', 'AW403'];

/** The lines a rewrite changed: the new text between the unchanged first and last lines. */
function changedLines(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const removed = a.slice(head, a.length - tail).map((l) => `- ${l}`);
  const added = b.slice(head, b.length - tail).map((l) => `+ ${l}`);
  return [`@@ line ${head + 1}`, ...removed, ...added].join('\n');
}

for (const code of RULES) {
  const rule = CATALOG.find((r) => r.code === code)!;
  const dir = path.join(repoRoot(), 'test', 'fixtures', 'rules', rule.name);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.py') && !/\.(fixed|unsafe)\.py$/.test(f) && !f.startsWith('ok'));
  describe(`${code} every fix`, () => {
    for (const file of files) {
      it(file, async () => {
        const parser = await loadParser();
        const source = fs.readFileSync(path.join(dir, file), 'utf8');
        const target = /^#\s*asyncwise:.*target-version=(\S+)/.exec(source)?.[1] ?? '3.11';
        const s = settings({ python: { targetVersion: target }, rules: { [code]: 'warning' } });
        const analysis = analyzePython(parser, source, s, { rules: [rule] });
        const report: string[] = [];
        try {
          for (const finding of analysis.findings) {
            const fixes = analysis.validFixes(finding);
            assert.equal(fixes.length, finding.fixes.length, `${file}:${finding.startPosition.line + 1}: a fix does not re-parse`);
            for (const fix of fixes) {
              const fixed = applyEdits(source, fix.edits);
              report.push(`# ${file}:${finding.startPosition.line + 1} [${fix.safety}] ${fix.title}`, changedLines(source, fixed), '');
              // Nothing left to flag on the rewritten lines.
              const again = analyzePython(parser, fixed, s, { rules: [rule] });
              // Where the last edit (the rewrite; earlier ones add imports) landed in the new text.
              const sorted = [...fix.edits].sort((x, y) => x.start - y.start);
              const main = sorted[sorted.length - 1];
              const shift = sorted.slice(0, -1).reduce((n, e) => n + e.newText.length - (e.end - e.start), 0);
              const start = main.start + shift;
              const end = start + main.newText.length;
              const left = again.findings.filter((f) => f.start >= start && f.start < end);
              again.dispose();
              assert.deepEqual(left.map((f) => f.message), [], `${file}:${finding.startPosition.line + 1} "${fix.title}" leaves a finding`);
            }
          }
        } finally {
          analysis.dispose();
        }
        const golden = path.join(dir, file.replace(/\.py$/, '.all-fixes.txt'));
        const text = report.join('\n');
        if (!text) return;
        if (UPDATE) fs.writeFileSync(golden, text);
        else assert.equal(text, fs.readFileSync(golden, 'utf8'), `${path.basename(golden)} differs (ASYNCWISE_UPDATE=1 to regenerate)`);
      });
    }
  });
}
