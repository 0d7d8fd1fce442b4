/**
 * `npm run bench`: how fast asyncwise analyses Python, next to Ruff's WASM build running its ASYNC
 * rules on the same files, plus the editor path's per-keystroke latency. A script, not a test: it
 * prints a table (or, with `--json`, one JSON object) and asserts nothing.
 *
 *   node out/bench/bench.js [--corpus DIR]... [--cold-runs N] [--warm-runs N] [--edits N] [--json]
 *
 * Cold: wall time of a whole process, start to exit — `node dist/cli.js check --format json` versus a
 * small Node script that loads Ruff's wasm and checks every file (median of --cold-runs).
 * Warm: in-process, parser and Ruff workspace already loaded, every file analysed again (median of
 * --warm-runs, after one discarded warm-up pass).
 * Per edit: a 5,000-line async module in a `PythonDocument`, single-character keystrokes at varied
 * places, each followed by an analysis (incremental re-parse + all rules), as the editor does.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CATALOG } from '../src/core/catalog';
import { parseSettings, type Settings } from '../src/core/settings';
import { analyzePython, PYTHON_RULES } from '../src/python/analyze';
import { PythonDocument } from '../src/python/document';
import { PythonParser } from '../src/python/parser';
import type { Rule } from '../src/rules/define';
import { countLines, loadCorpus, pythonStdlib, type Corpus } from './corpus';
import { generateAsyncModule, keystrokes } from './generate';

interface Options {
  corpora: string[];
  coldRuns: number;
  warmRuns: number;
  edits: number;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { corpora: [], coldRuns: 3, warmRuns: 5, edits: 200, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--corpus') opts.corpora.push(path.resolve(value()));
    else if (arg === '--cold-runs') opts.coldRuns = positiveInt(arg, value());
    else if (arg === '--warm-runs') opts.warmRuns = positiveInt(arg, value());
    else if (arg === '--edits') opts.edits = positiveInt(arg, value());
    else if (arg === '--json') opts.json = true;
    else throw new Error(`unknown option ${arg} (expected --corpus DIR, --cold-runs N, --warm-runs N, --edits N, --json)`);
  }
  return opts;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${text}`);
  return n;
}

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'core'))) return dir;
    if (dir === path.dirname(dir)) throw new Error('repository root not found');
  }
}

const TARGET = '3.9';

// ---------------------------------------------------------------------------------------------
// Statistics

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

interface Throughput {
  /** Median wall time in milliseconds. */
  readonly ms: number;
  readonly runsMs: readonly number[];
  readonly filesPerSec: number;
  readonly linesPerSec: number;
  readonly mbPerSec: number;
  /** Findings of the run (asyncwise: all rules; Ruff: ASYNC codes), to show both did the work. */
  readonly findings: number;
}

function throughput(corpus: Corpus, runsMs: readonly number[], findings: number): Throughput {
  const ms = median(runsMs);
  const s = ms / 1000;
  return { ms, runsMs, filesPerSec: corpus.files.length / s, linesPerSec: corpus.lines / s, mbPerSec: corpus.bytes / 1e6 / s, findings };
}

// ---------------------------------------------------------------------------------------------
// Cold: whole processes

/** The Ruff side of the cold run: a Node script doing what a minimal Ruff-WASM CLI would do. */
function ruffRunnerSource(ruffModule: string): string {
  return `'use strict';
const fs = require('node:fs');
const { Workspace, PositionEncoding } = require(${JSON.stringify(ruffModule)});
const files = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const workspace = new Workspace({ 'target-version': 'py${TARGET.replace('.', '')}', lint: { select: ['ASYNC'] } }, PositionEncoding.Utf16);
const out = [];
for (const file of files) {
  for (const d of workspace.check(fs.readFileSync(file, 'utf8'))) {
    out.push({ file, code: d.code, line: d.start_location.row, column: d.start_location.column, message: d.message });
  }
}
process.stdout.write(JSON.stringify(out));
`;
}

interface ColdResult {
  readonly ms: number;
  readonly findings: number;
}

function timeProcess(args: readonly string[], cwd: string, countFindings: (stdout: string) => number): ColdResult {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  // asyncwise exits 1 when it finds something; anything else is a failure of the run.
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ').slice(0, 200)} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return { ms, findings: countFindings(r.stdout) };
}

