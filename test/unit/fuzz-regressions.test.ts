/**
 * Regression tests for what the fuzz campaign of issue 12 found in the engines: half-typed code that
 * crashed a rule, input nested or repeated deeply enough to overflow the stack, fixes that broke
 * the file or never converged, one bad file aborting a run, and cost quadratic in a file's findings.
 * Each test names the item of the issue it guards.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderText } from '../../src/cli/report';
import { LineIndex, type Finding, type Fix } from '../../src/core/finding';
import { fixToFixedPoint, type FixableAnalysis } from '../../src/core/fixAll';
import { Deadline, TimeBudgetExceeded } from '../../src/core/budget';
import { PythonDocument } from '../../src/python/document';
import { AnalysisCache } from '../../src/tsplugin/analysis';
import { combinedFix } from '../../src/tsplugin/fixes';
import { analyzeTypeScript } from '../../src/typescript/analyze';
import { analyzePython, PythonAnalysis } from '../../src/python/analyze';
import type { Rule } from '../../src/rules/define';
import { loadParser, repoRoot, settings } from './helpers';
import { MemoryLanguageService, parseAlone, parseErrors, typescriptVersions } from './ts-harness';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** Every rule on (hints too), so each rule meets the input. */
function allRules() {
  return settings({ hints: true });
}

/** Analyses `source` and returns the rules that threw, with their errors. */
async function ruleFailures(source: string): Promise<string[]> {
  const parser = await loadParser();
  const failures: string[] = [];
  const a = analyzePython(parser, source, allRules(), { onRuleError: (rule: Rule, error: unknown) => failures.push(`${rule.code}: ${String(error)}`) });
  for (const f of a.findings) a.validFixes(f);
  a.dispose();
  return failures;
}

