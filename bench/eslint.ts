/**
 * asyncwise's TS/JS run next to ESLint with the peer rules, on the same files, as whole processes:
 * typescript-eslint `no-floating-promises` (type-aware), core `no-await-in-loop` and eslint-plugin-n
 * `no-sync`, against the asyncwise CLI (`dist/cli.js check --no-cache`, every TS/JS rule, one program
 * from the corpus's tsconfig.json, each file with the checker). The corpus is copied into a temporary
 * folder under one tsconfig.json that both tools read. Prints the wall-time ratio (median of
 * --runs process runs each) and, per pair of corresponding rules, what both flag, what only
 * ESLint flags and what only asyncwise flags (matched by file and line). Asserts nothing.
 *
 *   node out/bench/eslint.js [--corpus DIR]... [--runs N] [--json]
 *
 * Default corpus: the MSAL sources (bench/tsplugin-corpus.ts) plus demo/node-service.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { countLines, median, repoRootFrom, tsCorpusRoots, tsFiles } from './tsplugin-corpus';

interface Found {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
}

interface WorkerResult {
  readonly ms: number;
  readonly found: Found[];
}

/** Which asyncwise codes answer to each peer rule. */
const PAIRS: readonly { peer: string; ours: readonly string[] }[] = [
  { peer: '@typescript-eslint/no-floating-promises', ours: ['AW301'] },
  { peer: 'no-await-in-loop', ours: ['AW401'] },
  { peer: 'n/no-sync', ours: ['AW201', 'AW203'] },
];

const root = repoRootFrom(__dirname);
const load = createRequire(__filename);

async function runEslint(files: string[], tsconfig: string): Promise<Found[]> {
  const { ESLint } = load('eslint') as typeof import('eslint');
  const tseslint = load('typescript-eslint') as { parser: unknown; plugin: unknown };
  const n = load('eslint-plugin-n') as unknown;
  const eslint = new ESLint({
    // The corpus copy's folder: ESLint lints no file outside its base path.
    cwd: path.dirname(tsconfig),
    overrideConfigFile: true,
    overrideConfig: [
      // The corpus lives in node_modules, which flat config ignores by default (`ignore: false` does not lift it).
      { ignores: ['!**/node_modules/'] },
      {
        files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'],
        // The three rules as they are: the corpus's own eslint-disable comments (for its rules) are not honoured.
        linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
        languageOptions: { parser: tseslint.parser as never, parserOptions: { project: tsconfig, tsconfigRootDir: path.dirname(tsconfig) } },
        plugins: { '@typescript-eslint': tseslint.plugin as never, n: n as never },
        rules: { '@typescript-eslint/no-floating-promises': 'error', 'no-await-in-loop': 'error', 'n/no-sync': 'error' },
      },
    ],
  });
  const results = await eslint.lintFiles(files);
  const found: Found[] = [];
  for (const r of results) {
    for (const m of r.messages) {
      // Rule-less messages are about the corpus's own eslint-disable comments (ignored here), not findings.
      if (m.ruleId === null && !m.fatal) continue;
      found.push({ file: r.filePath, line: m.line, rule: m.ruleId ?? `fatal: ${m.message}` });
    }
  }
  return found;
}