function coldRuns(corpus: Corpus, runs: number, tmp: string): { asyncwise: Throughput; ruff: Throughput } {
  const root = repoRoot();
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`node esbuild.js\` first`);
  const fileList = path.join(tmp, 'files.json');
  fs.writeFileSync(fileList, JSON.stringify(corpus.files.map((f) => f.path)));
  const runner = path.join(tmp, 'ruff-runner.js');
  fs.writeFileSync(runner, ruffRunnerSource(require.resolve('@astral-sh/ruff-wasm-nodejs')));

  // The exact file list on the command line when it fits (explicit files are always checked),
  // otherwise the corpus folders, which the CLI walks to the same files.
  const paths = corpus.files.map((f) => f.path);
  const argBytes = paths.reduce((n, p) => n + p.length + 1, 0);
  const cliPaths = argBytes < 1_000_000 ? paths : [...corpus.roots];
  // --no-cache: a cold run analyses everything (cached runs are measured by bench/cli-scale.ts).
  const cliArgs = [cli, 'check', '--no-cache', '--format', 'json', '--target-version', TARGET, '--', ...cliPaths];
  const count = (stdout: string) => (JSON.parse(stdout) as unknown[]).length;
  const countRuff = (stdout: string) => (JSON.parse(stdout) as { code: string | null }[]).filter((d) => d.code?.startsWith('ASYNC')).length;

  const a: ColdResult[] = [];
  const r: ColdResult[] = [];
  // Interleaved, so a noisy moment of the machine hits both sides alike.
  for (let i = 0; i < runs; i++) {
    a.push(timeProcess(cliArgs, root, count));
    r.push(timeProcess([runner, fileList], root, countRuff));
  }
  return {
    asyncwise: throughput(corpus, a.map((x) => x.ms), a[0].findings),
    ruff: throughput(corpus, r.map((x) => x.ms), r[0].findings),
  };
}

// ---------------------------------------------------------------------------------------------
// Warm: in process

interface RuffWorkspace {
  check(source: string): { code: string | null }[];
  free(): void;
}

async function warmRuns(corpus: Corpus, runs: number, parser: PythonParser, settings: Settings): Promise<{ asyncwise: Throughput; ruff: Throughput }> {
  const asyncwisePass = (): number => {
    let findings = 0;
    for (const file of corpus.files) {
      const analysis = analyzePython(parser, file.text, settings);
      // As the CLI does: `fixable` needs each finding's fixes checked to re-parse.
      for (const f of analysis.findings) analysis.validFixes(f);
      findings += analysis.findings.length;
      analysis.dispose();
    }
    return findings;
  };
  const ruff = require('@astral-sh/ruff-wasm-nodejs') as typeof import('@astral-sh/ruff-wasm-nodejs');
  const workspace = new ruff.Workspace({ 'target-version': `py${TARGET.replace('.', '')}`, lint: { select: ['ASYNC'] } }, ruff.PositionEncoding.Utf16) as unknown as RuffWorkspace;
  const ruffPass = (): number => {
    let findings = 0;
    for (const file of corpus.files) findings += workspace.check(file.text).filter((d) => d.code?.startsWith('ASYNC')).length;
    return findings;
  };
  const timeIt = (pass: () => number) => {
    const t0 = performance.now();
    const findings = pass();
    return { ms: performance.now() - t0, findings };
  };
  // One discarded pass each: JIT warm-up and first-touch of wasm memory.
  asyncwisePass();
  ruffPass();
  const a: { ms: number; findings: number }[] = [];
  const r: { ms: number; findings: number }[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(timeIt(asyncwisePass));
    r.push(timeIt(ruffPass));
  }
  workspace.free();
  return { asyncwise: throughput(corpus, a.map((x) => x.ms), a[0].findings), ruff: throughput(corpus, r.map((x) => x.ms), r[0].findings) };
}

// ---------------------------------------------------------------------------------------------
// Per edit: the editor path

interface EditLatency {
  readonly lines: number;
  readonly edits: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** A fresh, non-incremental parse + analysis of the same text, median of 20. */
  readonly fullMedianMs: number;
  /** The same, on the text as the edits left it (half-typed code), median of 5. */
  readonly fullEditedMedianMs: number;
  /** Keystrokes placed inside coroutine bodies (the common case while writing async code). */
  readonly inCoroutines: { readonly medianMs: number; readonly p95Ms: number; readonly windowedShare: number };
  /** Share of keystrokes the windowed path (one function re-analysed) handled. */
  readonly windowedShare: number;
  /** Of each edit, the incremental re-parse alone (median). */
  readonly parseMedianMs: number;
  /** Of each edit, each rule's own run (median per rule), to show where the time goes. */
  readonly ruleMedianMs: Readonly<Record<string, number>>;
  readonly findings: number;
}


