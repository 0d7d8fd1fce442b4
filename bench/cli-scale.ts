/**
 * `npm run bench:cli`: the CLI at scale, whole processes, next to Ruff's WASM build (ASYNC rules) on
 * the same files: a cold run (`--no-cache`), a cached run (the same tree again with the results
 * cache filled), wall time and peak memory (`/usr/bin/time`'s maximum resident set size, threads
 * included), and asyncwise ÷ Ruff ratios. A script, not a test: it prints a table (or `--json`).
 *
 *   node out/bench/cli-scale.js [--corpus DIR]... [--runs N] [--json]
 *
 * Default corpora: the real async projects in /tmp/corpus (when present) and the Python standard
 * library without test suites. Ruff's WASM build has no cache, so its "cached" figure is its cold one.
 *
 * TypeScript/JavaScript: measured by `bench/eslint.ts` (the CLI next to ESLint + typescript-eslint +
 * eslint-plugin-n on 522 real TS files, as whole processes); this script says where. TS/JS results are
 * never cached (type-aware findings depend on the whole program and node_modules), so a cached run
 * re-checks TS/JS files and its TS/JS time is the cold one.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadCorpus, pythonStdlib, type Corpus } from './corpus';

const TARGET = '3.9';
const DEFAULT_ASYNC_CORPUS = '/tmp/corpus';

interface Options {
  corpora: string[];
  runs: number;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { corpora: [], runs: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--corpus') opts.corpora.push(path.resolve(argv[++i] ?? '.'));
    else if (arg === '--runs') opts.runs = Math.max(1, Number(argv[++i]) || 1);
    else if (arg === '--json') opts.json = true;
    else throw new Error(`unknown option ${arg} (expected --corpus DIR, --runs N, --json)`);
  }
  return opts;
}

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'cli'))) return dir;
    if (dir === path.dirname(dir)) throw new Error('repository root not found');
  }
}

interface Measure {
  readonly ms: number;
  /** Peak resident set size of the process, MB. */
  readonly peakMb: number;
  readonly findings: number;
}