function cli(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  // The samples' rules (AW201, AW101…) are hints by default: --hints reports them.
  const r = spawnSync(process.execPath, [CLI, ...(args[0] === 'check' ? ['check', '--hints', ...args.slice(1)] : args)], { cwd, encoding: 'utf8', env: { ...process.env, ASYNCWISE_WORKERS: '1' }, timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let scratch: string;
before(() => {
  if (!fs.existsSync(CLI)) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `building dist/cli.js failed: ${build.stderr}`);
  }
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-fuzz-'));
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A fresh folder under the scratch folder holding `files`. */
function project(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('issue 12 item 1: half-typed and deeply repeated Python', () => {
  it('a handler with no body yet (what the editor sees mid-keystroke) crashes no rule', async () => {
    const inputs = [
      'async def f():\n    try:\n        await g()\n    except BaseException:\n',
      'async def f():\n    while True:\n        try:\n            await g()\n        except BaseException:\n',
      'import asyncio\nasync def f():\n    while True:\n        try:\n            await g()\n        except asyncio.CancelledError:\n',
      'async def f():\n    while True:\n        try:\n            await g()\n        except:',
      'import asyncio\nasync def f():\n    t = asyncio.create_task(g()) if a else\n',
      'async def f():\n    for x in xs:\n        await\n',
      'async def f():\n    while not x.:\n        await asyncio.sleep(1)\n',
    ];
    for (const input of inputs) assert.deepEqual(await ruleFailures(input), [], JSON.stringify(input));
  });

  it('a 100k-long attribute chain and 140k calls in one function overflow no stack', async () => {
    const chain = 'a' + '.b'.repeat(100_000);
    assert.deepEqual(await ruleFailures(`import time\nasync def f():\n    x = ${chain}()\n    await ${chain}\n    time.sleep(1)\n`), []);
    assert.deepEqual(await ruleFailures('async def f():\n' + '    g()\n'.repeat(140_000)), []);
    assert.deepEqual(await ruleFailures('async def f():\n    ' + Array(50_000).fill('g()').join('; ') + '\n'), []);
  });

  it('the summary never says "All checks passed." beside a failed file', () => {
    assert.equal(renderText([], { color: false }, 1), '1 file could not be fully checked (errors above).\n');
    assert.equal(renderText([], { color: false }, 0), 'All checks passed.\n');
  });

  it('the CLI reports the half-typed handler as a finding, not as an internal error', () => {
    const dir = project('half-typed', { 'half.py': 'async def f():\n    while True:\n        try:\n            await g()\n        except BaseException:\n' });
    const r = cli(['check', '--no-cache', '--select', 'AW101', 'half.py'], dir);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 1);
    assert.match(r.stdout, /half\.py:5:9: AW101/);
  });
});

describe('issue 12 item 4: one bad TS/JS file is that file\'s error', () => {
  it('a file TypeScript cannot parse ("Debug Failure") or nests 800 parentheses deep fails alone; the others are reported', () => {
    const dir = project('bad-ts', {
      'bad.js': '@c await\n',
      // The fuzz campaign's shape of the same TypeScript parser failure.
      'bad2.js': 'async function f() {\n  @1await \n}\n',
      'deep.js': `const x = ${'('.repeat(800)}1${')'.repeat(800)};\n`,
      'ok.js': "const { execSync } = require('child_process');\nasync function build() {\n  execSync('make');\n}\nmodule.exports = { build };\n",
    });
    const r = cli(['check', '--no-cache', '--hints', '.'], dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /ok\.js:3:3: AW201/);
    assert.match(r.stdout, /could not be fully checked/);
    assert.doesNotMatch(r.stdout, /All checks passed/);
    // TypeScript's own parser throws there: said plainly, not as asyncwise's internal error.
    assert.match(r.stderr, /^asyncwise: could not check bad\.js: TypeScript's parser fails on this file \(Debug Failure\. False expression\.\)$/m);
    assert.doesNotMatch(r.stderr.split('\n').filter((l) => l.includes('bad.js')).join('\n'), /internal error|\n\s+at /);
    // The failed file alone: no problem found, yet the run is not "passed".
    const alone = cli(['check', '--no-cache', 'bad.js'], dir);
    assert.equal(alone.status, 2);
    assert.equal(alone.stdout, '1 file could not be fully checked (errors above).\n');
  });

  it('with --fix, the other files are fixed and the report is printed', () => {
    const dir = project('bad-ts-fix', {
      'a-bad.js': '@c await\n',
      'b.ts': "import * as fs from 'node:fs';\nexport async function run(path: string): Promise<string> {\n  return fs.readFileSync(path, 'utf8');\n}\n",
    });
    const r = cli(['check', '--no-cache', '--hints', '--fix', '.'], dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /could not check a-bad\.js/);
    assert.match(r.stderr, /Fixed 1 problem in 1 file\./);
    assert.equal(fs.readFileSync(path.join(dir, 'a-bad.js'), 'utf8'), '@c await\n');
    assert.match(fs.readFileSync(path.join(dir, 'b.ts'), 'utf8'), /await fs\.promises\.readFile\(path, 'utf8'\)/);
  });
});

describe('issue 12 item 10: cost linear in a file\'s findings', () => {
  /** A finding over `start..end` with the given fixes (the engine's shape, no rule needed). */
  function finding(start: number, end: number, fixes: Fix[]): Finding {
    return { code: 'AW999', rule: 'test', messageId: 'm', message: 'm', severity: 'warning', start, end, startPosition: { line: 0, column: start }, endPosition: { line: 0, column: end }, fixes };
  }

  it('checks every finding\'s fixes together, and still drops exactly the ones that would not parse', async () => {
    const parser = await loadParser();
    const lines = Array.from({ length: 200 }, (_, i) => `x${i} = f(${i})\n`);
    const source = lines.join('');
    const findings: Finding[] = [];
    let offset = 0;
    const bad = new Set([3, 77, 78, 150]);
    for (let i = 0; i < lines.length; i++) {
      const call = offset + lines[i].indexOf('f(');
      const edits = bad.has(i) ? [{ start: call, end: call + 2, newText: 'f((' }] : [{ start: call, end: call + 1, newText: 'g' }];
      findings.push(finding(call, call + 1, [{ title: bad.has(i) ? 'bad' : 'good', safety: 'safe', edits }]));
      offset += lines[i].length;
    }
    const analysis = new PythonAnalysis(parser, source, findings, undefined);
    analysis.verifyAllFixes();
    findings.forEach((f, i) => assert.equal(analysis.validFixes(f).length, bad.has(i) ? 0 : 1, `line ${i}`));
    const { text, applied } = analysis.fixAll(false);
    assert.equal(applied, 196);
    assert.equal(text.split('g(').length - 1, 196);
    analysis.dispose();
  });

  it('a file with 2,000 findings is checked, and fixed, in time linear in its findings (was 47 s)', () => {
    const many = (n: number) => 'import time\n' + Array.from({ length: n }, (_, i) => `async def f${i}():\n    time.sleep(1)\n`).join('');
    const dir = project('many-findings', { 'many.py': many(2000), 'some.py': many(200) });
    const timed = (args: string[]) => {
      const started = performance.now();
      const result = cli(args, dir);
      return { result, seconds: (performance.now() - started) / 1000 };
    };
    const check = timed(['check', '--no-cache', 'many.py']);
    assert.equal(check.result.status, 1, check.result.stderr);
    assert.match(check.result.stdout, /Found 2000 problems \(2000 fixable with --fix\) in 1 file\./);
    const fix = timed(['check', '--no-cache', '--fix', 'many.py']);
    assert.match(fix.result.stderr, /Fixed 2000 problems in 1 file\./);
    assert.equal(fs.readFileSync(path.join(dir, 'many.py'), 'utf8').split('await asyncio.sleep(1)').length - 1, 2000);
    const checkSome = timed(['check', '--no-cache', 'some.py']);
    const fixSome = timed(['check', '--no-cache', '--fix', 'some.py']);
    assert.match(fixSome.result.stderr, /Fixed 200 problems in 1 file\./);
    // Wall time on a busy two-core machine says little alone (measured ~1.1 s and ~1.5 s quiet, 15 s
    // at load 10), so the check is the growth: ten times the findings cost about twice the time here
    // (process start-up dominates), where per-finding re-parsing cost ~50 times. The absolute bound only
    // catches a hang.
    for (const [what, big, small] of [['check', check, checkSome], ['--fix', fix, fixSome]] as const) {
      assert.ok(big.seconds < 12 * small.seconds, `${what}: 2,000 findings took ${big.seconds.toFixed(1)} s, 200 took ${small.seconds.toFixed(1)} s`);
      assert.ok(big.seconds < 120, `${what} took ${big.seconds.toFixed(1)} s`);
    }
  });
});

/** The fastest of three analyses of `text` (every rule on, syntax-only), each checked to fail no rule and by `check`. */
function fastestAnalysis(ts: typeof import('typescript'), name: string, text: string, check: (findings: readonly Finding[]) => void = () => {}): number {
  const file = parseAlone(ts, name, text);
  let fastest = Infinity;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const analysis = analyzeTypeScript(ts, file, allRules());
    fastest = Math.min(fastest, performance.now() - started);
    assert.deepEqual(analysis.errors, []);
    check(analysis.findings);
  }
  return fastest;
}

describe('issue 12 item 10 (TS/JS): cost linear in a file\'s functions and calls', () => {
  /** `n` async functions of eight calls each to a `declare function` (no body: no local function). */
  const calls = (n: number) => 'declare function helper(n: number): number;\n' + Array.from({ length: n }, (_, f) => `export async function f${f}(signal: AbortSignal) {\n${Array.from({ length: 8 }, (_, c) => `  helper(${c});\n`).join('')}}\n`).join('');

  for (const { label, ts } of typescriptVersions()) {
    it(`sixteen times the functions cost about sixteen times the time, not 256 (${label})`, () => {
      // Each call's name was looked up by rescanning the file's statements past the bodyless
      // declaration: 2,000 functions took 1.7 s where 250 took 47 ms. Times are the best of three;
      // the bound (60x, where 13–22x is measured) leaves room for a loaded machine, and the quadratic
      // lookup measured 153x.
      const small = fastestAnalysis(ts, 'calls.ts', calls(250));
      const big = fastestAnalysis(ts, 'calls.ts', calls(4000));
      assert.ok(big < 60 * small, `4,000 functions took ${big.toFixed(0)} ms, 250 took ${small.toFixed(0)} ms`);
    });
  }

  /**
   * `fanOut` dropped calls of async functions whose guards call `fanOut` sync helpers, each calling
   * `fanOut` more, each calling `fanOut` trivial ones: whether each async function can reject reads
   * those helpers (AW301, three calls deep).
   */
  const helpers = (fanOut: number) => {
    const n = 60;
    const lines: string[] = [];
    const calls = (name: (j: number) => string) => Array.from({ length: fanOut }, (_, j) => `  ${name(j)}();`).join('\n');
    for (let i = 0; i < n; i++) {
      lines.push(`function h${i}() {\n${calls((j) => `h${(i * 7 + j) % n}b`)}\n}`, `function h${i}b() {\n${calls((j) => `h${(i * 3 + j) % n}c`)}\n}`, `function h${i}c() { return ${i}; }`);
      lines.push(`async function a${i}() {\n${calls((j) => `h${(i + j) % n}`)}\n  try { await fetch('x'); } catch {}\n}`);
    }
    lines.push(`export function run() {\n${Array.from({ length: n }, (_, i) => `  a${i}();`).join('\n')}\n}`);
    return lines.join('\n') + '\n';
  };

  it('AW301 reads each sync helper once per depth, not once per call path (60 functions x 30 x 30 x 30 helpers ran past the 5 s budget)', () => {
    const { ts } = typescriptVersions()[0];
    // Every helper is plain code: no async function can reject, so no dropped call is reported.
    const time = (fanOut: number) => fastestAnalysis(ts, 'helpers.js', helpers(fanOut), (findings) => assert.deepEqual(findings.filter((f) => f.code === 'AW301'), []));
    const small = time(8);
    const big = time(32);
    // Four times the calls per function: about 4x (measured), 64x when every call path was read.
    assert.ok(big < 20 * small, `fan-out 32 took ${big.toFixed(0)} ms, fan-out 8 took ${small.toFixed(0)} ms`);
  });
});

describe('issue 12 item 2: a fix is written only if CPython would accept the result', () => {
  it('counts lines as CPython does: \\n, \\r\\n and a lone \\r each end one', () => {
    const lines = new LineIndex('a\rb\r\nc\nd');
    assert.equal(lines.lineCount, 4);
    assert.deepEqual([0, 2, 5, 7].map((o) => lines.position(o).line), [0, 1, 2, 3]);
    assert.deepEqual([0, 1, 2, 3].map((l) => lines.lineText(l)), ['a', 'b', 'c', 'd']);
  });

  it('reads a statement after a lone CR as CPython does, so no fix rewrites what it misread', async () => {
    const parser = await loadParser();
    // To tree-sitter alone, `# wait\r    await asyncio.wait([` is one comment, and the task in the
    // list looked like a dropped one: AW302's fix wrote `task = …,` inside the list.
    const source = 'import asyncio\nasync def f():\n    # wait\r    await asyncio.wait([\n asyncio.create_task(g()), ])\n';
    const a = analyzePython(parser, source, allRules());
    assert.deepEqual(a.findings.map((f) => f.code), []);
    a.dispose();
    // A blocking call after a lone CR: found on its CPython line, and fixed in place.
    const blocking = 'import asyncio\nimport time\nasync def f():\n    x = 1\r    time.sleep(1)\n';
    const b = analyzePython(parser, blocking, allRules());
    const sleep = b.findings.find((f) => f.code === 'AW201');
    assert.ok(sleep);
    assert.deepEqual(sleep.startPosition, { line: 4, column: 4 });
    assert.equal(b.fixAll(false).text, 'import asyncio\nimport time\nasync def f():\n    x = 1\r    await asyncio.sleep(1)\n');
    b.dispose();
  });

  it('rejects a fix that leaves a block empty (tree-sitter hides it; CPython: "expected an indented block")', async () => {
    const parser = await loadParser();
    const source = 'async def f():\n    if x:\n        y()\n    z()\n';
    const at = source.indexOf('        y()');
    const dedent: Fix = { title: 'dedent', safety: 'safe', edits: [{ start: at, end: at + 4, newText: '' }] };
    const keep: Fix = { title: 'rename', safety: 'safe', edits: [{ start: source.indexOf('z()'), end: source.indexOf('z()') + 1, newText: 'w' }] };
    const findings: Finding[] = [dedent, keep].map((fix) => ({ code: 'AW999', rule: 'test', messageId: 'm', message: 'm', severity: 'warning', start: fix.edits[0].start, end: fix.edits[0].end, startPosition: { line: 0, column: 0 }, endPosition: { line: 0, column: 0 }, fixes: [fix] }));
    const analysis = new PythonAnalysis(parser, source, findings, undefined);
    assert.deepEqual(analysis.validFixes(findings[0]), []);
    assert.deepEqual(analysis.validFixes(findings[1]), [keep]);
    assert.equal(analysis.fixAll(false).text, 'async def f():\n    if x:\n        y()\n    w()\n');
    analysis.dispose();
  });
});

describe('issue 12 item 3: every fix round converges', () => {
  const broken = {
    'unterminated string': "export async function f(signal: AbortSignal) {\n  await fetch('u",
    'catch without a block': "export async function f(signal: AbortSignal) {\n  try {\n    await fetch('u', { signal });\n  } catch (e)\n}\n",
  };
  for (const { label, ts } of typescriptVersions()) {
    it(`offers no TS/JS fix inside a statement that does not parse (${label})`, () => {
      for (const [name, text] of Object.entries(broken)) {
        const analysis = analyzeTypeScript(ts, parseAlone(ts, 'a.ts', text), allRules());
        assert.ok(analysis.findings.length > 0, `${name}: still reported`);
        assert.deepEqual(analysis.findings.flatMap((f) => f.fixes), [], `${name}: no fix`);
      }
      // A fix elsewhere in the same file is still offered.
      const elsewhere = "import * as fs from 'node:fs';\nexport async function g(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n" + broken['unterminated string'];
      const analysis = analyzeTypeScript(ts, parseAlone(ts, 'a.ts', elsewhere), allRules());
      assert.ok(analysis.findings.some((f) => f.code === 'AW201' && f.fixes.length > 0));
    });
  }

  it('the CLI\'s --fix leaves such files as they are, run after run', () => {
    const dir = project('ts-converge', { 'a.ts': broken['unterminated string'], 'b.ts': broken['catch without a block'] });
    for (let run = 0; run < 2; run++) cli(['check', '--no-cache', '--hints', '--fix', '.'], dir);
    assert.equal(fs.readFileSync(path.join(dir, 'a.ts'), 'utf8'), broken['unterminated string']);
    assert.equal(fs.readFileSync(path.join(dir, 'b.ts'), 'utf8'), broken['catch without a block']);
  });

  it('fix-all stops, and drops the round, when a round changes the text but not what is found', () => {
    let analyses = 0;
    const stuck = (source: string): FixableAnalysis => {
      analyses++;
      return { source, findings: [{ code: 'AW404', message: 'not given signal' }], fixAll: () => ({ text: `${source}, { signal }`, applied: 1 }), dispose: () => {} };
    };
    assert.deepEqual(fixToFixedPoint(stuck('fetch(u'), stuck, false), { text: 'fetch(u', applied: 0 });
    assert.equal(analyses, 2);
    // A round that fixes something counts; the next, stuck one, is dropped.
    const progressing = (source: string): FixableAnalysis => ({
      source,
      findings: source.includes('sleep') ? [{ code: 'AW201', message: 'blocks' }, { code: 'AW404', message: 'not given signal' }] : [{ code: 'AW404', message: 'not given signal' }],
      fixAll: () => (source.includes('sleep') ? { text: source.replace('sleep', 'await'), applied: 1 } : { text: `${source}!`, applied: 1 }),
      dispose: () => {},
    });
    assert.deepEqual(fixToFixedPoint(progressing('sleep'), progressing, false), { text: 'await', applied: 1 });
  });
});

describe('issue 12 item 1 (TS/JS): input nested deeply enough to overflow a recursive walk', () => {
  for (const { label, ts } of typescriptVersions()) {
    it(`a line of 10,000 calls, 3,000 nested ifs, 400 nested arrows and a 10,000-long attribute chain crash no rule (${label})`, () => {
      const inputs = [
        // The 100,000-input campaign (seed 11): a property chain overflowed the name resolver AW201 and AW404 share.
        `import * as fs from 'node:fs';\nexport async function f(signal: AbortSignal) {\n  a${'.b'.repeat(10_000)}();\n  fs${'.promises'.repeat(40)}.readFile('p');\n}\n`,
        `export async function f(signal: AbortSignal) {\n  const x = ${Array(10_000).fill('g()').join(' + ')};\n}\n`,
        `import * as fs from 'node:fs';\nexport async function f(signal: AbortSignal) {\n  ${'(async () => '.repeat(400)}fetch('u')${')'.repeat(400)};\n  fs.readFileSync('p');\n}\n`,
        `export async function f(signal: AbortSignal) {\n  try {\n    await fetch('u', { signal });\n  } catch (e) {\n    ${'if (x) '.repeat(3000)}log(e);\n  }\n}\n`,
      ];
      for (const text of inputs) {
        const analysis = analyzeTypeScript(ts, parseAlone(ts, 'deep.ts', text), allRules());
        assert.deepEqual(analysis.errors, [], text.slice(0, 80));
      }
      // (TypeScript's own parser recurses on nested arrows: a few hundred is what it parses.)
      // Still found beside the deep nesting: the walk did not stop early.
      const found = analyzeTypeScript(ts, parseAlone(ts, 'deep.ts', inputs[2]), allRules());
      assert.ok(found.findings.some((f) => f.code === 'AW201'));
    });
  }
});

describe('issue 12: a per-file time budget, after which a file\'s analysis is abandoned', () => {
  /** Awaits nested 1,500 deep: a rule walking up from each one cost about 40 s with no budget. */
  const DEEP = `import asyncio\nasync def f():\n    x = ${'await '.repeat(1500)}g()\n`;
  const OK = 'import time\nasync def f():\n    time.sleep(1)\n';

  it('the Python engine stops at the deadline, with TimeBudgetExceeded, and a later analysis works', async () => {
    const parser = await loadParser();
    let started = performance.now();
    assert.throws(() => analyzePython(parser, DEEP, allRules(), { deadline: new Deadline(0.3) }), TimeBudgetExceeded);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 10, `abandoned after ${seconds.toFixed(1)} s`);
    // A deadline already passed: the parse itself is cut short.
    started = performance.now();
    assert.throws(() => analyzePython(parser, OK, allRules(), { deadline: new Deadline(1e-9) }), TimeBudgetExceeded);
    // The editor's document model recovers: the next analysis (with time) finds the problem.
    const doc = new PythonDocument(parser, OK);
    assert.throws(() => doc.analyze(allRules(), { deadline: new Deadline(1e-9) }), TimeBudgetExceeded);
    assert.deepEqual(doc.analyze(allRules(), { deadline: new Deadline(30) }).findings.map((f) => f.code), ['AW201']);
    doc.dispose();
  });

  /** One expression of `n` calls: a left-deep tree of `n` binary operators. */
  const LINE = (n: number) => `import time\nasync def f():\n    x = ${Array(n).fill('g()').join(' + ')}\n`;

  it('a 40,000-term expression in a coroutine is analysed well within budget (asking each call for its parent was quadratic: 20,000 terms ran past 5 s)', async () => {
    const parser = await loadParser();
    const started = performance.now();
    const a = analyzePython(parser, LINE(40_000), allRules(), { deadline: new Deadline(30) });
    assert.deepEqual(a.findings, []);
    a.dispose();
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
  });

  it('a query running long (80,000 terms: tree-sitter\'s query cursor took 32 s) is stopped at the deadline, not after it', async () => {
    const parser = await loadParser();
    const started = performance.now();
    assert.throws(() => analyzePython(parser, LINE(80_000), allRules(), { deadline: new Deadline(0.5) }), TimeBudgetExceeded);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 15, `abandoned after ${seconds.toFixed(1)} s`);
  });

  it('fix checks asked for after the budget has run out get a budget of their own (the editor asks when the lightbulb opens)', async () => {
    const parser = await loadParser();
    // Long enough that tree-sitter consults the deadline during the fix checks' re-parse.
    const text = OK + 'def g(x):\n    return x + 1\n'.repeat(5_000);
    const a = analyzePython(parser, text, allRules(), { deadline: new Deadline(2) });
    // The analysis' own deadline passes before anyone asks for the fixes.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const [finding] = a.findings;
    assert.ok(finding);
    assert.deepEqual(a.validFixes(finding).map((f) => f.title), finding.fixes.map((f) => f.title));
    assert.ok(finding.fixes.length > 0);
    assert.equal(a.fixAll(false).applied, 1);
    a.dispose();
  });

  it('a parse cut short leaves nothing behind: the next file is parsed from its own text', async () => {
    const parser = await loadParser();
    // Large enough that tree-sitter asks the deadline before it is done.
    const big = 'import asyncio\nasync def f():\n' + '    for x in xs:\n        await g(x)\n'.repeat(20_000);
    assert.throws(() => analyzePython(parser, big, allRules(), { deadline: new Deadline(1e-9) }), TimeBudgetExceeded);
    const a = analyzePython(parser, OK, allRules());
    assert.equal(a.tree.rootNode.text, OK);
    assert.deepEqual(a.findings.map((f) => [f.code, f.startPosition.line]), [['AW201', 2]]);
    assert.equal(a.fixAll(true).text, 'import time\nimport asyncio\nasync def f():\n    await asyncio.sleep(1)\n');
    a.dispose();
  });

  it('the CLI reports the file with one line and exit 2, and checks the others; --time-budget and time-budget set it', () => {
    const dir = project('budget', { 'deep.py': DEEP, 'ok.py': OK });
    const started = performance.now();
    const r = cli(['check', '--no-cache', '--time-budget', '0.5', '.'], dir);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes('deep.py')).length, 1, r.stderr);
    assert.match(r.stderr, /^asyncwise: deep\.py: analysis abandoned after 0\.5 s \(the per-file time budget/m);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    assert.match(r.stdout, /ok\.py:3:5: AW201/);
    assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
    // The same from the configuration; with --fix nothing is written for the abandoned file.
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.asyncwise]\ntime-budget = 0.5\n');
    const fixed = cli(['check', '--no-cache', '--fix', '.'], dir);
    assert.equal(fixed.status, 2, fixed.stderr);
    assert.match(fixed.stderr, /deep\.py: analysis abandoned after 0\.5 s/);
    assert.equal(fs.readFileSync(path.join(dir, 'deep.py'), 'utf8'), DEEP);
    assert.match(fs.readFileSync(path.join(dir, 'ok.py'), 'utf8'), /await asyncio\.sleep\(1\)/);
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.asyncwise]\ntime-budget = "soon"\n');
    const bad = cli(['check', '--no-cache', '.'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /configuration error: .*time-budget: expected a number of seconds/);
    assert.equal(cli(['check', '--no-cache', '--time-budget', 'x', 'ok.py'], dir).status, 2);
  });

  for (const { label, ts } of typescriptVersions()) {
    it(`the tsserver plugin abandons the file with one log line; tsserver's answer stands (${label})`, () => {
      const ls = new MemoryLanguageService(ts);
      ls.set('budget/a.ts', "import * as fs from 'node:fs';\nexport async function f() {\n  fs.readFileSync('p');\n}\n");
      const { program } = ls.sourceFile('budget/a.ts');
      const fileName = path.resolve(ls.root, 'budget/a.ts');
      const logged: string[] = [];
      const cache = new AnalysisCache(ts, (m) => logged.push(m));
      const tight = settings({ timeBudget: 1e-9 });
      assert.deepEqual(cache.analyse(program, fileName, '1', tight)?.findings, []);
      assert.equal(logged.length, 1);
      assert.match(logged[0], /a\.ts: analysis abandoned after .* \(the per-file time budget.*; no asyncwise findings for this version$/);
      // Asked again for the same version: answered from the cache, not logged again.
      cache.analyse(program, fileName, '1', tight);
      assert.equal(logged.length, 1);
      assert.deepEqual(cache.analyse(program, fileName, '2', settings({ timeBudget: 0 }))?.findings.map((f) => f.code), ['AW201']);
    });
  }
});

