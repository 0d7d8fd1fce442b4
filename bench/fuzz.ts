/**
 * The fuzz harness of issue 12 ("never crash, hang, corrupt or mislead"). Not part of CI: a
 * benchmark-style run, reproducible from its seed and counts.
 *
 *   npm run fuzz -- [--seed N] [--python N] [--ts N] [--batch N] [--jobs N] [--tsserver N]
 *                   [--pathological N] [--minutes N] [--skip N] [--no-fix] [--no-faults] [--out DIR] [--keep]
 *
 * Defaults: seed 1, 2,000 Python and 1,000 TS/JS inputs in folders of 1,000, one CLI at a time,
 * 100 files through tsserver, one input in 150 pathological (each costs up to the time budget).
 * `--minutes N` starts no new folder after N minutes (the summary counts what ran). Each folder's
 * inputs depend only on the seed and the folder's number: `--skip N` starts at folder N, so a
 * failure found in folder 3 is re-made alone by the same command with `--skip 3`.
 * The issue's campaign: `--python 70000 --ts 30000 --pathological 1000 --jobs 2`.
 *
 * Inputs: the repository's Python and TS/JS fixtures and demo files, mutated (line deletions,
 * truncations, random tokens, spliced lines, invalid UTF-8, NUL bytes, CR/CRLF mixes, BOMs,
 * re-indentation), plus pathological generated files (deep nesting of every kind, huge lines, many
 * functions, long attribute chains). They are written in folders of `--batch` files and each folder
 * is copied and fixed by one CLI process (`check --no-cache --hints --format json --fix
 * --unsafe-fixes`), then the files it changed are fixed again:
 * (with `--no-fix`, a plain check instead):
 *   - crash: an "internal error" on stderr (a rule or a file's check threw), an exit code other than
 *     0/1/2, a signal, or JSON that does not parse;
 *   - hang: a file whose check takes over 30 s (a folder over its deadline is re-run file by file);
 *   - worse parse: a fixed file CPython's `ast` (Python) or TypeScript's parser (TS/JS) accepts less
 *     well than the input (it parsed and no longer does; more TypeScript parse diagnostics);
 *   - non-converging fix: the second `--fix` changes a file again; also a lost or emptied file or a
 *     temporary file left behind.
 * Then the configuration and file-system faults (hostile pyproject.toml and .gitignore, FIFOs,
 * symlink loops, unreadable files, a broken cache, non-UTF-8 names), and a real tsserver with the
 * plugin answering `geterr` on `--tsserver` mutated TS/JS files. Prints a summary and writes every
 * failing input (and what happened) to `--out` (default: a folder under the system's temp folder),
 * ready to become a regression test. Exit code 1 when anything failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as ts from 'typescript';
import { PLUGIN_NAME } from '../src/tsplugin/codes';
import { TsServer } from '../test/unit/tsserverClient';
import { repoRootFrom } from './tsplugin-corpus';
import { bundlePlugin } from './tsplugin-bundle';

interface Options {
  seed: number;
  python: number;
  ts: number;
  batch: number;
  jobs: number;
  tsserver: number;
  /** Folders (in plan order) not run: re-running one folder of a long campaign. */
  skip: number;
  /** Start no new folder after this many minutes (0: no limit). */
  minutes: number;
  /** One input in this many is generated pathological rather than mutated. */
  pathological: number;
  fix: boolean;
  faults: boolean;
  out: string | undefined;
  keep: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { seed: 1, python: 2000, ts: 1000, batch: 1000, jobs: 1, tsserver: 100, skip: 0, minutes: 0, pathological: 150, fix: true, faults: true, out: undefined, keep: false };
  const num = (i: number, flag: string) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${flag}: a whole number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seed') opts.seed = num(++i, arg);
    else if (arg === '--python') opts.python = num(++i, arg);
    else if (arg === '--ts') opts.ts = num(++i, arg);
    else if (arg === '--batch') opts.batch = Math.max(1, num(++i, arg));
    else if (arg === '--jobs') opts.jobs = Math.max(1, num(++i, arg));
    else if (arg === '--tsserver') opts.tsserver = num(++i, arg);
    else if (arg === '--skip') opts.skip = num(++i, arg);
    else if (arg === '--minutes') opts.minutes = num(++i, arg);
    else if (arg === '--pathological') opts.pathological = Math.max(1, num(++i, arg));
    else if (arg === '--no-fix') opts.fix = false;
    else if (arg === '--no-faults') opts.faults = false;
    else if (arg === '--out') opts.out = argv[++i];
    else if (arg === '--keep') opts.keep = true;
    else throw new Error(`unknown option ${arg} (see the header of bench/fuzz.ts)`);
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Randomness: one seeded generator, so a run is reproducible.

class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs.

type Lang = 'py' | 'ts';

interface Input {
  readonly name: string;
  readonly lang: Lang;
  readonly data: Buffer;
  /** How it was made, for the failure report. */
  readonly recipe: string;
}

