/**
 * `npm run bench:peers`: the TS/JS engine next to the linters a TS/JS user would run instead, as
 * whole processes on the same files, in the same run: the asyncwise CLI (`check --no-cache`, its
 * default catalog and `--hints`), oxlint syntax-only, oxlint `--type-aware` (oxlint-tsgolint),
 * Biome and ESLint + typescript-eslint, each with its promise/await rules:
 *
 *   oxlint                      no-await-in-loop, no-async-promise-executor (+ typescript/no-floating-promises with --type-aware)
 *   Biome                       performance/noAwaitInLoops, suspicious/noAsyncPromiseExecutor, nursery/noFloatingPromises
 *   ESLint + typescript-eslint  no-await-in-loop, no-async-promise-executor (+ @typescript-eslint/no-floating-promises with a tsconfig)
 *
 * Wall time (median of --runs), CPU time (user + system of the whole process tree, from bash's
 * `times`) and peak RSS of the process tree (its /proc/<pid>/status VmRSS summed over the tree,
 * polled every 10 ms: oxlint's tsgolint and the CLI's threads count). The tools run alternately —
 * each run takes every tool once, in a rotating order — so a busy moment of the machine falls on all
 * of them alike and the ratios stay fair when the seconds do not.
 *
 * Two corpora, materialised from the search tool's snapshots at the ecosystem check's pinned commits
 * (bench/ecosystem/projects.json; never committed) under $TMPDIR/asyncwise-peers/:
 *   --ts DIR   a TS project with a tsconfig.json (default: node-mongodb-native's src/ and its
 *              tsconfig.json, 132 files / 41k lines)
 *   --js DIR   a large JS project without one (default: fastify, its tsconfig.json files removed)
 * Each corpus gets node_modules/@types/node linked to this repository's, so `types: ["node"]`
 * resolves for every tool alike (the projects' other dependencies are not installed: unresolved for all).
 *
 * Findings: asyncwise's JSON output must be the same in every run of a corpus; `--save FILE` writes it
 * (sorted), `--expect FILE` fails the run when it differs from a saved one — the check that an engine
 * change altered no finding. `--before CLI` runs another build's CLI (a checkout of the code before a
 * change, built) alongside, alternately like the peers, and fails when its findings differ.
 *
 *   node out/bench/peers.js [--ts DIR] [--js DIR] [--runs N] [--only NAME,...] [--save FILE] [--expect FILE] [--before CLI] [--json]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hasCommit, writeSnapshot } from './snapshot';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const MIRRORS = process.env.ASYNCWISE_ECOSYSTEM_MIRRORS ?? '/work/.mirror';
const TS_SOURCE = /\.(?:[cm]?[jt]sx?)$/;

interface Options {
  ts?: string;
  js?: string;
  runs: number;
  only?: Set<string>;
  save?: string;
  expect?: string;
  /** Another build's CLI (dist/cli.js of a checkout before a change), run alongside: same findings asserted. */
  before?: string;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { runs: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? '';
    if (arg === '--ts') opts.ts = path.resolve(value());
    else if (arg === '--js') opts.js = path.resolve(value());
    else if (arg === '--runs') opts.runs = Math.max(1, Number(value()) || 1);
    else if (arg === '--only') opts.only = new Set(value().split(','));
    else if (arg === '--save') opts.save = path.resolve(value());
    else if (arg === '--expect') opts.expect = path.resolve(value());
    else if (arg === '--before') opts.before = path.resolve(value());
    else if (arg === '--json') opts.json = true;
    else throw new Error(`unknown option ${arg} (expected --ts DIR, --js DIR, --runs N, --only NAMES, --save FILE, --expect FILE, --before CLI, --json)`);
  }
  return opts;
}

// ---------------------------------------------------------------- corpora

interface Corpus {
  readonly name: string;
  readonly dir: string;
  /** Whether the folder holds a tsconfig.json (the type-aware tools run only then). */
  readonly typed: boolean;
  readonly files: number;
  readonly lines: number;
}

function pinned(repo: string): string {
  const projects = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'ecosystem', 'projects.json'), 'utf8')) as { repo: string; commit: string }[];
  const found = projects.find((p) => p.repo === repo);
  if (!found) throw new Error(`${repo} is not in bench/ecosystem/projects.json`);
  return found.commit;
}