function editLatency(parser: PythonParser, settings: Settings, edits: number): EditLatency {
  const text = generateAsyncModule(5000, 7);
  const fullRuns: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    const analysis = analyzePython(parser, text, settings);
    const ms = performance.now() - t0;
    analysis.dispose();
    if (i > 0) fullRuns.push(ms); // the first run warms the JIT
  }

  // Timing hooks for the breakdown: the parser instance's parse, and each rule through `rules`.
  let parseMs = 0;
  const ruleMs = new Map<string, number>();
  const parse = parser.parse.bind(parser);
  const timedParser = Object.create(parser) as PythonParser;
  timedParser.parse = (source, oldTree) => {
    const t0 = performance.now();
    try {
      return parse(source, oldTree);
    } finally {
      parseMs += performance.now() - t0;
    }
  };
  const rules = PYTHON_RULES.map((rule): Rule => ({
    ...rule,
    python: (ctx) => {
      const t0 = performance.now();
      try {
        rule.python!(ctx);
      } finally {
        ruleMs.set(rule.code, (ruleMs.get(rule.code) ?? 0) + performance.now() - t0);
      }
    },
  }));

  // The editor's typing path: `analyzeEdit` per keystroke (windowed when the edit stays inside one
  // coroutine), the full `analyze` following once typing pauses (not timed here: it is off the
  // keystroke path; its cost is the full-analysis figure).
  const doc = new PythonDocument(timedParser, text);
  let findings = doc.analyze(settings, { rules }).findings.length;
  const times: number[] = [];
  const parses: number[] = [];
  const perRule = new Map<string, number[]>();
  let windowed = 0;
  for (const change of keystrokes(text, edits, 11)) {
    parseMs = 0;
    ruleMs.clear();
    const t0 = performance.now();
    doc.applyChanges([change]);
    findings = doc.analyzeEdit(settings, { rules }).findings.length;
    times.push(performance.now() - t0);
    if (!doc.exact) windowed++;
    parses.push(parseMs);
    for (const [code, ms] of ruleMs) perRule.set(code, [...(perRule.get(code) ?? []), ms]);
  }
  const edited = doc.source;
  doc.dispose();

  const coroutineDoc = new PythonDocument(parser, text);
  coroutineDoc.analyze(settings);
  const coroutineTimes: number[] = [];
  let coroutineWindowed = 0;
  for (const change of keystrokes(text, edits, 13, true)) {
    const t0 = performance.now();
    coroutineDoc.applyChanges([change]);
    coroutineDoc.analyzeEdit(settings);
    coroutineTimes.push(performance.now() - t0);
    if (!coroutineDoc.exact) coroutineWindowed++;
  }
  coroutineDoc.dispose();
  const fullEdited: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    analyzePython(parser, edited, settings).dispose();
    fullEdited.push(performance.now() - t0);
  }
  return {
    fullEditedMedianMs: median(fullEdited),
    lines: countLines(text),
    edits,
    medianMs: median(times),
    p95Ms: percentile(times, 95),
    maxMs: Math.max(...times),
    fullMedianMs: median(fullRuns),
    parseMedianMs: median(parses),
    ruleMedianMs: Object.fromEntries([...perRule].map(([code, ms]) => [code, median(ms)])),
    findings,
    windowedShare: windowed / edits,
    inCoroutines: { medianMs: median(coroutineTimes), p95Ms: percentile(coroutineTimes, 95), windowedShare: coroutineWindowed / edits },
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printTable(title: string, rows: readonly (readonly string[])[]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`\n${title}`);
  rows.forEach((r, i) => {
    console.log('  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   '));
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('   '));
  });
}

function throughputRows(t: { asyncwise: Throughput; ruff: Throughput }): string[][] {
  const row = (name: string, x: Throughput) => [name, fmt(x.ms), fmt(x.filesPerSec), fmt(x.linesPerSec), fmt(x.mbPerSec, 2), fmt(x.findings)];
  return [['engine', 'median ms', 'files/s', 'lines/s', 'MB/s', 'findings'], row('asyncwise', t.asyncwise), row('ruff-wasm ASYNC', t.ruff)];
}

