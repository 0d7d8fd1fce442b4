/**
 * The editor path's incremental analysis must be indistinguishable from a fresh one: after every
 * burst of random edits (insertions, deletions and replacements, single- and multi-line, with
 * non-ASCII and astral characters), `PythonDocument.analyze` must give the same tree and exactly
 * the same findings as `analyzePython` on the whole current text.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/core/finding';
import { generateAsyncModule, random } from '../../bench/generate';
import { analyzePython } from '../../src/python/analyze';
import { PythonDocument, type ContentChange } from '../../src/python/document';
import { loadParser, repoRoot, settings } from './helpers';


/** Text people type or paste: identifiers, punctuation that breaks the parse, whole statements, non-ASCII. */
const SNIPPETS = [
  'x', 'e', '_', ' ', '(', ')', ':', '"', "'", '\n', '\t', '#', 'é', 'ß', '日本', '🚀', '👩‍💻',
  'await ', 'async ', 'time.sleep(1)', 'requests.get(url)', 'open(p)', 'os.path.exists(p)',
  '\n    time.sleep(0.5)\n', '\nasync def typed_🚀(ü):\n    await asyncio.sleep(1)\n    time.sleep(2)\n',
  'try:\n    await x\nexcept asyncio.CancelledError:\n    pass\n', '\n"""docstring é\nspanning lines"""\n',
  'import time as t\n', 'from time import sleep\n', 'finally:\n    return 1\n',
];

/** Moves an offset off the middle of a surrogate pair: an editor never splits one. */
function snap(text: string, offset: number): number {
  const c = text.charCodeAt(offset);
  return offset > 0 && c >= 0xdc00 && c <= 0xdfff ? offset - 1 : offset;
}

function randomChange(text: string, next: () => number): ContentChange {
  const start = snap(text, Math.floor(next() * (text.length + 1)));
  const kind = next();
  const insert = SNIPPETS[Math.floor(next() * SNIPPETS.length)];
  if (kind < 0.45) return { rangeOffset: start, rangeLength: 0, text: insert };
  // Deletions up to a few lines long, sometimes replaced by a snippet.
  const end = snap(text, Math.min(text.length, start + Math.floor(next() * (next() < 0.7 ? 4 : 120))));
  return { rangeOffset: start, rangeLength: end - start, text: kind < 0.8 ? '' : insert };
}

/**
 * The tree's S-expression without the character an `(UNEXPECTED c)` error names: for an astral
 * character (🚀) tree-sitter's UTF-16 lexer reports the full code point when it re-lexes incrementally
 * but the lone high surrogate on a fresh parse. The shape of the tree is the same, and no rule reads it.
 */
function shape(sexp: string): string {
  return sexp.replace(/\(UNEXPECTED \d+\)/g, '(UNEXPECTED)');
}

/** Everything a surface shows of a finding. */
function comparable(findings: readonly Finding[]) {
  return findings.map((f) => ({
    code: f.code,
    messageId: f.messageId,
    message: f.message,
    severity: f.severity,
    start: f.start,
    end: f.end,
    startPosition: f.startPosition,
    endPosition: f.endPosition,
    fixes: f.fixes,
  }));
}

const FIXTURES: readonly [string, () => string][] = [
  ...[path.join('demo', 'python', 'worker.py'), path.join('test', 'fixtures', 'rules', 'blocking-call-in-async', 'flagged.py')].map(
    (file): [string, () => string] => [file, () => fs.readFileSync(path.join(repoRoot(), file), 'utf8')],
  ),
  // The benchmark's generated service module: every rule's patterns, many times over.
  ['a generated 600-line async module', () => generateAsyncModule(600, 3)],
];

describe('PythonDocument incremental analysis', () => {
  for (const [fixture, load] of FIXTURES) {
    it(`matches a fresh analysis after random edits to ${fixture}`, async () => {
      const parser = await loadParser();
      const s = settings({});
      const original = load();
      const doc = new PythonDocument(parser, original);
      const next = random(fixture.length * 7919);
      let text = original;
      let findingsSeen = 0;
      try {
        assert.deepEqual(comparable(doc.analyze(s).findings), comparable(analyzePython(parser, text, s).findings));
        for (let burst = 0; burst < 120; burst++) {
          // One to three edits before each analysis: the debounced editor re-parses once per burst.
          const changes: ContentChange[] = [];
          for (let i = 0, n = 1 + Math.floor(next() * 3); i < n; i++) {
            const change = randomChange(text, next);
            changes.push(change);
            text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
          }
          doc.applyChanges(changes);
          assert.equal(doc.source, text);
          const incremental = doc.analyze(s);
          const fresh = analyzePython(parser, text, s);
          try {
            const context = `after burst ${burst} (${JSON.stringify(changes)})`;
            assert.equal(shape(incremental.tree.rootNode.toString()), shape(fresh.tree.rootNode.toString()), `tree differs ${context}`);
            assert.deepEqual(comparable(incremental.findings), comparable(fresh.findings), `findings differ ${context}`);
            findingsSeen += fresh.findings.length;
          } finally {
            fresh.dispose();
          }
        }
      } finally {
        doc.dispose();
      }
      // The edits must keep producing findings, or the comparison proves little.
      assert.ok(findingsSeen > 50, `only ${findingsSeen} findings over all bursts`);
    });
  }

  it('a burst of edits to a text no longer parsed from scratch still tracks positions (multi-line, astral)', async () => {
    const parser = await loadParser();
    const s = settings({});
    const doc = new PythonDocument(parser, 'import time\n\n\nasync def f():\n    pass\n');
    try {
      doc.analyze(s);
      // Insert an emoji line above the body, then a blocking call after it on the same line.
      doc.applyChanges([{ rangeOffset: 'import time\n\n\nasync def f():\n'.length, rangeLength: 0, text: '    x = "🚀"\n' }]);
      const offset = doc.source.indexOf('"🚀"') + '"🚀"'.length;
      doc.applyChanges([{ rangeOffset: offset, rangeLength: 0, text: '; time.sleep(1)' }]);
      const [finding] = doc.analyze(s).findings;
      assert.ok(finding, 'the new call is flagged');
      assert.equal(finding.code, 'AW201');
      assert.deepEqual(finding.startPosition, { line: 4, column: '    x = "🚀"; '.length });
      assert.equal(doc.source.slice(finding.start, finding.end), 'time.sleep(1)');
    } finally {
      doc.dispose();
    }
  });
});