const PY_TOKENS = ['async ', 'await ', 'def ', 'async def f():\n    ', '(', ')', '[', ']', '{', '}', ':', ',', '\n', '\n    ', '\n        ', '\t', 'try:\n', 'except BaseException:\n', 'except asyncio.CancelledError:\n', 'finally:\n    return\n', 'lambda: ', 'yield ', 'with ', 'async with ', 'async for x in y:\n', 'for x in y:\n', 'while True:\n', 'asyncio.create_task(g())', 'time.sleep(1)', 'asyncio.gather(', 'asyncio.run(main())', 'raise', 'return ', '"', "'", '"""', "'''", '\\', '#', '# asyncwise: ignore[AW201]', '@', '.', '...', '=', ':=', '*', '**', 'import asyncio\n', 'import time\n', 'from x import (', 'f"{', '}"', 'match x:\n    case 1:\n', 'class C:\n', 'if x:\n', 'else:\n', 'pass\n', 'None', '0x', '1e', 'é', '😀', '\u2028', '\f', '\v'];
const TS_TOKENS = ['async ', 'await ', 'function ', 'async function f(signal: AbortSignal) {\n', '(', ')', '[', ']', '{', '}', ';', ',', '\n', '=>', 'new Promise(async (resolve) => {', 'fs.readFileSync(p)', "fetch('u')", 'execSync("x")', 'try {', '} catch (e) {', '} finally {', 'return ', 'yield ', 'for await (const x of y) ', '`', '${', "'", '"', '/*', '*/', '//', '/', '@', '<', '>', '<div>', '</div>', 'as ', 'satisfies ', 'enum E {', 'class C {', 'constructor() {', 'this.', '?.', '??', '!', ':', 'const ', 'let ', 'export ', 'import * as fs from "node:fs";\n', 'declare ', 'namespace N {', 'type T = ', 'void ', 'signal', 'setTimeout(', '// asyncwise-ignore-next-line AW201\n', 'é', '😀', '\u2028', '\r'];

function lines(text: string): string[] {
  return text.split('\n');
}

/** One mutation of a text; returns the new bytes and the mutation's name. */
function mutate(rng: Random, lang: Lang, text: string, donors: readonly string[]): { data: Buffer; how: string } {
  const kind = rng.int(14);
  const tokens = lang === 'py' ? PY_TOKENS : TS_TOKENS;
  const at = () => rng.int(text.length + 1);
  switch (kind) {
    case 0: {
      const l = lines(text);
      const start = rng.int(l.length);
      const n = rng.range(1, 5);
      l.splice(start, n);
      return { data: Buffer.from(l.join('\n')), how: `delete ${n} lines at ${start}` };
    }
    case 1: {
      const cut = at();
      return { data: Buffer.from(text.slice(0, cut)), how: `truncate at ${cut}` };
    }
    case 2:
    case 3: {
      let t = text;
      const n = rng.range(1, 6);
      for (let i = 0; i < n; i++) {
        const p = rng.int(t.length + 1);
        t = t.slice(0, p) + rng.pick(tokens) + t.slice(p);
      }
      return { data: Buffer.from(t), how: `${n} random tokens` };
    }
    case 4: {
      // Delete a random span (a half-typed edit).
      const p = at();
      const n = rng.range(1, 40);
      return { data: Buffer.from(text.slice(0, p) + text.slice(p + n)), how: `delete ${n} chars at ${p}` };
    }
    case 5: {
      // Lines of another file spliced in.
      const donor = lines(rng.pick(donors));
      const from = rng.int(donor.length);
      const chunk = donor.slice(from, from + rng.range(1, 12));
      const l = lines(text);
      l.splice(rng.int(l.length + 1), 0, ...chunk);
      return { data: Buffer.from(l.join('\n')), how: 'spliced lines' };
    }
    case 6: {
      const bytes = Buffer.from(text);
      const p = rng.int(bytes.length + 1);
      const bad = rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      return { data: Buffer.concat([bytes.subarray(0, p), Buffer.from(bad), bytes.subarray(p)]), how: 'invalid UTF-8' };
    }
    case 7: {
      // A NUL byte, sometimes past the 8 KB binary sniff (the file is then analysed).
      const padded = rng.chance(0.5) ? text + '\n' + `${lang === 'py' ? '#' : '//'} pad\n`.repeat(1200) : text;
      const p = rng.chance(0.5) && padded.length > 9000 ? rng.range(9000, padded.length) : rng.int(padded.length + 1);
      return { data: Buffer.from(padded.slice(0, p) + '\0' + padded.slice(p)), how: `NUL at ${p}` };
    }
    case 8:
    case 9: {
      // Line endings mixed: some \n become \r\n or a lone \r.
      const parts = text.split('\n');
      let out = parts[0];
      let changed = 0;
      const p = rng.next();
      for (let i = 1; i < parts.length; i++) {
        const r = rng.next();
        const nl = r < p * 0.5 ? '\r' : r < p ? '\r\n' : '\n';
        if (nl !== '\n') changed++;
        out += nl + parts[i];
      }
      return { data: Buffer.from(out), how: `${changed} line endings changed` };
    }
    case 10: {
      const bom = '\uFEFF';
      const where = rng.int(3);
      const t = where === 0 ? bom + text : where === 1 ? bom + bom + text : text.slice(0, at()) + bom + text.slice(at());
      return { data: Buffer.from(t), how: `BOM (${['start', 'twice', 'inside'][where]})` };
    }
    case 11: {
      // Re-indent: tabs for spaces, or one line dedented / indented.
      const l = lines(text);
      const i = rng.int(l.length);
      const choice = rng.int(3);
      if (choice === 0) l[i] = l[i].replace(/^ {4}/, '\t');
      else if (choice === 1) l[i] = l[i].replace(/^\s+/, '');
      else l[i] = '    ' + l[i];
      return { data: Buffer.from(l.join('\n')), how: `re-indent line ${i}` };
    }
    case 12: {
      // Duplicate or swap lines.
      const l = lines(text);
      const i = rng.int(l.length);
      const j = rng.int(l.length);
      if (rng.chance(0.5)) l.splice(j, 0, l[i]);
      else [l[i], l[j]] = [l[j], l[i]];
      return { data: Buffer.from(l.join('\n')), how: 'duplicated/swapped lines' };
    }
    default: {
      // A random byte flipped to a random ASCII character.
      const bytes = Buffer.from(text);
      if (bytes.length === 0) return { data: bytes, how: 'empty' };
      const p = rng.int(bytes.length);
      bytes[p] = rng.range(32, 126);
      return { data: bytes, how: `byte ${p} changed` };
    }
  }
}