/** A snapshot's files at the ecosystem check's pinned commit, once (a stamp file says which commit). */
function materialize(repo: string, name: string, keep: (file: string) => boolean): string {
  const commit = pinned(repo);
  const dir = path.join(os.tmpdir(), 'asyncwise-peers', name);
  const stamp = path.join(dir, '.asyncwise-peers-commit');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === commit) return dir;
  const gitDir = path.join(MIRRORS, repo.replace('/', '+'), 'repo');
  if (!hasCommit(gitDir, commit)) throw new Error(`no snapshot of ${repo} at ${commit} in ${gitDir}: fetch github:${repo} with the search tool, or pass --ts/--js DIR`);
  writeSnapshot(gitDir, commit, dir, (file, bytes) => bytes <= 2 * 1024 * 1024 && keep(file));
  fs.writeFileSync(stamp, `${commit}\n`);
  return dir;
}

/** Node's types for every tool alike (`types: ["node"]`), without installing the project's dependencies. */
function linkNodeTypes(dir: string): void {
  const target = path.join(dir, 'node_modules', '@types', 'node');
  if (fs.existsSync(target)) return;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), target, 'dir');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.git') continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (TS_SOURCE.test(e.name) && !/\.d\.[cm]?ts$/.test(e.name)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

function corpus(name: string, dir: string): Corpus {
  linkNodeTypes(dir);
  const files = sourceFiles(dir);
  const lines = files.reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').length, 0);
  return { name, dir, typed: fs.existsSync(path.join(dir, 'tsconfig.json')), files: files.length, lines };
}

function corpora(opts: Options): Corpus[] {
  const ts = opts.ts ?? materialize('mongodb/node-mongodb-native', 'node-mongodb-native', (f) => f === 'tsconfig.json' || f === 'package.json' || (f.startsWith('src/') && TS_SOURCE.test(f)));
  if (!opts.ts) {
    // TypeScript 7 (tsgolint) refuses this tsconfig — `esModuleInterop: false` is removed there, and an
    // outDir needs an explicit rootDir — and then runs no type-aware rule at all: both set as TS 7 asks.
    const config = path.join(ts, 'tsconfig.json');
    const text = fs.readFileSync(config, 'utf8');
    if (text.includes('"esModuleInterop": false')) fs.writeFileSync(config, text.replace('"esModuleInterop": false', '"rootDir": "src"'));
  }
  // fastify without its tsconfig.json files: every file syntax-only, for every tool.
  const js = opts.js ?? materialize('fastify/fastify', 'fastify', (f) => (TS_SOURCE.test(f) || f === 'package.json') && !/(^|\/)tsconfig[^/]*\.json$/.test(f));
  return [corpus(opts.ts ? path.basename(opts.ts) : 'node-mongodb-native (src, tsconfig.json)', ts), corpus(opts.js ? path.basename(opts.js) : 'fastify (no tsconfig.json)', js)];
}

// ---------------------------------------------------------------- tools

interface Tool {
  readonly name: string;
  /** Only on a corpus with a tsconfig.json. */
  readonly typed?: boolean;
  readonly command: (c: Corpus, cfg: string) => { file: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** Findings per rule, from the tool's stdout. */
  readonly findings: (stdout: string, c: Corpus) => Record<string, number>;
}

function count(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...keys].sort()) out[k] = (out[k] ?? 0) + 1;
  return out;
}

const OXLINT_RULES = { 'no-await-in-loop': 'error', 'no-async-promise-executor': 'error', 'typescript/no-floating-promises': 'error' };
const CATEGORIES_OFF = Object.fromEntries(['correctness', 'suspicious', 'pedantic', 'perf', 'style', 'restriction', 'nursery'].map((c) => [c, 'off']));

