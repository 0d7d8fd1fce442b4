/**
 * The editor's windowed re-analysis (`PythonDocument.analyzeEdit`) must give exactly what a full
 * analysis gives, for edits anywhere (a coroutine, a sync helper and its callers, a class, a
 * module-level statement, half-typed code) — and fall back to a full analysis after imports.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Finding } from '../../src/core/finding';
import { analyzePython } from '../../src/python/analyze';
import { PythonDocument } from '../../src/python/document';
import { generateAsyncModule, keystrokes, random } from '../../bench/generate';
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

  for (const [mode, inCoroutines] of [['anywhere in the file', false], ['in coroutines, leaving half-typed code behind', true]] as const) {
    it(`matches a full analysis after keystrokes ${mode} (the server benchmark's typing)`, async () => {
      const parser = await loadParser();
      const s = settings({});
      let text = generateAsyncModule(1200, 17);
      const doc = new PythonDocument(parser, text);
      let windowed = 0;
      try {
        doc.analyze(s);
        const typed = keystrokes(text, 120, inCoroutines ? 23 : 29, inCoroutines);
        for (const [step, k] of typed.entries()) {
          doc.applyChanges([k]);
          text = text.slice(0, k.rangeOffset) + k.text + text.slice(k.rangeOffset + k.rangeLength);
          const quick = doc.analyzeEdit(s);
          if (!doc.exact) windowed++;
          const full = analyzePython(parser, text, s);
          try {
            assert.deepEqual(comparable(quick.findings), comparable(full.findings), `step ${step}: typed ${JSON.stringify(k.text)} at ${k.rangeOffset}`);
          } finally {
            full.dispose();
          }
        }
      } finally {
        doc.dispose();
      }
      assert.ok(windowed > 100, `only ${windowed} of 120 keystrokes took the windowed path`);
    });
  }

  it('re-analyses the async callers of an edited sync helper, and analyses fully after an import', async () => {
    const parser = await loadParser();
    const s = settings({});
    // Other coroutines around: a window is worth it when it is a small part of the file.
    const others = Array.from({ length: 12 }, (_, i) => `async def other${i}():\n    await g()\n    return ${i}\n\n\n`).join('');
    const text = `import time\n\n\nasync def f():\n    await g()\n    h()\n\n\n${others}def h():\n    pass\n`;
    const doc = new PythonDocument(parser, text);
    try {
      doc.analyze(s);
      doc.applyChanges([{ rangeOffset: text.indexOf('pass'), rangeLength: 0, text: 'time.sleep(1)\n    ' }]);
      let quick = doc.analyzeEdit(s);
      assert.equal(doc.exact, false, 'an edit in a sync function is windowed');
      assert.deepEqual(
        quick.findings.map((f) => [f.code, doc.source.slice(f.start, f.end)]),
        [['AW202', 'h()']],
        'the caller of the helper that now blocks is flagged at once',
      );
      doc.applyChanges([{ rangeOffset: doc.source.indexOf('time.sleep(1)'), rangeLength: 'time.sleep(1)'.length, text: 'pass' }]);
      quick = doc.analyzeEdit(s);
      assert.deepEqual(quick.findings, [], 'and no longer once the helper stops blocking');
      doc.applyChanges([{ rangeOffset: doc.source.indexOf('await g()'), rangeLength: 0, text: 'import os\n    ' }]);
      doc.analyzeEdit(s);
      assert.equal(doc.exact, true, 'an import is file-wide');
      doc.applyChanges([{ rangeOffset: doc.source.indexOf('await g()'), rangeLength: 0, text: 'time.sleep(2)\n    ' }]);
      quick = doc.analyzeEdit(s);
      assert.equal(doc.exact, false, 'an edit inside the async body is windowed');
      assert.deepEqual(quick.findings.map((f) => [f.code, doc.source.slice(f.start, f.end)]), [['AW201', 'time.sleep(2)']]);
    } finally {
      doc.dispose();
    }
  });
});