/** asyncwise time ÷ Ruff time: below 1 means asyncwise is faster. */
function ratio(t: { asyncwise: Throughput; ruff: Throughput }): number {
  return t.asyncwise.ms / t.ruff.ms;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const stdlib = opts.corpora.length ? undefined : pythonStdlib();
  const corpus = stdlib
    ? loadCorpus([stdlib], true, `Python standard library (${stdlib}), without test suites`)
    : loadCorpus(opts.corpora, false, opts.corpora.join(', '));
  if (corpus.files.length === 0) throw new Error(`no Python files in ${corpus.roots.join(', ')}`);
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  log(`corpus: ${corpus.description}`);
  log(`        ${fmt(corpus.files.length)} files, ${fmt(corpus.lines)} lines, ${fmt(corpus.bytes / 1e6, 1)} MB` + (corpus.unreadable ? ` (${corpus.unreadable} unreadable files left out)` : ''));
  const load = os.loadavg()[0];
  if (load > os.cpus().length * 0.5) log(`warning: load average ${fmt(load, 1)} on ${os.cpus().length} CPUs — timings will be noisy; ratios (interleaved runs) are steadier than absolute figures`);
  log(`ruff ${(require('@astral-sh/ruff-wasm-nodejs') as typeof import('@astral-sh/ruff-wasm-nodejs')).Workspace.version()} (wasm), node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-bench-'));
  try {
    log(`\nrunning cold (${opts.coldRuns} runs each)…`);
    const cold = coldRuns(corpus, opts.coldRuns, tmp);
    const parser = await PythonParser.load();
    const settings = parseSettings({ python: { targetVersion: TARGET } }, CATALOG);
    log(`running warm (${opts.warmRuns} runs each)…`);
    const warm = await warmRuns(corpus, opts.warmRuns, parser, settings);
    log(`running ${opts.edits} edits…`);
    const edit = editLatency(parser, settings, opts.edits);

    const result = {
      corpus: { description: corpus.description, files: corpus.files.length, lines: corpus.lines, bytes: corpus.bytes },
      cold: { ...cold, ratio: ratio(cold) },
      warm: { ...warm, ratio: ratio(warm) },
      edit,
    };
    if (opts.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    printTable('Cold (process start to exit)', throughputRows(cold));
    console.log(`  time asyncwise ÷ ruff = ${fmt(ratio(cold), 2)}  (below 1: asyncwise faster; target ≤ 1)`);
    printTable('Warm (in process, engines loaded)', throughputRows(warm));
    console.log(`  time asyncwise ÷ ruff = ${fmt(ratio(warm), 2)}  (below 1: asyncwise faster)`);
    printTable(`Per edit, ${fmt(edit.lines)}-line file, ${edit.edits} keystrokes each (apply + re-analyse, the editor's typing path)`, [
      ['keystrokes', 'median ms', 'p95 ms', 'windowed', 'full analysis ms (before / after the edits)'],
      ['inside coroutines', fmt(edit.inCoroutines.medianMs, 2), fmt(edit.inCoroutines.p95Ms, 2), `${fmt(edit.inCoroutines.windowedShare * 100)}%`, ''],
      ['anywhere in the file', fmt(edit.medianMs, 2), fmt(edit.p95Ms, 2), `${fmt(edit.windowedShare * 100)}%`, `${fmt(edit.fullMedianMs, 2)} / ${fmt(edit.fullEditedMedianMs, 2)}`],
    ]);
    console.log(`  target: median under 20 ms — inside coroutines ${edit.inCoroutines.medianMs < 20 ? 'met' : 'NOT met'}, anywhere ${edit.medianMs < 20 ? 'met' : 'NOT met'}; findings on the file: ${edit.findings}`);
    console.log('  (windowed: the edit stayed in one coroutine and only it was re-analysed; other edits, and every pause in typing, run the full analysis)');
    const byRule = Object.entries(edit.ruleMedianMs).sort((a, b) => b[1] - a[1]);
    console.log(`  where an edit's time goes (medians): incremental re-parse ${fmt(edit.parseMedianMs, 2)} ms; ` + byRule.map(([code, ms]) => `${code} ${fmt(ms, 2)}`).join(', ') + ' ms');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
