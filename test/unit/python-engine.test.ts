/** The engine's building blocks: name resolution through every import spelling, async context, robustness. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { LineIndex } from '../../src/core/finding';
import { analyzePython } from '../../src/python/analyze';
import { ancestors } from '../../src/python/ancestors';
import { PythonContext } from '../../src/python/context';
import { loadParser, repoRoot, settings } from './helpers';

async function contextFor(source: string) {
  const parser = await loadParser();
  const tree = parser.parse(source);
  const ctx = new PythonContext(parser, tree, source, new LineIndex(source), settings());
  return { ctx, dispose: () => tree.delete() };
}

function nodeAt(ctx: PythonContext, text: string) {
  const start = ctx.source.indexOf(text);
  assert.ok(start >= 0, text);
  const node = ctx.root.descendantForIndex(start, start + text.length - 1);
  // Climb to the expression spanning exactly the text.
  let n = node;
  while (n && n.endIndex - n.startIndex < text.length && n.parent) n = n.parent;
  return n!;
}

describe('name resolution', () => {
  it('follows every import spelling', async () => {
    const src = [
      'import time as t',
      'from time import sleep as nap',
      'from asyncio import CancelledError as CE',
      'import asyncio.exceptions',
      'import os.path',
      'from concurrent import futures',
      'from . import sibling',
      't.sleep; nap; CE; asyncio.exceptions.CancelledError; os.path.exists; futures.Future; sibling.x; open; unknown.x',
    ].join('\n');
    const { ctx, dispose } = await contextFor(src);
    const cases: [string, string | undefined][] = [
      ['t.sleep', 'time.sleep'],
      ['nap', 'time.sleep'],
      ['CE', 'asyncio.CancelledError'],
      ['asyncio.exceptions.CancelledError', 'asyncio.exceptions.CancelledError'],
      ['os.path.exists', 'os.path.exists'],
      ['futures.Future', 'concurrent.futures.Future'],
      ['sibling.x', '.sibling.x'],
      ['open', 'builtins.open'],
      ['unknown.x', undefined],
    ];
    for (const [text, expected] of cases) assert.equal(ctx.resolve(nodeAt(ctx, text)), expected, text);
    assert.equal(ctx.spell('asyncio.CancelledError').text, 'CE');
    assert.equal(ctx.spell('time.monotonic').text, 't.monotonic');
    assert.equal(ctx.spell('asyncio.sleep').text, 'asyncio.sleep');
    assert.deepEqual(ctx.spell('asyncio.sleep').edits, []);
    assert.equal(ctx.spell('json.dumps').edits.length, 1);
    dispose();
  });

  it('lets a local definition shadow a builtin', async () => {
    const { ctx, dispose } = await contextFor('def open(p):\n    pass\nopen("x")\n');
    assert.equal(ctx.resolve(nodeAt(ctx, 'open("x")').childForFieldName('function')), undefined);
    dispose();
  });
});

describe('async context', () => {
  it('knows which code runs in a coroutine', async () => {
    const src = [
      'async def outer(a=v_default):',
      '    v_a',
      '    def inner():',
      '        v_b',
      '    f = lambda: v_c',
      '    class K:',
      '        v_d',
      '    [v_e for x in y]',
      '    async def again():',
      '        v_f',
      'v_g',
      '',
    ].join('\n');
    const { ctx, dispose } = await contextFor(src);
    const expected: Record<string, boolean> = { v_default: false, v_a: true, v_b: false, v_c: false, v_d: false, v_e: true, v_f: true, v_g: false };
    for (const [name, isAsync] of Object.entries(expected)) assert.equal(ctx.isAsync(nodeAt(ctx, name)), isAsync, name);
    dispose();
  });
});

describe('robustness', () => {
  it('analyses half-written and odd input without throwing', async () => {
    const parser = await loadParser();
    const inputs = [
      '',
      '\n\n',
      'async def f(:\n    time.sleep(',
      'import time\nasync def f():\n    try:\n        await x(\n    except:\n',
      'import time\nasync def f():\n    time.sleep(1',
      '\u0000\u0001binary',
      'async def f():\n\ttime.sleep(1)\r\n',
      'x = "😀"; import time\nasync def f():\n    time.sleep(1)  # ünïcode',
      'async def f():\n' + '    ('.repeat(500) + ')'.repeat(500),
    ];
    for (const input of inputs) {
      const a = analyzePython(parser, input, settings());
      for (const f of a.findings) {
        assert.ok(f.start >= 0 && f.end <= input.length && f.start <= f.end);
        a.validFixes(f);
      }
      a.dispose();
    }
  });

  it('ancestors() yields what the `.parent` chain does, for every node, shallow or 1,000 deep, after non-ASCII text', async () => {
    const parser = await loadParser();
    const sources = [
      fs.readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'rules', 'sequential-await-in-loop', 'flagged.py'), 'utf8'),
      `s = "😀é"\nasync def f():\n    x = ${Array(1000).fill('g(a.b)').join(' + ')}\n    y = ${'['.repeat(300)}1${']'.repeat(300)}\n`,
      'async def f(:\n    x = (1 +\n',
    ];
    for (const source of sources) {
      const tree = parser.parse(source);
      const all: Node[] = [];
      const cursor = tree.rootNode.walk();
      for (let down = true; ; ) {
        if (down) all.push(cursor.currentNode);
        if (down && cursor.gotoFirstChild()) continue;
        if (cursor.gotoNextSibling()) {
          down = true;
          continue;
        }
        if (!cursor.gotoParent()) break;
        down = false;
      }
      cursor.delete();
      // Every 41st node of the deep one (the `.parent` chain of each is quadratic to build); all of the others.
      const sample = all.length > 5000 ? all.filter((_, i) => i % 41 === 0) : all;
      for (const node of sample) {
        const expected: number[] = [];
        for (let n = node.parent; n; n = n.parent) expected.push(n.id);
        assert.deepEqual([...ancestors(node)].map((n) => n.id), expected, `${node.type} at ${node.startIndex}`);
      }
      tree.delete();
    }
  });

  it('restricts queries to async bodies correctly after non-ASCII text', async () => {
    const parser = await loadParser();
    const src = `import time\nBANNER = "${'😀é'.repeat(2000)}"\ndef sync():\n    time.sleep(1)\nasync def f():\n    time.sleep(1)\n    time.sleep(2)\nasync def g():\n    x = "${'ü'.repeat(300)}"; time.sleep(3)\n`;
    const a = analyzePython(parser, src, settings());
    assert.deepEqual(a.findings.filter((f) => f.code === 'AW201').map((f) => src.slice(f.start, f.end)), ['time.sleep(1)', 'time.sleep(2)', 'time.sleep(3)']);
    a.dispose();
  });

  it('reports positions in UTF-16 columns, as editors count', async () => {
    const parser = await loadParser();
    const src = 'import time\nasync def f():\n    s = "😀é"; time.sleep(1)\n';
    const a = analyzePython(parser, src, settings());
    const f = a.findings.find((x) => x.code === 'AW201')!;
    assert.equal(f.startPosition.line, 2);
    assert.equal(f.startPosition.column, src.split('\n')[2].indexOf('time.sleep'));
    a.dispose();
  });
});