/** Runs `node args…` under /usr/bin/time: wall time, peak RSS, findings counted from stdout. */
function measure(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, count: (stdout: string) => number, tmp: string): Measure {
  const timeFile = path.join(tmp, 'time.txt');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ').slice(0, 200)} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const kb = Number(fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop());
  return { ms, peakMb: kb / 1024, findings: count(r.stdout) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function summarise(ms: readonly Measure[]): Measure {
  return { ms: median(ms.map((m) => m.ms)), peakMb: Math.max(...ms.map((m) => m.peakMb)), findings: ms[0].findings };
}

/** What a minimal Ruff-WASM CLI would do: load the wasm, check every file, print JSON. */
function ruffRunnerSource(ruffModule: string): string {
  return `'use strict';
const fs = require('node:fs');
const { Workspace, PositionEncoding } = require(${JSON.stringify(ruffModule)});
const files = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const workspace = new Workspace({ 'target-version': 'py${TARGET.replace('.', '')}', lint: { select: ['ASYNC'] } }, PositionEncoding.Utf16);
let n = 0;
for (const file of files) {
  for (const d of workspace.check(fs.readFileSync(file, 'utf8'))) if (d.code && d.code.startsWith('ASYNC')) n++;
}
process.stdout.write(JSON.stringify({ findings: n }));
`;
}

interface PythonResult {
  readonly corpus: { readonly description: string; readonly files: number; readonly lines: number; readonly bytes: number };
  readonly workers: string;
  readonly asyncwise: { readonly cold: Measure; readonly cached: Measure };
  readonly ruff: Measure;
  /** asyncwise ÷ Ruff wall time: below 1, asyncwise is faster. */
  readonly ratio: { readonly cold: number; readonly cached: number };
}

function pythonHalf(corpus: Corpus, runs: number, tmp: string): PythonResult {
  const root = repoRoot();
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`node esbuild.js\` first`);
  const fileList = path.join(tmp, 'files.json');
  fs.writeFileSync(fileList, JSON.stringify(corpus.files.map((f) => f.path)));
  const runner = path.join(tmp, 'ruff-runner.js');
  fs.writeFileSync(runner, ruffRunnerSource(require.resolve('@astral-sh/ruff-wasm-nodejs')));
  // The exact files when they fit on a command line (explicit files are always checked).
  const paths = corpus.files.map((f) => f.path);
  const cliPaths = paths.reduce((n, p) => n + p.length + 1, 0) < 1_000_000 ? paths : [...corpus.roots];
  const base = ['check', '--format', 'json', '--target-version', TARGET, '--', ...cliPaths];
  const countJson = (stdout: string) => (JSON.parse(stdout) as unknown[]).length;
  const countRuff = (stdout: string) => (JSON.parse(stdout) as { findings: number }).findings;
  const cacheDir = path.join(tmp, 'cache');
  const env = { ...process.env, ASYNCWISE_CACHE_DIR: cacheDir };

  const cold: Measure[] = [];
  const cached: Measure[] = [];
  const ruff: Measure[] = [];
  // Interleaved, so a noisy moment of the machine hits all sides alike.
  for (let i = 0; i < runs; i++) {
    cold.push(measure([cli, ...base.slice(0, 1), '--no-cache', ...base.slice(1)], root, env, countJson, tmp));
    fs.rmSync(cacheDir, { recursive: true, force: true });
    measure([cli, ...base], root, env, countJson, tmp); // fills the cache
    cached.push(measure([cli, ...base], root, env, countJson, tmp));
    ruff.push(measure([runner, fileList], root, env, countRuff, tmp));
  }
  const a = { cold: summarise(cold), cached: summarise(cached) };
  if (a.cached.findings !== a.cold.findings) throw new Error(`the cached run found ${a.cached.findings} problems, the cold one ${a.cold.findings}`);
  const r = summarise(ruff);
  return {
    corpus: { description: corpus.description, files: corpus.files.length, lines: corpus.lines, bytes: corpus.bytes },
    workers: process.env.ASYNCWISE_WORKERS ?? `auto (${os.availableParallelism?.() ?? os.cpus().length} cores)`,
    asyncwise: a,
    ruff: r,
    ratio: { cold: a.cold.ms / r.ms, cached: a.cached.ms / r.ms },
  };
}

/** The TypeScript/JavaScript half lives in bench/eslint.ts (a real TS corpus and ESLint's set-up). */
function typescriptHalf(): { readonly see: string } {
  return { see: 'node out/bench/eslint.js (asyncwise CLI vs ESLint + typescript-eslint + eslint-plugin-n, same files); TS/JS results are not cached, so cached = cold' };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  const corpora: Corpus[] = [];
  if (opts.corpora.length) corpora.push(loadCorpus(opts.corpora, false, opts.corpora.join(', ')));
  else {
    if (fs.existsSync(DEFAULT_ASYNC_CORPUS)) {
      const roots = fs.readdirSync(DEFAULT_ASYNC_CORPUS).sort().map((d) => path.join(DEFAULT_ASYNC_CORPUS, d)).filter((d) => fs.statSync(d).isDirectory());
      corpora.push(loadCorpus(roots, false, `real async projects: ${roots.map((r) => path.basename(r)).join(', ')}`));
    }
    const stdlib = pythonStdlib();
    corpora.push(loadCorpus([stdlib], true, `Python standard library (${stdlib}), without test suites`));
  }
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}, load ${fmt(os.loadavg()[0], 1)}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-cli-bench-'));
  const python: PythonResult[] = [];
  try {
    for (const corpus of corpora) {
      log(`\n${corpus.description}: ${fmt(corpus.files.length)} files, ${fmt(corpus.lines)} lines, ${fmt(corpus.bytes / 1e6, 1)} MB (${opts.runs} runs each)`);
      const r = pythonHalf(corpus, opts.runs, tmp);
      python.push(r);
      log(`  ${'engine'.padEnd(26)} ${'median s'.padStart(9)} ${'lines/s'.padStart(10)} ${'peak MB'.padStart(8)} ${'findings'.padStart(9)}`);
      const row = (name: string, m: Measure) => log(`  ${name.padEnd(26)} ${fmt(m.ms / 1000, 2).padStart(9)} ${fmt(corpus.lines / (m.ms / 1000)).padStart(10)} ${fmt(m.peakMb).padStart(8)} ${fmt(m.findings).padStart(9)}`);
      row('asyncwise cold', r.asyncwise.cold);
      row('asyncwise cached', r.asyncwise.cached);
      row('ruff-wasm ASYNC (no cache)', r.ruff);
      log(`  ratio asyncwise ÷ ruff: cold ${fmt(r.ratio.cold, 2)}, cached ${fmt(r.ratio.cached, 2)} (below 1: asyncwise faster)`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const typescript = typescriptHalf();
  log(`\nTypeScript/JavaScript: ${typescript.see}`);
  if (opts.json) console.log(JSON.stringify({ python, typescript }, null, 2));
}

main();