function writeConfigs(cfg: string): void {
  fs.mkdirSync(cfg, { recursive: true });
  fs.writeFileSync(path.join(cfg, 'oxlintrc.json'), JSON.stringify({ categories: CATEGORIES_OFF, plugins: ['typescript', 'eslint'], rules: OXLINT_RULES }, null, 2));
  fs.writeFileSync(
    path.join(cfg, 'biome.json'),
    JSON.stringify(
      {
        formatter: { enabled: false },
        assist: { enabled: false },
        linter: { rules: { recommended: false, performance: { noAwaitInLoops: 'error' }, suspicious: { noAsyncPromiseExecutor: 'error' }, nursery: { noFloatingPromises: 'error' } } },
      },
      null,
      2,
    ),
  );
  // ESLint's flat config: type-aware where a tsconfig.json is (the project service finds it), syntax-only elsewhere.
  const req = (m: string) => JSON.stringify(require.resolve(m, { paths: [ROOT] }));
  fs.writeFileSync(
    path.join(cfg, 'eslint.config.cjs'),
    `'use strict';
const tseslint = require(${req('typescript-eslint')});
const typed = require('node:fs').existsSync(require('node:path').join(process.cwd(), 'tsconfig.json'));
module.exports = [
  { ignores: ['**/node_modules/**', '**/*.d.ts'] },
  {
    files: ['**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}'],
    linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
    languageOptions: { parser: tseslint.parser, parserOptions: typed ? { projectService: true, tsconfigRootDir: process.cwd() } : {} },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { 'no-await-in-loop': 'error', 'no-async-promise-executor': 'error', ...(typed ? { '@typescript-eslint/no-floating-promises': 'error' } : {}) },
  },
  // The project service knows only the tsconfig's files: the others (scripts, tests) are linted syntax-only.
  ...(typed ? [{ files: ['**/*.{js,mjs,cjs,jsx}'], languageOptions: { parserOptions: { projectService: false } }, rules: { '@typescript-eslint/no-floating-promises': 'off' } }] : []),
];
`,
  );
}

const oxlintFindings = (stdout: string) => count((JSON.parse(stdout) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code));

/** The CLI's default catalog and `--hints` (every TS/JS rule: the one comparable to the peers' rule sets). */
function asyncwiseTools(cli: string, suffix: string): Tool[] {
  const findings = (stdout: string) => count((JSON.parse(stdout) as { code: string }[]).map((p) => p.code));
  return [
    { name: `asyncwise${suffix}`, command: () => ({ file: process.execPath, args: [cli, 'check', '--no-cache', '--format', 'json', '.'] }), findings },
    { name: `asyncwise --hints${suffix}`, command: () => ({ file: process.execPath, args: [cli, 'check', '--no-cache', '--hints', '--format', 'json', '.'] }), findings },
  ];
}

const BEFORE = ' (before)';

const TOOLS: readonly Tool[] = [
  ...asyncwiseTools(CLI, ''),
  {
    name: 'oxlint',
    command: (_c, cfg) => ({ file: path.join(BIN, 'oxlint'), args: ['-c', path.join(cfg, 'oxlintrc.json'), '--format', 'json', '.'] }),
    findings: oxlintFindings,
  },
  {
    name: 'oxlint --type-aware',
    typed: true,
    command: (_c, cfg) => ({
      file: path.join(BIN, 'oxlint'),
      args: ['--type-aware', '-c', path.join(cfg, 'oxlintrc.json'), '--format', 'json', '.'],
      // The native tsgolint binary (oxlint looks for it in the linted folder's node_modules otherwise).
      env: { OXLINT_TSGOLINT_PATH: path.join(path.dirname(require.resolve('oxlint-tsgolint/package.json', { paths: [ROOT] })), '..', '@oxlint-tsgolint', `${process.platform}-${process.arch}`, 'tsgolint') },
    }),
    findings: oxlintFindings,
  },
  {
    name: 'biome',
    command: (_c, cfg) => ({ file: path.join(BIN, 'biome'), args: ['lint', '--config-path', cfg, '--reporter', 'json', '--max-diagnostics', 'none', '.'] }),
    findings: (stdout) => {
      const report = JSON.parse(stdout) as { diagnostics?: { category?: string }[] };
      return count((report.diagnostics ?? []).map((d) => d.category ?? '?'));
    },
  },
  {
    name: 'eslint + typescript-eslint',
    command: (_c, cfg) => ({ file: process.execPath, args: ['--max-old-space-size=8192', path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '-c', path.join(cfg, 'eslint.config.cjs'), '--format', 'json', '--no-warn-ignored', '.'] }),
    findings: (stdout) => count((JSON.parse(stdout) as { messages: { ruleId: string | null; fatal?: boolean }[] }[]).flatMap((r) => r.messages.filter((m) => m.ruleId !== null || m.fatal).map((m) => m.ruleId ?? 'fatal'))),
  },
];

// ---------------------------------------------------------------- measuring

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakMb: number;
  readonly stdout: string;
}