/** The pathological generators: deep nesting, huge lines, many functions, long chains. */
function pathological(rng: Random, lang: Lang): { data: Buffer; how: string } {
  const kind = rng.int(lang === 'py' ? 12 : 10);
  const depth = rng.pick([50, 200, 800, 2000, 5000]);
  if (lang === 'py') {
    const body = (s: string) => `import asyncio\nimport time\nasync def f():\n${s}\n`;
    switch (kind) {
      case 0:
        return { data: Buffer.from(body(`    x = ${'('.repeat(depth)}g()${')'.repeat(depth)}`)), how: `parentheses ${depth} deep` };
      case 1:
        return { data: Buffer.from(body(`    x = ${'['.repeat(depth)}${']'.repeat(depth)}`)), how: `lists ${depth} deep` };
      case 2: {
        const d = Math.min(depth, 1000);
        return { data: Buffer.from(body(Array.from({ length: d }, (_, i) => `${'    '.repeat(i + 1)}if x:`).join('\n') + `\n${'    '.repeat(d + 1)}time.sleep(1)`)), how: `ifs ${d} deep` };
      }
      case 3: {
        const d = Math.min(depth, 1000);
        return { data: Buffer.from(Array.from({ length: d }, (_, i) => `${'    '.repeat(i)}async def f${i}():`).join('\n') + `\n${'    '.repeat(d)}time.sleep(1)\n`), how: `async defs ${d} deep` };
      }
      case 4:
        return { data: Buffer.from(body(`    x = ${'await '.repeat(depth)}g()`)), how: `awaits ${depth} deep` };
      case 5:
        return { data: Buffer.from(body(`    x = ${'g('.repeat(depth)}${')'.repeat(depth)}`)), how: `calls ${depth} deep` };
      case 6: {
        const n = rng.pick([1000, 10_000, 100_000]);
        return { data: Buffer.from(body(`    x = a${'.b'.repeat(n)}()\n    await a${'.b'.repeat(n)}`)), how: `attribute chain ${n} long` };
      }
      case 7: {
        const n = rng.pick([10_000, 100_000, 150_000]);
        return { data: Buffer.from(body(`    x = ${Array(n).fill('g()').join(' + ')}`)), how: `a line of ${n} calls` };
      }
      case 8: {
        const n = rng.pick([1000, 5000, 20_000]);
        return { data: Buffer.from('import time\n' + Array.from({ length: n }, (_, i) => `async def f${i}():\n    time.sleep(1)\n`).join('')), how: `${n} functions with a finding each` };
      }
      case 9: {
        const d = Math.min(depth, 800);
        return { data: Buffer.from(body(Array.from({ length: d }, (_, i) => `${'    '.repeat(i + 1)}try:`).join('\n') + `\n${'    '.repeat(d + 1)}await g()\n` + Array.from({ length: d }, (_, i) => `${'    '.repeat(d - i)}except BaseException:\n${'    '.repeat(d - i + 1)}pass`).join('\n'))), how: `try ${d} deep` };
      }
      case 10:
        return { data: Buffer.from(body(`    x = ${'lambda: '.repeat(depth)}1`)), how: `lambdas ${depth} deep` };
      default:
        return { data: Buffer.from(body(`    x = ${'{1: '.repeat(depth)}2${'}'.repeat(depth)}`)), how: `dicts ${depth} deep` };
    }
  }
  const fn = (s: string) => `import * as fs from 'node:fs';\nexport async function f(signal: AbortSignal) {\n${s}\n}\n`;
  switch (kind) {
    case 0:
      return { data: Buffer.from(fn(`  const x = ${'('.repeat(depth)}1${')'.repeat(depth)};`)), how: `parentheses ${depth} deep` };
    case 1:
      return { data: Buffer.from(fn(`  const x = ${'['.repeat(depth)}${']'.repeat(depth)};`)), how: `arrays ${depth} deep` };
    case 2:
      return { data: Buffer.from(fn(`${'  if (x) {\n'.repeat(depth)}  fs.readFileSync('p');\n${'}\n'.repeat(depth)}`)), how: `blocks ${depth} deep` };
    case 3:
      return { data: Buffer.from(fn(`  const x = ${'await '.repeat(depth)}g();`)), how: `awaits ${depth} deep` };
    case 4:
      return { data: Buffer.from(fn(`  ${'(async () => '.repeat(depth)}fetch('u')${')'.repeat(depth)};`)), how: `arrows ${depth} deep` };
    case 5: {
      const n = rng.pick([1000, 10_000, 100_000]);
      return { data: Buffer.from(fn(`  a${'.b'.repeat(n)}();`)), how: `attribute chain ${n} long` };
    }
    case 6: {
      const n = rng.pick([10_000, 100_000]);
      return { data: Buffer.from(fn(`  const x = ${Array(n).fill('g()').join(' + ')};`)), how: `a line of ${n} calls` };
    }
    case 7: {
      const n = rng.pick([1000, 5000, 20_000]);
      return { data: Buffer.from("import * as fs from 'node:fs';\n" + Array.from({ length: n }, (_, i) => `export async function f${i}() {\n  return fs.readFileSync('p${i}');\n}\n`).join('')), how: `${n} functions with a finding each` };
    }
    case 8:
      return { data: Buffer.from(fn(`  const x = ${'{a: '.repeat(depth)}1${'}'.repeat(depth)};`)), how: `objects ${depth} deep` };
    default:
      return { data: Buffer.from(fn(`  const x = ${'`${'.repeat(depth)}1${'}`'.repeat(depth)};`)), how: `template literals ${depth} deep` };
  }
}