/** The real CLI over the corpus folder (its tsconfig.json gives the program), timed as a whole process. */
function runCli(corpusDir: string): WorkerResult & { wallMs: number } {
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run node esbuild.js --production first`);
  const started = performance.now();
  const child = spawnSync(process.execPath, [cli, 'check', '--format', 'json', '--no-cache', corpusDir], { cwd: corpusDir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  // Exit 1 means findings; 2 is an error.
  if (child.status !== 0 && child.status !== 1) throw new Error(`asyncwise CLI failed (${child.status}): ${child.stderr}`);
  const rows = JSON.parse(child.stdout) as { file: string; line: number; code: string }[];
  return { ms: wallMs, wallMs, found: rows.map((r) => ({ file: path.resolve(corpusDir, r.file), line: r.line, rule: r.code })) };
}

/** The child-process side: one engine over the listed files, timed from process start. */
async function worker(kind: string, listFile: string, tsconfig: string): Promise<void> {
  const files = JSON.parse(fs.readFileSync(listFile, 'utf8')) as string[];
  if (kind !== 'eslint') throw new Error(`unknown worker ${kind}`);
  const found = await runEslint(files, tsconfig);
  const result: WorkerResult = { ms: performance.now(), found };
  process.stdout.write(JSON.stringify(result));
}

function spawnWorker(kind: string, listFile: string, tsconfig: string): WorkerResult & { wallMs: number } {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--max-old-space-size=4096', __filename, '--worker', kind, listFile, tsconfig], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`${kind} worker failed (${child.status}): ${child.stderr}`);
  return { ...(JSON.parse(child.stdout) as WorkerResult), wallMs };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') return worker(argv[1], argv[2], argv[3]);
  let runs = 3;
  let json = false;
  const corpora: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--corpus') corpora.push(argv[++i] ?? '');
    else if (argv[i] === '--json') json = true;
    else throw new Error(`unknown option ${argv[i]} (expected --corpus DIR, --runs N, --json)`);
  }
  const roots = corpora.length ? tsCorpusRoots(root, corpora) : [...tsCorpusRoots(root, []), path.join(root, 'demo', 'node-service', 'src')];
  const originals = tsFiles(roots);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-eslint-bench-'));
  try {
    // The corpus copied under one folder (corpus/<n>/… keeps each root's own relative imports), so the
    // CLI finds the tsconfig.json there as it would in a project; ESLint reads the same tsconfig.
    const corpusDir = path.join(tmp, 'corpus');
    const files = originals.map((file) => {
      const r = roots.findIndex((rt) => file.startsWith(rt + path.sep));
      const copy = path.join(corpusDir, String(r), path.relative(roots[r], file));
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.copyFileSync(file, copy);
      return copy;
    });
    const listFile = path.join(tmp, 'files.json');
    fs.writeFileSync(listFile, JSON.stringify(files));
    const tsconfig = path.join(corpusDir, 'tsconfig.json');
    fs.writeFileSync(
      tsconfig,
      JSON.stringify({
        compilerOptions: {
          target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], strict: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
          // Package imports between the copied packages (`@azure/msal-common`) resolve to the installed ones.
          baseUrl: '.', paths: { '*': [path.join(root, 'node_modules', '*')] },
        },
        files,
      }),
    );
    const ours: number[] = [];
    const peers: number[] = [];
    let last: { ours: Found[]; peers: Found[] } = { ours: [], peers: [] };
    for (let i = 0; i < runs; i++) {
      const a = runCli(corpusDir);
      const e = spawnWorker('eslint', listFile, tsconfig);
      ours.push(a.wallMs);
      peers.push(e.wallMs);
      last = { ours: a.found, peers: e.found };
    }
    const key = (f: Found) => `${f.file}:${f.line}`;
    const comparison = PAIRS.map((pair) => {
      const peerLines = new Set(last.peers.filter((f) => f.rule === pair.peer).map(key));
      const ourLines = new Set(last.ours.filter((f) => pair.ours.includes(f.rule)).map(key));
      const rel = (k: string) => path.relative(corpusDir, k);
      return {
        peer: pair.peer,
        asyncwise: pair.ours.join('+'),
        both: [...peerLines].filter((k) => ourLines.has(k)).length,
        onlyPeer: [...peerLines].filter((k) => !ourLines.has(k)).map(rel),
        onlyAsyncwise: [...ourLines].filter((k) => !peerLines.has(k)).map(rel),
      };
    });
    const counts = (found: Found[]) => Object.fromEntries([...found.reduce((m, f) => m.set(f.rule, (m.get(f.rule) ?? 0) + 1), new Map<string, number>())].sort());
    const result = {
      files: files.length,
      lines: countLines(files),
      corpus: roots.map((r) => path.relative(root, r)),
      runs,
      asyncwiseMedianMs: Math.round(median(ours)),
      eslintMedianMs: Math.round(median(peers)),
      eslintOverAsyncwise: Number((median(peers) / median(ours)).toFixed(2)),
      asyncwiseFindings: counts(last.ours),
      eslintFindings: counts(last.peers),
      comparison,
    };
    if (json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    console.log(`asyncwise TS/JS vs ESLint (no-floating-promises, no-await-in-loop, n/no-sync) — ${result.files} files, ${result.lines} lines, ${runs} runs each`);
    console.log(`  asyncwise CLI (check --no-cache: program from the tsconfig + every TS/JS rule): median ${result.asyncwiseMedianMs} ms per process run`);
    console.log(`  ESLint + typescript-eslint + eslint-plugin-n (type-aware): median ${result.eslintMedianMs} ms per process run`);
    console.log(`  ratio: ESLint takes ${result.eslintOverAsyncwise}× asyncwise's time`);
    console.log(`  findings: asyncwise ${JSON.stringify(result.asyncwiseFindings)}; ESLint ${JSON.stringify(result.eslintFindings)}`);
    for (const c of comparison) {
      console.log(`  ${c.peer} vs ${c.asyncwise}: both ${c.both}, only ESLint ${c.onlyPeer.length}, only asyncwise ${c.onlyAsyncwise.length}`);
      for (const k of c.onlyPeer.slice(0, 8)) console.log(`      only ESLint:    ${k}`);
      for (const k of c.onlyAsyncwise.slice(0, 8)) console.log(`      only asyncwise: ${k}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
