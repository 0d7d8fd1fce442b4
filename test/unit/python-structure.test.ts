/**
 * structure.ts finds a file's scopes and imports by text, confirmed by one forward tree cursor, in
 * place of a query over the whole tree. These tests hold it to the query's answer — on every Python
 * fixture, on those fixtures cut and spliced at random (half-typed code, keywords in strings and
 * comments, non-ASCII text) — and to linear cost on input a walk could go quadratic or loop on.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Tree } from 'web-tree-sitter';
import type { PythonParser } from '../../src/python/parser';
import { LineIndex } from '../../src/core/finding';
import { ancestors } from '../../src/python/ancestors';
import { asyncCalls, asyncCallsOf, inGeneratorExpression } from '../../src/python/calls';
import { PythonContext } from '../../src/python/context';
import { findStructure } from '../../src/python/structure';
import { droppedCalls } from '../../src/rules/unawaited-coroutine';
import { random } from '../../bench/generate';
import { loadParser, repoRoot, settings } from './helpers';

/** The query structure.ts replaced: what it must find. */
const REFERENCE = `
(function_definition "async"? @async body: (block) @body) @scope
(lambda body: (_) @body) @scope
(class_definition body: (block) @body) @scope
(import_statement) @import
(import_from_statement) @from
`;

function byQuery(parser: PythonParser, tree: Tree): { scopes: string[]; imports: string[] } {
  const scopes = new Set<string>();
  const imports = new Set<string>();
  for (const match of parser.query(REFERENCE).matches(tree.rootNode)) {
    let scope;
    let body;
    let isAsync = false;
    for (const c of match.captures) {
      if (c.name === 'scope') scope = c.node;
      else if (c.name === 'body') body = c.node;
      else if (c.name === 'async') isAsync = true;
      else imports.add(`${c.node.type}@${c.node.startIndex}`);
    }
    if (!scope || !body) continue;
    const kind = scope.type === 'lambda' ? 'lambda' : scope.type === 'class_definition' ? 'class' : isAsync ? 'async-function' : 'function';
    scopes.add(`${kind}@${scope.startIndex}:${body.startIndex}-${body.endIndex}`);
  }
  return { scopes: [...scopes].sort(), imports: [...imports].sort() };
}

function bySweep(tree: Tree, source: string): { scopes: string[]; imports: string[] } {
  const found = findStructure(tree, source);
  return {
    scopes: [...new Set(found.scopes.map((s) => `${s.kind}@${s.node.startIndex}:${s.start}-${s.end}`))].sort(),
    imports: [...new Set(found.imports.map((n) => `${n.type}@${n.startIndex}`))].sort(),
  };
}

function pythonFixtures(): string[] {
  const root = path.join(repoRoot(), 'test', 'fixtures');
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.py')) out.push(file);
    }
  };
  walk(root);
  return out.sort();
}

const SPLICES = ['def ', 'async def f(', 'lambda', 'lambda: ', 'class C:', 'import x\n', 'from . import y\n', '# def lambda import\n', '"""class def"""', "'lambda'", 'é😀', '(', ')', ':\n    ', '\n', '\\\n', 'undef', 'classes', 'f"{lambda: 1}"'];

function mutate(text: string, rng: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(rng() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rng() * (out.length + 1));
    const cut = rng() < 0.5 ? Math.floor(rng() * 40) : 0;
    const insert = rng() < 0.7 ? SPLICES[Math.floor(rng() * SPLICES.length)] : '';
    out = out.slice(0, at) + insert + out.slice(at + cut);
  }
  return out;
}