describe('issue 12 item 10 (tsserver): fix-all over thousands of findings is checked once, not once per fix', () => {
  for (const { label, ts } of typescriptVersions()) {
    it(`getCombinedCodeFix over 3,000 AW201 findings takes seconds and keeps every fix (${label})`, () => {
      const text = "import * as fs from 'node:fs';\n" + Array.from({ length: 3000 }, (_, i) => `export async function r${i}(): Promise<string> {\n  return fs.readFileSync('f${i}.txt', 'utf8');\n}\n`).join('');
      const sourceFile = parseAlone(ts, 'many.ts', text);
      const analysis = analyzeTypeScript(ts, sourceFile, allRules());
      assert.equal(analysis.findings.filter((f) => f.code === 'AW201').length, 3000);
      const started = performance.now();
      const combined = combinedFix(ts, sourceFile, analysis.findings, 'AW201', false);
      const seconds = (performance.now() - started) / 1000;
      const edits = combined.changes[0].textChanges;
      assert.equal(edits.length, 3000);
      // Measured well under a second (was a re-parse per fix: minutes); room for a loaded machine.
      assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);
      let fixed = text;
      for (const e of [...edits].sort((a, b) => b.span.start - a.span.start)) fixed = fixed.slice(0, e.span.start) + e.newText + fixed.slice(e.span.start + e.span.length);
      assert.equal(parseErrors(ts, 'many.ts', fixed), 0);
      assert.equal(fixed.split('await fs.promises.readFile(').length - 1, 3000);
    });

    it(`fix-all drops only the fixes that would not parse, found by halving (${label})`, () => {
      const text = "import * as fs from 'node:fs';\nexport async function a() {\n  fs.readFileSync('a');\n}\nexport async function b() {\n  fs.readFileSync('b');\n}\n";
      const sourceFile = parseAlone(ts, 'two.ts', text);
      const analysis = analyzeTypeScript(ts, sourceFile, allRules());
      const [first, second] = analysis.findings.filter((f) => f.code === 'AW201');
      // The second finding's fix, made to break the syntax: the first is still applied.
      const broken = { ...second, fixes: [{ title: 'bad', safety: 'safe' as const, edits: [{ start: second.start, end: second.start, newText: '(((' }] }] };
      const combined = combinedFix(ts, sourceFile, [first, broken], 'AW201', false);
      assert.equal(combined.changes[0].textChanges.length, first.fixes[0].edits.length);
    });
  }
});