function seedFiles(root: string): { py: string[]; ts: string[] } {
  const py: string[] = [];
  const tsf: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(full);
      } else if (entry.isFile() && fs.statSync(full).size < 200_000) {
        if (entry.name.endsWith('.py')) py.push(fs.readFileSync(full, 'utf8'));
        else if (/\.[cm]?[jt]sx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) tsf.push(fs.readFileSync(full, 'utf8'));
      }
    }
  };
  for (const dir of ['test/fixtures', 'demo']) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return { py, ts: tsf };
}

const TS_EXTS = ['.ts', '.ts', '.ts', '.tsx', '.js', '.js', '.mjs', '.cjs', '.jsx', '.mts'];

function makeInputs(rng: Random, lang: Lang, count: number, seeds: readonly string[], first: number, pathologicalRate: number): Input[] {
  const inputs: Input[] = [];
  for (let i = 0; i < count; i++) {
    const ext = lang === 'py' ? '.py' : rng.pick(TS_EXTS);
    const name = `i${first + i}${ext}`;
    // Rarely pathological: they are slow by design.
    if (rng.chance(1 / pathologicalRate)) {
      const { data, how } = pathological(rng, lang);
      inputs.push({ name, lang, data, recipe: `generated: ${how}` });
      continue;
    }
    const seedIndex = rng.int(seeds.length);
    let text = seeds[seedIndex];
    const hows: string[] = [];
    let data: Buffer = Buffer.from(text);
    const rounds = rng.range(1, 3);
    for (let r = 0; r < rounds; r++) {
      const m = mutate(rng, lang, text, seeds);
      data = m.data;
      hows.push(m.how);
      text = data.toString('utf8');
    }
    inputs.push({ name, lang, data, recipe: `seed #${seedIndex}: ${hows.join('; ')}` });
  }
  return inputs;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI.

interface Failure {
  readonly kind: 'crash' | 'hang' | 'worse-parse' | 'non-converging' | 'corrupted' | 'fault' | 'tsserver';
  readonly input?: Input;
  readonly detail: string;
}

interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

let CLI = '';

function runCli(args: readonly string[], cwd: string, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('nice', ['-n', '10', process.execPath, CLI, ...args], { cwd, env: { ...process.env, ASYNCWISE_WORKERS: '1', NO_COLOR: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - started, timedOut });
    });
  });
}

/** Files the CLI reported an internal error for, with the first line of each error. */
function internalErrors(stderr: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of stderr.split('\n')) {
    const m = /^asyncwise: internal error: (?:could not check (\S+?): |rule (.+?) failed on (\S+?): )(.*)$/.exec(line);
    if (m) {
      const file = m[1] ?? m[3];
      if (!found.has(file)) found.set(file, line);
    }
  }
  return found;
}

/** Files abandoned over the time budget (not crashes: the budget did its job). */
function overBudget(stderr: string): Set<string> {
  const found = new Set<string>();
  for (const line of stderr.split('\n')) {
    const m = /^asyncwise: (\S+?): analysis abandoned after/.exec(line);
    if (m) found.add(m[1]);
  }
  return found;
}

