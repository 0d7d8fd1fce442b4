/**
 * The TS/JS engine's contract: suppression comments, never throwing, parent pointers, fixes
 * re-parse-checked (whole file for small files, the enclosing statement for large ones).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeTypeScript, fixReparses } from '../../src/typescript/analyze';
import { settings } from './helpers';
import { parseAlone, typescriptVersions } from './ts-harness';

const [{ ts }] = typescriptVersions();
const s = settings();
const SRC = ["import * as fs from 'node:fs';", 'export async function f(p: string) {', '  return fs.readFileSync(p);', '}', ''].join('\n');

describe('TS/JS engine', () => {
  it('honours asyncwise-ignore and asyncwise-ignore-next-line', () => {
    const lines = SRC.split('\n');
    const sameLine = [...lines.slice(0, 2), '  return fs.readFileSync(p); // asyncwise-ignore AW201', ...lines.slice(3)].join('\n');
    const nextLine = [...lines.slice(0, 2), '  // asyncwise-ignore-next-line blocking-call-in-async', ...lines.slice(2)].join('\n');
    const other = [...lines.slice(0, 2), '  // asyncwise-ignore-next-line AW301', ...lines.slice(2)].join('\n');
    const codes = (text: string) => analyzeTypeScript(ts, parseAlone(ts, 'a.ts', text), s).findings.map((f) => f.code);
    assert.deepEqual(codes(SRC), ['AW201']);
    assert.deepEqual(codes(sameLine), []);
    assert.deepEqual(codes(nextLine), []);
    assert.deepEqual(codes(other), ['AW201']);
  });

  it('re-parses a file created without parent pointers', () => {
    const sf = ts.createSourceFile('a.ts', SRC, ts.ScriptTarget.Latest, false);
    const a = analyzeTypeScript(ts, sf, s);
    assert.deepEqual(a.errors, []);
    assert.deepEqual(a.findings.map((f) => f.code), ['AW201']);
  });

  it('never throws: a broken module object is reported as an engine error', () => {
    const broken = { ...ts, isImportDeclaration: () => { throw new Error('boom'); } } as unknown as typeof ts;
    const a = analyzeTypeScript(broken, parseAlone(ts, 'a.ts', SRC), s);
    assert.deepEqual(a.findings, []);
    assert.equal(a.errors.length, 1);
    assert.match(a.errors[0].message, /boom/);
  });

  it('reports nothing in type tests (tsd *.test-d.ts, TSTyche *.tst.ts): they are compiled, never run', () => {
    const codes = (name: string) => analyzeTypeScript(ts, parseAlone(ts, name, SRC), s).findings.map((f) => f.code);
    for (const name of ['index.test-d.ts', 'test/types/reply.test-d.tsx', 'test/types/reply.tst.ts', 'a.TEST-D.mts']) assert.deepEqual(codes(name), [], name);
    // Only the type-test suffix: sources named like it still run.
    for (const name of ['test-d.ts', 'tst.ts']) assert.deepEqual(codes(name), ['AW201'], name);
  });

  it('rejects fixes that would not parse, in small and in large files (statement-local check)', () => {
    for (const padding of ['', `${'export const filler = 1;\n'.repeat(1500)}`]) {
      const text = padding + SRC;
      const sf = parseAlone(ts, 'a.ts', text);
      const at = text.indexOf('fs.readFileSync');
      assert.ok(fixReparses(ts, sf, { title: 'ok', safety: 'safe', edits: [{ start: at, end: at, newText: 'await ' }] }), `good fix (${text.length} chars)`);
      assert.ok(!fixReparses(ts, sf, { title: 'bad', safety: 'safe', edits: [{ start: at, end: at, newText: '}{(' }] }), `bad fix (${text.length} chars)`);
    }
  });
});
