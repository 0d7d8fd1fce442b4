/**
 * The editor's windowed re-analysis (`PythonDocument.analyzeEdit`) must give exactly what a full
 * analysis gives, for edits inside one async function body — and fall back to a full analysis
 * otherwise.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/core/finding';
import { analyzePython } from '../../src/python/analyze';
import { PythonDocument } from '../../src/python/document';
import { generateAsyncModule, random } from '../../bench/generate';
import { loadParser, repoRoot, settings } from './helpers';

function comparable(findings: readonly Finding[]) {
  return findings.map((f) => ({ code: f.code, messageId: f.messageId, message: f.message, start: f.start, end: f.end, startPosition: f.startPosition, endPosition: f.endPosition, fixes: f.fixes }));
}


/** Offsets inside `async def` bodies: after an `await`, where typing is most common. */
function bodyOffsets(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf('await '); i >= 0; i = text.indexOf('await ', i + 1)) out.push(i + 'await '.length);
  return out;
}

const TYPED = ['x', ' ', '1', 'é', '(', ')', '\n        ', 'print(1)\n        ', '# note 🚀\n        '];

describe('windowed re-analysis while typing', () => {
  const sources: [string, () => string][] = [
    ['demo/python/worker.py', () => fs.readFileSync(path.join(repoRoot(), 'demo', 'python', 'worker.py'), 'utf8')],
    ['a generated 1,500-line async module', () => generateAsyncModule(1500, 5)],
  ];
  for (const [name, load] of sources) {
    it(`matches a full analysis after edits inside async functions of ${name}`, async () => {
      const parser = await loadParser();
      const s = settings({ python: { targetVersion: '3.11' } });
      const doc = new PythonDocument(parser, load());
      const next = random(name.length * 131);
      let windowed = 0;
      try {
        doc.analyze(s);
        for (let step = 0; step < 60; step++) {
          const offsets = bodyOffsets(doc.source);
          const at = offsets[Math.floor(next() * offsets.length)];
          const typed = TYPED[Math.floor(next() * TYPED.length)];
          doc.applyChanges([{ rangeOffset: at, rangeLength: 0, text: typed }]);
          const quick = doc.analyzeEdit(s);
          if (!doc.exact) windowed++;
          const full = analyzePython(parser, doc.source, s);
          try {
            assert.deepEqual(comparable(quick.findings), comparable(full.findings), `step ${step}: typed ${JSON.stringify(typed)} at ${at}`);
          } finally {
            full.dispose();
          }
          if (step % 10 === 9) doc.analyze(s);
        }
      } finally {
        doc.dispose();
      }
      assert.ok(windowed > 30, `only ${windowed} of 60 edits took the windowed path`);
    });
  }

  it('falls back to a full analysis for edits outside async bodies or touching imports', async () => {
    const parser = await loadParser();
    const s = settings({});
    const text = 'import time\n\n\nasync def f():\n    await g()\n\n\ndef h():\n    pass\n';
    const doc = new PythonDocument(parser, text);
    try {
      doc.analyze(s);
      doc.applyChanges([{ rangeOffset: text.indexOf('pass'), rangeLength: 0, text: 'time.sleep(1)\n    ' }]);
      doc.analyzeEdit(s);
      assert.equal(doc.exact, true, 'an edit in a sync function is analysed fully');
      doc.applyChanges([{ rangeOffset: doc.source.indexOf('await g()'), rangeLength: 0, text: 'import os\n    ' }]);
      doc.analyzeEdit(s);
      assert.equal(doc.exact, true, 'an import is file-wide');
      doc.applyChanges([{ rangeOffset: doc.source.indexOf('await g()'), rangeLength: 0, text: 'time.sleep(2)\n    ' }]);
      const quick = doc.analyzeEdit(s);
      assert.equal(doc.exact, false, 'an edit inside the async body is windowed');
      assert.deepEqual(quick.findings.map((f) => [f.code, doc.source.slice(f.start, f.end)]), [['AW201', 'time.sleep(2)']]);
    } finally {
      doc.dispose();
    }
  });
});