/** Files TypeScript's own parser throws on (reported plainly by the CLI; TypeScript's bug, not a crash of ours). */
function parserFailures(stderr: string): number {
  return stderr.split('\n').filter((l) => /^asyncwise: could not check \S+: TypeScript's parser fails on this file/.test(l)).length;
}

/** A file's check over this is a hang. */
const HANG_MS = 30_000;

interface Stats {
  inputs: { py: number; ts: number };
  generated: number;
  cliRuns: number;
  fixedFiles: number;
  overBudget: number;
  parserFailures: number;
  /** tsserver failures raised in TypeScript's own code with no plugin frame on any stack: not ours, listed. */
  typescriptFailures: string[];
  failures: Failure[];
}

function writeBatch(dir: string, inputs: readonly Input[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const input of inputs) fs.writeFileSync(path.join(dir, input.name), input.data);
}

/** Parse verdicts from CPython for each path: 'ok' or 'error'. */
function pythonParses(files: readonly string[]): Map<string, boolean> {
  const script = [
    'import ast, sys, warnings',
    'warnings.simplefilter("ignore")',
    'for p in sys.stdin.read().split("\\n"):',
    '    if not p: continue',
    '    try:',
    '        ast.parse(open(p, "rb").read())',
    '        print("ok", p)',
    '    except (SyntaxError, ValueError, RecursionError, MemoryError):',
    '        print("error", p)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: files.join('\n'), encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  const verdicts = new Map<string, boolean>();
  for (const line of r.stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) verdicts.set(line.slice(sp + 1), line.slice(0, sp) === 'ok');
  }
  return verdicts;
}

let TS_MODULE: typeof ts;

function tsParseErrors(file: string, text: string): number {
  const ext = path.extname(file).toLowerCase();
  const kind = ext === '.tsx' ? TS_MODULE.ScriptKind.TSX : ext === '.jsx' ? TS_MODULE.ScriptKind.JSX : /\.[cm]?js$/.test(ext) ? TS_MODULE.ScriptKind.JS : TS_MODULE.ScriptKind.TS;
  try {
    const sf = TS_MODULE.createSourceFile(file, text, TS_MODULE.ScriptTarget.Latest, false, kind);
    return (sf as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

async function checkBatch(work: string, index: number, inputs: readonly Input[], opts: Options, stats: Stats): Promise<void> {
  const dir = path.join(work, `batch-${index}`);
  writeBatch(dir, inputs);
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const deadline = HANG_MS + inputs.length * 400;
  const fail = (kind: Failure['kind'], name: string | undefined, detail: string) => stats.failures.push({ kind, input: name ? byName.get(name) : undefined, detail });

  /** One CLI run over the folder; a run past its deadline is re-run file by file to find the hang. */
  const checked = async (folder: string, extra: readonly string[], names: readonly string[] = ['.']): Promise<CliRun | undefined> => {
    stats.cliRuns++;
    const run = await runCli(['check', '--no-cache', '--hints', '--format', 'json', ...extra, '--', ...names], folder, deadline);
    if (!run.timedOut) return run;
    for (const name of listFiles(folder)) {
      if (!byName.has(name)) continue;
      stats.cliRuns++;
      const one = await runCli(['check', '--no-cache', '--hints', '--format', 'json', ...extra, name], folder, HANG_MS);
      if (one.timedOut) fail('hang', name, `${extra.join(' ') || 'check'}: no answer within ${HANG_MS / 1000} s`);
    }
    return undefined;
  };

  const judge = (run: CliRun, what: string) => {
    if (what !== 'second --fix') stats.parserFailures += parserFailures(run.stderr);
    for (const name of overBudget(run.stderr)) {
      stats.overBudget++;
      // Over budget is an answer; over 30 s is still a hang.
      if (run.ms > HANG_MS && inputs.length === 1) fail('hang', name, `${what}: ${run.ms.toFixed(0)} ms`);
    }
    for (const [name, line] of internalErrors(run.stderr)) fail('crash', name, `${what}: ${line}`);
    if (run.signal || (run.status !== 0 && run.status !== 1 && run.status !== 2)) fail('crash', undefined, `${what} of batch ${index}: exit ${run.status ?? run.signal}: ${run.stderr.slice(-2000)}`);
    if (/internal error/.test(run.stderr) && internalErrors(run.stderr).size === 0) fail('crash', undefined, `${what} of batch ${index}: ${run.stderr.slice(-2000)}`);
  };

  const jsonOut = (run: CliRun, what: string) => {
    try {
      JSON.parse(run.stdout);
    } catch {
      fail('crash', undefined, `${what} of batch ${index}: stdout is not JSON: ${run.stdout.slice(0, 300)}`);
    }
  };
  // With --fix checked, its run is the check (it analyses every file and reports what remains).
  if (!opts.fix) {
    const first = await checked(dir, []);
    if (first) {
      judge(first, 'check');
      jsonOut(first, 'check');
    }
    return;
  }

  // --fix --unsafe-fixes on a copy, twice: the first may change files, the second must not.
  const fixDir = path.join(work, `batch-${index}-fixed`);
  fs.cpSync(dir, fixDir, { recursive: true });
  const fix1 = await checked(fixDir, ['--fix', '--unsafe-fixes']);
  if (!fix1) return;
  judge(fix1, '--fix');
  jsonOut(fix1, '--fix');
  const afterFirst = new Map<string, Buffer>();
  const changed: string[] = [];
  for (const input of inputs) {
    const file = path.join(fixDir, input.name);
    if (!fs.existsSync(file)) {
      fail('corrupted', input.name, '--fix: the file is gone');
      continue;
    }
    const now = fs.readFileSync(file);
    afterFirst.set(input.name, now);
    if (!now.equals(input.data)) {
      changed.push(input.name);
      if (now.length === 0) fail('corrupted', input.name, '--fix emptied the file');
    }
  }
  for (const name of listFiles(fixDir)) if (name.includes('.asyncwise-') && name.endsWith('.tmp')) fail('corrupted', undefined, `--fix left ${name} behind`);
  stats.fixedFiles += changed.length;

  // Fixed files must parse no worse than their input.
  const pyChanged = changed.filter((n) => n.endsWith('.py'));
  if (pyChanged.length) {
    const verdicts = pythonParses(pyChanged.flatMap((n) => [path.join(dir, n), path.join(fixDir, n)]));
    for (const n of pyChanged) {
      if (verdicts.get(path.join(dir, n)) && !verdicts.get(path.join(fixDir, n))) fail('worse-parse', n, `--fix: CPython parsed the input and rejects the result:\n${diffSnippet(byName.get(n)!.data, afterFirst.get(n)!)}`);
    }
  }
  for (const n of changed.filter((x) => !x.endsWith('.py'))) {
    const before = tsParseErrors(n, byName.get(n)!.data.toString('utf8'));
    const after = tsParseErrors(n, afterFirst.get(n)!.toString('utf8'));
    if (after > before) fail('worse-parse', n, `--fix: TypeScript parse errors ${before} -> ${after}:\n${diffSnippet(byName.get(n)!.data, afterFirst.get(n)!)}`);
  }

  if (changed.length === 0) return;
  // Only the files the first round changed: the others were already at their fixed point.
  const fix2 = await checked(fixDir, ['--fix', '--unsafe-fixes'], changed);
  if (!fix2) return;
  judge(fix2, 'second --fix');
  for (const n of changed) {
    const again = fs.readFileSync(path.join(fixDir, n));
    if (!again.equals(afterFirst.get(n)!)) fail('non-converging', n, `the second --fix changed it again:\n${diffSnippet(afterFirst.get(n)!, again)}`);
  }
}

/** The first differing region of two texts, a few lines around it. */
function diffSnippet(a: Buffer, b: Buffer): string {
  const x = a.toString('utf8');
  const y = b.toString('utf8');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  const from = Math.max(0, x.lastIndexOf('\n', i - 200));
  return `--- before\n${x.slice(from, i + 300)}\n--- after\n${y.slice(from, i + 300)}`;
}

// ---------------------------------------------------------------------------------------------
// Configuration and file-system faults: each scenario is a folder, checked once; it must answer
// (exit 0, 1 or 2) in time with no internal error.

const TOML_VALUES = ['true', '1', '"x"', '[]', '["AW201"]', '{}', '[[]]', '"{"', '"[z-a]"', '"{a,b"', '"**/**/**/**/**/**/**/**/*.py"', '"' + '*a'.repeat(12) + '*b"', '{ __proto__ = 1 }', '[' + '['.repeat(200) + ']'.repeat(200) + ']', '"\\u0000"', '1e999', 'nan', '"\\uD800"'];
const TOML_KEYS = ['enable', 'select', 'ignore', 'exclude', 'extend-exclude', 'per-file-ignores', 'target-version', '__proto__', 'constructor', 'prototype', 'rules', 'hasOwnProperty', '"{x"', 'AW201', 'test-files', 'unsafe-fixes'];

function faultScenarios(rng: Random, n: number): { name: string; setup: (dir: string) => void }[] {
  const sample = 'import asyncio\nimport time\nasync def f():\n    time.sleep(1)\n    asyncio.create_task(g())\n';
  const scenarios: { name: string; setup: (dir: string) => void }[] = [
    { name: 'fifo', setup: (d) => { spawnSync('mkfifo', [path.join(d, 'pipe.py')]); fs.symlinkSync('pipe.py', path.join(d, 'link.py')); } },
    { name: 'symlink loop', setup: (d) => { fs.symlinkSync('loop', path.join(d, 'loop')); fs.symlinkSync('a.py', path.join(d, 'b.py')); fs.symlinkSync('b.py', path.join(d, 'a.py')); } },
    { name: 'dangling symlink', setup: (d) => fs.symlinkSync('missing.py', path.join(d, 'dangling.py')) },
    { name: 'unreadable file', setup: (d) => { fs.writeFileSync(path.join(d, 'secret.py'), sample); fs.chmodSync(path.join(d, 'secret.py'), 0); } },
    { name: 'unreadable folder', setup: (d) => { fs.mkdirSync(path.join(d, 'locked')); fs.writeFileSync(path.join(d, 'locked', 'x.py'), sample); fs.chmodSync(path.join(d, 'locked'), 0); } },
    { name: 'cache dir is a file', setup: (d) => { fs.mkdirSync(path.join(d, '.cache')); fs.writeFileSync(path.join(d, '.cache', 'asyncwise'), 'x'); } },
    { name: 'cache of the wrong shape', setup: (d) => { fs.mkdirSync(path.join(d, '.cache', 'asyncwise'), { recursive: true }); for (const f of ['results.json', 'index.json', 'cache.json']) fs.writeFileSync(path.join(d, '.cache', 'asyncwise', f), '{"entries":[null],"map":5}'); } },
    { name: 'non-UTF-8 names', setup: (d) => { const dir = Buffer.concat([Buffer.from(d + '/'), Buffer.from([0x66, 0xff, 0x6f])]); fs.mkdirSync(dir); fs.writeFileSync(Buffer.concat([dir, Buffer.from('/a.py')]), sample); fs.writeFileSync(Buffer.concat([Buffer.from(d + '/'), Buffer.from([0xfe, 0x2e, 0x70, 0x79])]), sample); } },
    { name: 'package.json with a BOM and deep JSON', setup: (d) => fs.writeFileSync(path.join(d, 'package.json'), '\uFEFF{"asyncwise": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}') },
    { name: 'pyproject __proto__', setup: (d) => fs.writeFileSync(path.join(d, 'pyproject.toml'), '[tool.asyncwise.__proto__]\nenable = false\n') },
    { name: 'malformed TOML', setup: (d) => fs.writeFileSync(path.join(d, 'pyproject.toml'), '[tool.asyncwise\nselect = ["AW201"]\nselect = []\n') },
    { name: 'long multi-line array', setup: (d) => fs.writeFileSync(path.join(d, 'pyproject.toml'), '[tool.other]\nx = [\n' + '  "a",\n'.repeat(40_000) + ']\n[tool.asyncwise]\nselect = ["AW201"]\n') },
  ];
  for (let i = 0; i < n; i++) {
    const lines: string[] = [rng.pick(['[tool.asyncwise]', '[tool.asyncwise.rules]', '[tool.asyncwise.per-file-ignores]', '[tool.asyncwise.__proto__]', '[tool.asyncwise', '[[tool.asyncwise]]'])];
    for (let k = rng.range(1, 4); k > 0; k--) lines.push(`${rng.pick(TOML_KEYS)} = ${rng.pick(TOML_VALUES)}`);
    const gitignore = Array.from({ length: rng.range(0, 3) }, () => rng.pick(['{', '[z-a]', '**/'.repeat(50) + '*.py', '!', '\\', '*'.repeat(30) + 'x', '[!]', '/**/', 'a/**/b/**/c/**/d']));
    scenarios.push({
      name: `hostile config #${i}: ${JSON.stringify(lines.join('\n'))} / .gitignore ${JSON.stringify(gitignore)}`,
      setup: (d) => {
        fs.writeFileSync(path.join(d, 'pyproject.toml'), lines.join('\n') + '\n');
        fs.mkdirSync(path.join(d, '.git'));
        fs.writeFileSync(path.join(d, '.gitignore'), gitignore.join('\n') + '\n');
        fs.mkdirSync(path.join(d, 'a/b/c/d/e/f/g'), { recursive: true });
        fs.writeFileSync(path.join(d, 'a/b/c/d/e/f/g', 'deep.py'), sample);
      },
    });
  }
  return scenarios;
}

async function runFaults(work: string, rng: Random, stats: Stats): Promise<number> {
  const scenarios = faultScenarios(rng, 40);
  for (const [i, s] of scenarios.entries()) {
    const dir = path.join(work, `fault-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ok.py'), 'import time\nasync def f():\n    time.sleep(1)\n');
    try {
      s.setup(dir);
    } catch (error) {
      stats.failures.push({ kind: 'fault', detail: `${s.name}: setting up failed: ${String(error)}` });
      continue;
    }
    for (const args of [['check', '--hints', '.'], ['check', '--no-cache', '--hints', '--fix', '.']]) {
      stats.cliRuns++;
      const run = await runCli(args, dir, HANG_MS);
      const problem = run.timedOut ? `no answer within ${HANG_MS / 1000} s` : run.signal || ![0, 1, 2].includes(run.status ?? -1) ? `exit ${run.status ?? run.signal}` : /internal error|\n\s+at /.test(run.stderr) ? `internal error: ${run.stderr.slice(0, 1500)}` : undefined;
      if (problem) stats.failures.push({ kind: 'fault', detail: `${s.name} (${args.join(' ')}): ${problem}` });
      // The sample beside the fault is still checked (unless the configuration is rejected as a whole).
      else if (!/ok\.py:3:5: AW201/.test(run.stdout) && !/configuration error/.test(run.stderr) && args.length === 3 && !/enable = false|select|ignore|exclude|__proto__|per-file/.test(s.name)) {
        stats.failures.push({ kind: 'fault', detail: `${s.name}: ok.py's finding is missing:\n${run.stdout.slice(0, 500)}\n${run.stderr.slice(0, 500)}` });
      }
    }
    spawnSync('chmod', ['-R', 'u+rwx', dir]);
  }
  return scenarios.length;
}

// ---------------------------------------------------------------------------------------------
// A real tsserver with the plugin: geterr on mutated TS/JS files.

/**
 * When a server stops answering because TypeScript itself failed — its binder overflowing the stack
 * on a 1,000-deep `await await …` chain in a file of the project, then "Debug Failure" on every later
 * update of that project (it happens without the plugin too) — the first exception's message, else
 * undefined. Only when the server logged exceptions and none of their stacks passes through the
 * plugin (its bundle lives under `probe`): a failure with a plugin frame is ours.
 */
function typescriptsOwnFailure(log: string, probe: string): string | undefined {
  const exceptions = log.split(/\n(?=\S+ \d+ +\[)/).filter((entry) => /^Err \d+ +\[[^\]]*\] Exception on executing command/.test(entry));
  const frames = exceptions.flatMap((e) => e.split('\n').filter((line) => /^\s+at /.test(line)));
  if (exceptions.length === 0 || frames.length === 0 || frames.some((f) => f.includes(probe) || f.includes(PLUGIN_NAME))) return undefined;
  const message = /\n\s*\n\s*(.+)/.exec(exceptions[0])?.[1]?.trim();
  return message ? `TypeScript's own exception in tsserver: ${message}` : undefined;
}

/** TypeScript's own parse and bind of one input, no plugin: the error it throws, if any. */
function typescriptAloneFails(input: Input): string | undefined {
  const host = TS_MODULE.createCompilerHost({ noLib: true, allowJs: true, jsx: TS_MODULE.JsxEmit.React });
  const file = `/fuzz/${input.name}`;
  const text = input.data.toString('utf8');
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, options, onError) => (name === file ? TS_MODULE.createSourceFile(name, text, options, true) : getSourceFile.call(host, name, options, onError));
  host.fileExists = (name) => name === file;
  try {
    TS_MODULE.createProgram([file], { noLib: true, allowJs: true, jsx: TS_MODULE.JsxEmit.React, noResolve: true }, host).getTypeChecker();
    return undefined;
  } catch (error) {
    return String(error).slice(0, 300);
  }
}

async function runTsserver(root: string, work: string, inputs: readonly Input[], stats: Stats): Promise<{ files: number; slowestMs: number }> {
  const dir = path.join(work, 'tsserver');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'es2022', module: 'commonjs', strict: true, allowJs: true, checkJs: false, jsx: 'react', types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')] } }));
  // An input on which TypeScript alone overflows its stack (a parse or bind 1,000 levels deep) fails
  // every later request of the project it sits in: each file after it waited 30 s for nothing. Such
  // inputs are TypeScript's failure, not the plugin's: kept out, and listed with the failures that are not ours.
  const usable = inputs.filter((i) => {
    if (i.data.subarray(0, 8192).includes(0)) return false;
    const failure = typescriptAloneFails(i);
    if (failure) stats.typescriptFailures.push(`${i.name} (${i.recipe}): kept out of the tsserver project: TypeScript alone fails on it: ${failure}`);
    return !failure;
  });
  writeBatch(dir, usable);
  const probe = bundlePlugin(root, path.join(work, 'plugin'));
  let server = new TsServer({ typescriptDir: path.join(root, 'node_modules', 'typescript'), globalPlugins: [PLUGIN_NAME], pluginProbeLocations: [probe] });
  let slowest = 0;
  try {
    for (const input of usable) {
      const file = path.join(dir, input.name);
      const started = performance.now();
      try {
        server.open(file, dir);
        await server.diagnostics(file, HANG_MS);
        server.notify('close', { file });
      } catch (error) {
        const own = typescriptsOwnFailure(server.log(), probe);
        if (own) stats.typescriptFailures.push(`${input.name}: ${String(error)}; ${own}`);
        else stats.failures.push({ kind: 'tsserver', input, detail: `${String(error)}${server.alive ? '' : ' (tsserver died)'}` });
        await server.close();
        server = new TsServer({ typescriptDir: path.join(root, 'node_modules', 'typescript'), globalPlugins: [PLUGIN_NAME], pluginProbeLocations: [probe] });
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    // The plugin logs what it caught (a rule or an analysis that threw): each is a crash it survived.
    for (const line of server.log().split('\n')) {
      const m = /(?:analysing (\S+) failed|rule (\S+) failed on (\S+)|failed for (\S+);)/.exec(line);
      if (m) {
        const name = path.basename(m[1] ?? m[3] ?? m[4]);
        stats.failures.push({ kind: 'tsserver', input: usable.find((i) => i.name === name), detail: line.slice(0, 2000) });
      }
    }
  } finally {
    await server.close();
  }
  return { files: usable.length, slowestMs: slowest };
}

// ---------------------------------------------------------------------------------------------

/**
 * The failures, each written to `out` as it is found (its input, and what happened), so a long run
 * can be looked at, or stopped, midway; each is ready to become a regression test.
 */
function failureLog(out: string): Failure[] {
  const list: Failure[] = [];
  list.push = (...items: Failure[]): number => {
    for (const f of items) {
      fs.mkdirSync(out, { recursive: true });
      const base = path.join(out, `${String(list.length).padStart(4, '0')}-${f.kind}`);
      if (f.input) fs.writeFileSync(`${base}-${f.input.name}`, f.input.data);
      fs.writeFileSync(`${base}.txt`, `${f.kind}\n${f.input ? `${f.input.name} (${f.input.recipe})\n` : ''}${f.detail}\n`);
      Array.prototype.push.call(list, f);
    }
    return list.length;
  };
  return list;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const root = repoRootFrom(__dirname);
  CLI = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "node esbuild.js" first`);
  TS_MODULE = require(path.join(root, 'node_modules', 'typescript')) as typeof ts;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `asyncwise-fuzz-${opts.seed}-`));
  const out = opts.out ?? path.join(os.tmpdir(), `asyncwise-fuzz-failures-${opts.seed}`);
  const rng = new Random(opts.seed);
  const seeds = seedFiles(root);
  const stats: Stats = { inputs: { py: 0, ts: 0 }, generated: 0, cliRuns: 0, fixedFiles: 0, overBudget: 0, parserFailures: 0, typescriptFailures: [], failures: failureLog(out) };
  const started = performance.now();
  const tsSample: Input[] = [];

  // Batches are generated up front per language (deterministic), run `--jobs` at a time.
  const plan: { lang: Lang; count: number; first: number }[] = [];
  for (const [lang, total] of [['py', opts.python], ['ts', opts.ts]] as const) {
    for (let first = 0; first < total; first += opts.batch) plan.push({ lang, count: Math.min(opts.batch, total - first), first });
  }
  let next = Math.min(opts.skip, plan.length);
  let done = next;
  const stopAt = opts.minutes > 0 ? started + opts.minutes * 60_000 : Infinity;
  const worker = async () => {
    while (next < plan.length && performance.now() < stopAt) {
      const index = next++;
      const b = plan[index];
      const inputs = makeInputs(new Random(opts.seed * 1_000_003 + index), b.lang, b.count, b.lang === 'py' ? seeds.py : seeds.ts, b.first, opts.pathological);
      stats.inputs[b.lang] += inputs.length;
      stats.generated += inputs.filter((i) => i.recipe.startsWith('generated')).length;
      if (b.lang === 'ts' && tsSample.length < opts.tsserver) tsSample.push(...inputs.filter((i) => i.data.length < 300_000).slice(0, opts.tsserver - tsSample.length));
      await checkBatch(work, index, inputs, opts, stats);
      if (!opts.keep) for (const suffix of ['', '-fixed']) fs.rmSync(path.join(work, `batch-${index}${suffix}`), { recursive: true, force: true });
      done++;
      process.stderr.write(`fuzz: ${done}/${plan.length} folders, ${stats.inputs.py} Python + ${stats.inputs.ts} TS/JS inputs, ${stats.failures.length} failures, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }
  };
  await Promise.all(Array.from({ length: opts.jobs }, worker));

  const faults = opts.faults ? await runFaults(work, rng, stats) : 0;
  const tsserver = opts.tsserver > 0 ? await runTsserver(root, work, tsSample, stats) : { files: 0, slowestMs: 0 };
  const seconds = (performance.now() - started) / 1000;

  const count = (kind: Failure['kind']) => stats.failures.filter((f) => f.kind === kind).length;
  const summary = {
    seed: opts.seed,
    inputs: stats.inputs.py + stats.inputs.ts,
    python: stats.inputs.py,
    typescript: stats.inputs.ts,
    generated: stats.generated,
    cliRuns: stats.cliRuns,
    filesChangedByFix: stats.fixedFiles,
    overBudget: stats.overBudget,
    typescriptParserFailures: stats.parserFailures,
    crashes: count('crash'),
    hangsOver30s: count('hang'),
    worseParses: count('worse-parse'),
    nonConvergingFixes: count('non-converging'),
    corrupted: count('corrupted'),
    faultScenarios: faults,
    faultFailures: count('fault'),
    tsserverFiles: tsserver.files,
    tsserverSlowestMs: Math.round(tsserver.slowestMs),
    tsserverFailures: count('tsserver'),
    tsserverTypescriptFailures: stats.typescriptFailures.length,
    seconds: Math.round(seconds),
  };
  console.log(JSON.stringify(summary, null, 2));
  for (const line of stats.typescriptFailures) console.log(`not ours (no plugin frame on any stack): ${line}`);
  if (stats.failures.length) console.log(`${stats.failures.length} failures written to ${out}`);
  if (!opts.keep) fs.rmSync(work, { recursive: true, force: true });
  else console.log(`inputs kept in ${work}`);
  process.exitCode = stats.failures.length ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