describe('Python structure (scopes and imports) found by text and tree', () => {
  it('finds what the whole-tree query finds, on every Python fixture', async () => {
    const parser = await loadParser();
    const files = pythonFixtures();
    assert.ok(files.length > 100, `${files.length} fixtures`);
    for (const file of files) {
      const source = fs.readFileSync(file, 'utf8');
      const tree = parser.parse(source);
      assert.deepEqual(bySweep(tree, source), byQuery(parser, tree), path.relative(repoRoot(), file));
      tree.delete();
    }
  });

  it('finds what the query finds on 1,500 fixtures cut and spliced at random (half-typed code, keywords in strings and comments, non-ASCII)', async () => {
    const parser = await loadParser();
    const files = pythonFixtures().map((f) => fs.readFileSync(f, 'utf8'));
    for (let seed = 1; seed <= 1500; seed++) {
      const rng = random(seed);
      const source = mutate(files[Math.floor(rng() * files.length)], rng);
      const tree = parser.parse(source);
      assert.deepEqual(bySweep(tree, source), byQuery(parser, tree), `seed ${seed}:\n${source.slice(0, 2000)}`);
      tree.delete();
    }
  });

  it('asyncCallsOf (names found in the text) finds the calls the query with #any-of? found, on the fixtures and 1,500 spliced ones', async () => {
    const parser = await loadParser();
    const methods = ['run', 'run_until_complete', 'run_forever', 'sleep', 'get', 'create_task'];
    const names = ['run', 'sleep', 'print', 'open'];
    const anyOf = (capture: string, values: readonly string[]) => `(#any-of? @${capture} ${values.map((v) => JSON.stringify(v)).join(' ')})`;
    const query = `(call function: (attribute attribute: (identifier) @method) @callee arguments: (argument_list) @args ${anyOf('method', methods)}) @call
(call function: (identifier) @callee arguments: (argument_list) @args ${anyOf('callee', names)}) @call`;
    const files = pythonFixtures().map((f) => fs.readFileSync(f, 'utf8'));
    let calls = 0;
    const sources = [...files, ...Array.from({ length: 1500 }, (_, i) => {
      const rng = random(10_000 + i);
      return mutate(files[Math.floor(rng() * files.length)], rng);
    })];
    for (const [i, source] of sources.entries()) {
      const tree = parser.parse(source);
      const ctx = new PythonContext(parser, tree, source, new LineIndex(source), settings());
      const expected = ctx
        .matchesInAsync(query)
        .map((m) => m.captures.find((c) => c.name === 'call')!.node)
        .filter((call) => ctx.isAsync(call))
        .map((call) => `${call.startIndex}:${call.parent?.type === 'await'}`)
        .sort();
      const actual = asyncCallsOf(ctx, methods, names).map((c) => `${c.call.startIndex}:${c.awaited}`).sort();
      assert.deepEqual(actual, expected, `source ${i}:\n${source.slice(0, 2000)}`);
      calls += actual.length;
      tree.delete();
    }
    assert.ok(calls > 300, `${calls} calls compared`);
  });

  it('AW301\'s dropped calls (one cursor over the candidate lines) are what a query per line found, on the fixtures and 1,500 spliced ones', async () => {
    const parser = await loadParser();
    const DROPPED = `
(expression_statement (call function: [(identifier) (attribute)] @callee arguments: (argument_list)) @call)
(expression_statement (assignment left: (identifier) @discard right: (call function: [(identifier) (attribute)] @callee arguments: (argument_list)) @call))`;
    const STATEMENT_CALL = /^[ \t]*(?:_[ \t]*=[ \t]*)?((?:[A-Za-z_]\w*(?:[ \t]*\([^()\n]*\))?[ \t]*\.[ \t]*)*[A-Za-z_]\w*)[ \t]*\(/gm;
    const files = pythonFixtures().map((f) => fs.readFileSync(f, 'utf8'));
    const sources = [...files, 'f(); _ = g(); h(\n  1), k()\nx = 1; f()\n_ = \\\n  f()\n', ...Array.from({ length: 1500 }, (_, i) => {
      const rng = random(20_000 + i);
      return mutate(files[Math.floor(rng() * files.length)], rng);
    })];
    let compared = 0;
    let clean = 0;
    for (const [i, raw] of sources.entries()) {
      const source = raw.replace(/\r\n?/g, '\n');
      const tree = parser.parse(source);
      const ctx = new PythonContext(parser, tree, source, new LineIndex(source), settings());
      const expected: string[] = [];
      const rows = new Set<number>();
      for (const m of source.matchAll(STATEMENT_CALL)) rows.add(source.slice(0, m.index).split('\n').length - 1);
      for (const row of rows) {
        for (const match of parser.query(DROPPED).matches(tree.rootNode, { startPosition: { row, column: 0 }, endPosition: { row: row + 1, column: 0 } })) {
          const call = match.captures.find((c) => c.name === 'call')!.node;
          if (call.startPosition.row !== row) continue;
          expected.push(`${call.startIndex}:${match.captures.find((c) => c.name === 'discard')?.node.text ?? ''}`);
        }
      }
      const actual = droppedCalls(ctx, { has: () => true }).map((d) => `${d.call.startIndex}:${d.discard?.text ?? ''}`);
      assert.deepEqual([...new Set(actual)].sort(), [...new Set(expected)].sort(), `source ${i}:\n${source.slice(0, 2000)}`);
      compared += actual.length;
      if (!tree.rootNode.hasError) clean += actual.length;
      tree.delete();
    }
    assert.ok(compared > 500, `${compared} dropped calls compared`);
    // Trees with syntax errors take the per-line query: the cursor must have met enough calls.
    assert.ok(clean > 300, `${clean} dropped calls compared in files without syntax errors`);
  });

  it('inGeneratorExpression (intervals) answers as the walk up the ancestors did, for every call in async code', async () => {
    const parser = await loadParser();
    const handmade = [
      'import time\nasync def f(z):\n    a = list(time.sleep(1) for _ in z)\n    b = (x for x in (lambda: (time.sleep(2) for _ in z))())\n    c = [time.sleep(3) for _ in z]\n    d = ((time.sleep(4) for _ in y) for y in z)\n    async def g():\n        return (time.sleep(5) for _ in z)\n',
      'import time\nx = (time.sleep(1) for _ in z)\nasync def f():\n    return sum(time.sleep(2) for _ in range(3)) + time.sleep(3)\n',
    ];
    const files = pythonFixtures().map((f) => fs.readFileSync(f, 'utf8'));
    const sources = [...handmade, ...files, ...Array.from({ length: 500 }, (_, i) => {
      const rng = random(30_000 + i);
      return mutate(files[Math.floor(rng() * files.length)], rng);
    })];
    let inside = 0;
    let calls = 0;
    for (const source of sources) {
      const tree = parser.parse(source);
      const ctx = new PythonContext(parser, tree, source, new LineIndex(source), settings());
      for (const { call } of asyncCalls(ctx)) {
        const fn = ctx.scopes.functionAt(call.startIndex);
        let expected = false;
        for (const n of ancestors(call)) {
          if (fn && n.startIndex <= fn.node.startIndex) break;
          if (n.type === 'generator_expression') {
            expected = true;
            break;
          }
        }
        assert.equal(inGeneratorExpression(ctx, call), expected, `${call.text} at ${call.startIndex} in:\n${source.slice(0, 1500)}`);
        calls++;
        if (expected) inside++;
      }
      tree.delete();
    }
    assert.ok(calls > 1000 && inside >= 4, `${calls} calls, ${inside} in a generator expression`);
  });

  it('a keyword in a comment after non-ASCII text, on a leaf, ends the walk (the cursor call it used once looped forever there)', async () => {
    const parser = await loadParser();
    const source = 'async def outer():\n    def inner():\n        time.sleep(1)  # ok\n\n    callback = lambda: time.sleep(1)  # ok: lambda \uFFFD\uFFFDbody is sync\n';
    const tree = parser.parse(source);
    assert.deepEqual(bySweep(tree, source), byQuery(parser, tree));
    tree.delete();
  });

  it('costs time linear in the file: 100,000 defs in one module, 100,000 lambdas in one list, lambdas 2,000 deep, 100,000 keywords in a string or in comments', async () => {
    const parser = await loadParser();
    const cases: [string, string, number][] = [
      ['defs', Array.from({ length: 100_000 }, (_, i) => `def f${i}(): pass\n`).join(''), 100_000],
      ['lambdas', `x = [${Array(100_000).fill('lambda: 1').join(', ')}]\n`, 100_000],
      ['nested lambdas', `x = ${'lambda: '.repeat(2000)}1\n`, 2000],
      ['keywords in one string', `x = "${'lambda def class import '.repeat(25_000)}"\n`, 0],
      ['keywords in comments', '# def lambda import\n'.repeat(100_000), 0],
    ];
    for (const [what, source, count] of cases) {
      const tree = parser.parse(source);
      const started = performance.now();
      const found = findStructure(tree, source);
      const seconds = (performance.now() - started) / 1000;
      assert.equal(found.scopes.length, count, what);
      // Linear is well under a second here (quadratic was minutes); generous for a loaded machine.
      assert.ok(seconds < 20, `${what}: ${seconds.toFixed(1)} s`);
      tree.delete();
    }
  });
});
