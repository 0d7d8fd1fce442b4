/**
 * The module outline (src/python/outline.ts) and the project index's outlined summaries built on
 * it: the outline must cut a module only between top-level statements, whatever strings, brackets
 * and continuations hold, and a summary built from its slices must say what a whole-module parse
 * says (for module-level imports; function-local imports no longer leak into other functions).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { generateAsyncModule, random } from '../../bench/generate';
import { headerEnd, outline } from '../../src/python/outline';
import { summarizeOutlined, summarizeTree, type ModuleSummary } from '../../src/python/project';
import { loadParser, repoRoot } from './helpers';

const kinds = (text: string) => outline(text)?.map((s) => `${s.kind}${s.name ? ' ' + s.name : ''}@${s.row}`);

describe('outline', () => {
  it('cuts between top-level statements, decorators attached to their definition', () => {
    const text = ['import os', '', '@dec', '@other(1)', 'def f():', '    return 1', '', 'class C(B):', '    def m(self): ...', 'X = 1', 'async def g(): ...', ''].join('\n');
    assert.deepEqual(kinds(text), ['other@0', 'def f@2', 'class C@7', 'other@9', 'def g@10']);
    const segs = outline(text)!;
    assert.equal(segs.map((s) => text.slice(s.start, s.end)).join(''), text, 'segments cover the text');
  });

  it('ignores column-0 text inside strings, brackets and continued lines', () => {
    const text = [
      'DOC = """',
      'def not_a_def():',
      '"""',
      "S = r'\\'' + '''",
      "class NotAClass: '''",
      'T = (1,',
      'def also_not)',
      'U = 1 + \\',
      'def neither',
      "V = f'{x}' # def comment",
      'def real(): pass',
    ].join('\n');
    assert.deepEqual(kinds(text), ['other@0', 'other@3', 'other@5', 'other@7', 'other@9', 'def real@10']);
  });

  it('gives up on a module that ends inside a string or a bracket', () => {
    assert.equal(outline('x = """never closed\ndef f(): pass\n'), undefined);
    assert.equal(outline('x = (1,\ndef f(): pass\n'), undefined);
  });

  it('folds leading comments into the first statement and handles CRLF and comments at column 0', () => {
    const text = '# header\r\n\r\ndef f():\r\n    pass\r\n# trailing\r\ndef g():\r\n    pass\r\n';
    assert.deepEqual(kinds(text), ['def f@0', 'def g@5']);
  });
});

function shape(s: ModuleSummary): string {
  const fn = (f: ModuleSummary['functions'] extends ReadonlyMap<string, infer F> ? F : never) => [f.name, f.async, f.line, f.decorators, f.calls, f.methods, f.packageFileMethods];
  return JSON.stringify([
    [...s.functions.values()].map(fn).sort(),
    [...s.classes.values()].map((c) => [c.name, c.line, c.bases, [...c.methods.values()].map(fn).sort()]).sort(),
  ]);
}

function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? pythonFiles(full) : e.name.endsWith('.py') ? [full] : [];
  });
}

describe('class bodies', () => {
  it('outlines a block at its indentation and finds where a header ends', () => {
    const text = ['@dataclass(frozen=True)', 'class C(Base, metaclass=M):  # a comment: with a colon', '    x: int = 1', '    @property', '    def a(self):', '        return {"k": 1}', '', '    async def b(self): ...', ''].join('\n');
    const seg = outline(text)![0];
    assert.equal(seg.kind, 'class');
    const colon = headerEnd(text, seg.keyword, seg.end);
    assert.equal(text.slice(seg.keyword, colon), 'class C(Base, metaclass=M):');
    const bodyStart = text.indexOf('\n', colon) + 1;
    const body = outline(text, bodyStart, seg.end, '    ', 2)!;
    assert.deepEqual(body.map((b) => `${b.kind}${b.name ? ' ' + b.name : ''}@${b.row}`), ['other@2', 'def a@3', 'def b@7']);
    assert.equal(outline('    x = 1\n  y = 2\n', 0, undefined, '    '), undefined, 'a shallower line makes the block outline unsure');
  });

  it('summarises a method whose string leaves the indentation by parsing its class whole', async () => {
    const parser = await loadParser();
    const text = ['import time', '', 'class C:', '    def doc(self):', '        x = """', 'column zero', '"""', '        time.sleep(1)', '', '    def other(self):', '        self.doc()', ''].join('\n');
    const tree = parser.parse(text);
    let whole: ModuleSummary;
    try {
      whole = summarizeTree(parser, tree.rootNode, text);
    } finally {
      tree.delete();
    }
    const sliced = summarizeOutlined(parser, text, () => whole)!;
    assert.deepEqual(sliced.classes.get('C')?.methods.get('doc')?.calls.map((c) => c.target), ['time.sleep']);
    assert.deepEqual(sliced.classes.get('C')?.methods.get('other')?.calls.map((c) => c.target), ['self:doc']);
    assert.equal(shape(sliced), shape(whole));
  });
});

describe('outlined module summaries', () => {
  it('equal whole-module summaries on the fixtures and generated modules', async () => {
    const parser = await loadParser();
    const texts = pythonFiles(path.join(repoRoot(), 'test', 'fixtures')).map((f) => [f, fs.readFileSync(f, 'utf8')] as const);
    const rnd = random(7);
    for (let i = 0; i < 20; i++) texts.push([`generated ${i}`, generateAsyncModule(200 + Math.floor(rnd() * 800), i + 1)]);
    let outlined = 0;
    for (const [name, text] of texts) {
      const tree = parser.parse(text);
      let whole: ModuleSummary;
      try {
        whole = summarizeTree(parser, tree.rootNode, text);
      } finally {
        tree.delete();
      }
      const sliced = summarizeOutlined(parser, text, () => whole);
      if (!sliced) continue; // a fixture with deliberate syntax errors: the index parses it whole
      outlined++;
      assert.equal(sliced.hash, whole.hash, name);
      assert.equal(shape(sliced), shape(whole), name);
      for (const [k, v] of sliced.imports) assert.equal(whole.imports.get(k), v, `${name}: import ${k}`);
    }
    assert.ok(outlined > 50, `outlined ${outlined} modules`);
  });

  it('parses only the definitions a lookup asks for', async () => {
    const parser = await loadParser();
    const text = ['import time', '', 'def slow():', '    time.sleep(1)', '', 'def broken():', '    x = = 1', ''].join('\n');
    let wholeParses = 0;
    const summary = summarizeOutlined(parser, text, () => {
      wholeParses++;
      const tree = parser.parse(text);
      try {
        return summarizeTree(parser, tree.rootNode, text);
      } finally {
        tree.delete();
      }
    });
    assert.ok(summary);
    assert.deepEqual(summary.functions.get('slow')?.calls.map((c) => c.target), ['time.sleep']);
    assert.equal(wholeParses, 0, 'the broken definition was never parsed');
    // Asking for the broken one falls back to the whole module's parse, for every later lookup too.
    summary.functions.get('broken');
    assert.equal(wholeParses, 1);
  });
});