/** VmRSS (kB) of a process and all its descendants, now. */
function treeRssKb(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        const children = fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) for (const c of children.split(' ')) stack.push(Number(c));
      }
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Runs one command under bash (whose `times` gives the CPU of the whole waited-for tree), polling its tree's RSS. */
function measure(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv | undefined): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // `times` prints the shell's, then its children's user and system time; fd 3 keeps it off the tool's output.
    const child = spawn('bash', ['-c', '"$@"; rc=$?; times >&3; exit $rc', 'bash', file, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let times = '';
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => (times += b.toString()));
    let peak = 0;
    const poll = () => {
      if (child.pid) peak = Math.max(peak, treeRssKb(child.pid));
    };
    const timer = setInterval(poll, 10);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const wallMs = performance.now() - started;
      const stdout = Buffer.concat(out).toString('utf8');
      // Exit 1 is "findings" for every tool here; 2 and up is an error.
      if (code !== 0 && code !== 1) return reject(new Error(`${path.basename(file)} ${args.join(' ')} in ${cwd} exited ${code}: ${Buffer.concat(err).toString('utf8').slice(0, 2000)}`));
      // "0m0.010s 0m0.002s\n1m2.345s 0m0.678s": the second line is the children's.
      const seconds = (s: string) => {
        const m = /(\d+)m([\d.]+)s/.exec(s);
        return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
      };
      const [user, system] = (times.trim().split('\n')[1] ?? '').split(/\s+/);
      resolve({ wallMs, cpuMs: (seconds(user ?? '') + seconds(system ?? '')) * 1000, peakMb: Math.max(peak, 0) / 1024, stdout });
    });
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

/** asyncwise's findings as sorted lines, for the before/after comparison. */
function findingLines(stdout: string): string[] {
  return (JSON.parse(stdout) as { file: string; line: number; column: number; code: string; message: string }[]).map((p) => `${p.file}:${p.line}:${p.column} ${p.code} ${p.message}`).sort();
}

interface ToolResult {
  readonly tool: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakMb: number;
  readonly findings: Record<string, number>;
}

interface CorpusResult {
  readonly corpus: Corpus;
  readonly tools: ToolResult[];
  /** asyncwise's findings, as sorted lines, by tool name (`asyncwise`, `asyncwise --hints`). */
  readonly asyncwise: Record<string, string[]>;
}

async function runCorpus(c: Corpus, tools: readonly Tool[], runs: number, cfg: string, log: (s: string) => void): Promise<CorpusResult> {
  const samples = new Map<string, Sample[]>(tools.map((t) => [t.name, []]));
  const outputs: Record<string, string[]> = {};
  for (let r = 0; r < runs; r++) {
    // A rotating order: no tool always runs right after the heaviest one.
    const order = tools.map((_, i) => tools[(i + r) % tools.length]);
    for (const tool of order) {
      const { file, args, env } = tool.command(c, cfg);
      const s = await measure(file, args, c.dir, env);
      samples.get(tool.name)!.push(s);
      if (tool.name.startsWith('asyncwise')) {
        const lines = findingLines(s.stdout);
        const before = outputs[tool.name];
        if (before && before.join('\n') !== lines.join('\n')) throw new Error(`${tool.name} on ${c.name}: run ${r + 1} found other problems than run 1`);
        outputs[tool.name] = lines;
      }
      log(`    run ${r + 1} ${tool.name}: ${(s.wallMs / 1000).toFixed(2)} s wall, ${(s.cpuMs / 1000).toFixed(2)} s CPU, ${s.peakMb.toFixed(0)} MB`);
    }
  }
  return {
    corpus: c,
    tools: tools.map((t) => {
      const ss = samples.get(t.name)!;
      return { tool: t.name, wallMs: median(ss.map((s) => s.wallMs)), cpuMs: median(ss.map((s) => s.cpuMs)), peakMb: median(ss.map((s) => s.peakMb)), findings: t.findings(ss[ss.length - 1].stdout, c) };
    }),
    asyncwise: outputs,
  };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run node esbuild.js --production first`);
  const log = (s: string) => {
    if (!opts.json) console.log(s);
  };
  const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-peers-cfg-'));
  writeConfigs(cfg);
  const results: CorpusResult[] = [];
  const loadBefore = os.loadavg()[0];
  try {
    for (const c of corpora(opts)) {
      log(`\n${c.name}: ${c.dir}, ${c.files} files, ${c.lines.toLocaleString('en-US')} lines, ${c.typed ? 'tsconfig.json' : 'no tsconfig.json'}; ${opts.runs} runs, load ${os.loadavg()[0].toFixed(1)}`);
      const tools = [...TOOLS, ...(opts.before ? asyncwiseTools(opts.before, BEFORE) : [])].filter((t) => (!t.typed || c.typed) && (!opts.only || opts.only.has(t.name) || t.name.startsWith('asyncwise')));
      results.push(await runCorpus(c, tools, opts.runs, cfg, log));
    }
  } finally {
    fs.rmSync(cfg, { recursive: true, force: true });
  }
  const findings = Object.fromEntries(results.map((r) => [r.corpus.name, r.asyncwise]));
  if (opts.save) fs.writeFileSync(opts.save, JSON.stringify(findings, null, 1));
  let differs = '';
  // The build before a change, run in the same script: its findings must be these exactly.
  for (const [name, byTool] of Object.entries(findings)) {
    for (const [tool, lines] of Object.entries(byTool)) {
      if (!tool.endsWith(BEFORE)) continue;
      const after = byTool[tool.slice(0, -BEFORE.length)] ?? [];
      const gone = lines.filter((l) => !after.includes(l));
      const added = after.filter((l) => !lines.includes(l));
      if (gone.length || added.length) differs += `\n${name}, ${tool} → now: ${gone.length} findings gone, ${added.length} new\n${[...gone.map((l) => `  - ${l}`), ...added.map((l) => `  + ${l}`)].slice(0, 20).join('\n')}`;
    }
  }
  if (opts.expect) {
    const expected = JSON.parse(fs.readFileSync(opts.expect, 'utf8')) as Record<string, Record<string, string[]>>;
    for (const [name, byTool] of Object.entries(findings)) {
      for (const [tool, lines] of Object.entries(byTool)) {
        const want = expected[name]?.[tool];
        if (!want) continue;
        const gone = want.filter((l) => !lines.includes(l));
        const added = lines.filter((l) => !want.includes(l));
        if (gone.length || added.length) differs += `\n${name}, ${tool}: ${gone.length} findings gone, ${added.length} new\n${[...gone.map((l) => `  - ${l}`), ...added.map((l) => `  + ${l}`)].slice(0, 20).join('\n')}`;
      }
    }
  }
  if (opts.json) console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, load: [loadBefore, os.loadavg()[0]], results: results.map((r) => ({ corpus: r.corpus, tools: r.tools })) }, null, 2));
  else {
    console.log(`\nnode ${process.version}, ${os.cpus().length} cores, load ${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}; medians of ${opts.runs}`);
    for (const r of results) {
      console.log(`\n${r.corpus.name} — ${r.corpus.files} files, ${r.corpus.lines.toLocaleString('en-US')} lines`);
      const ours = r.tools.filter((t) => t.tool.startsWith('asyncwise') && !t.tool.endsWith(BEFORE));
      console.log(`  ${'tool'.padEnd(28)} ${'wall s'.padStart(7)} ${'CPU s'.padStart(7)} ${'peak MB'.padStart(8)}  ${ours.map((o) => `÷ ${o.tool}`.padStart(22)).join('')}  findings`);
      for (const t of r.tools) {
        const ratios = ours.map((o) => (o.tool === t.tool ? '' : `${(o.wallMs / t.wallMs).toFixed(2)}× / ${(o.peakMb / t.peakMb).toFixed(2)}× mem`).padStart(22)).join('');
        console.log(`  ${t.tool.padEnd(28)} ${(t.wallMs / 1000).toFixed(2).padStart(7)} ${(t.cpuMs / 1000).toFixed(2).padStart(7)} ${t.peakMb.toFixed(0).padStart(8)}  ${ratios}  ${JSON.stringify(t.findings)}`);
      }
    }
    console.log('\n(each ratio column: that asyncwise run\'s wall time and peak RSS ÷ the row\'s)');
    if (opts.save) console.log(`asyncwise findings saved to ${opts.save}`);
    if (opts.expect || opts.before) console.log(differs ? `FINDINGS DIFFER:${differs}` : `findings identical to ${[opts.before, opts.expect].filter(Boolean).join(' and ')}`);
  }
  if (differs) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(2);
});
