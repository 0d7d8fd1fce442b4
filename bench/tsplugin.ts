/**
 * The tsserver plugin's added time per file, against tsserver's own semantic check of that file.
 *
 *   node out/bench/tsplugin.js [--typescript 5.9|6.0] [--corpus DIR]... [--files N] [--json]
 *
 * An in-process LanguageService over the corpus (bench/tsplugin-corpus.ts), set up as tsserver does.
 * For each file, as after an edit in the editor: the file's version is bumped (a new program and a
 * fresh checker, as tsserver makes on every edit), then
 *   - TypeScript's own cost: `getSemanticDiagnostics` + `getSuggestionDiagnostics` of the original
 *     LanguageService (what `geterr` runs);
 *   - asyncwise's added cost: the plugin's `AnalysisCache.analyse` on the same program (all TS/JS
 *     rules, with the checker), exactly what the decorated `getSemanticDiagnostics` adds; the
 *     suggestion call that follows it hits the cache (measured too).
 * A fresh checker per file costs TypeScript ~0.5 s here, so `--files N` (default 120) measures N files
 * spread evenly over the corpus (0: all of them). Prints totals, the overhead ratio (target: under 5%) and per-file percentiles. Asserts nothing.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as ts from 'typescript';
import { CATALOG } from '../src/core/catalog';
import { parseSettings } from '../src/core/settings';
import { AnalysisCache } from '../src/tsplugin/analysis';
import { countLines, median, percentile, repoRootFrom, tsCorpusRoots, tsFiles } from './tsplugin-corpus';

interface Options {
  typescript: '5.9' | '6.0';
  corpora: string[];
  files: number;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { typescript: '6.0', corpora: [], files: 120, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--typescript') {
      const v = argv[++i];
      if (v !== '5.9' && v !== '6.0') throw new Error('--typescript: 5.9 or 6.0');
      opts.typescript = v;
    } else if (arg === '--corpus') opts.corpora.push(argv[++i] ?? '');
    else if (arg === '--files') opts.files = Number(argv[++i]);
    else if (arg === '--json') opts.json = true;
    else throw new Error(`unknown option ${arg} (expected --typescript 5.9|6.0, --corpus DIR, --files N, --json)`);
  }
  return opts;
}

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  const root = repoRootFrom(__dirname);
  const load = createRequire(__filename);
  const tsModule = load(path.join(root, 'node_modules', opts.typescript === '5.9' ? 'typescript' : 'typescript-6.0')) as typeof ts;
  const roots = tsCorpusRoots(root, opts.corpora);
  const files = tsFiles(roots);
  const versions = new Map(files.map((f) => [f, 0]));
  const options: ts.CompilerOptions = {
    target: tsModule.ScriptTarget.ES2022,
    module: tsModule.ModuleKind.ESNext,
    moduleResolution: tsModule.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules', '@types')],
  };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => files,
    getScriptVersion: (f) => String(versions.get(f) ?? 0),
    getScriptSnapshot: (f) => (fs.existsSync(f) ? tsModule.ScriptSnapshot.fromString(fs.readFileSync(f, 'utf8')) : undefined),
    getCurrentDirectory: () => roots[0],
    getDefaultLibFileName: (o) => tsModule.getDefaultLibFilePath(o),
    fileExists: tsModule.sys.fileExists,
    readFile: tsModule.sys.readFile,
    readDirectory: tsModule.sys.readDirectory,
    directoryExists: tsModule.sys.directoryExists,
    getDirectories: tsModule.sys.getDirectories,
  };
  const service = tsModule.createLanguageService(host, tsModule.createDocumentRegistry());
  const settings = parseSettings({}, CATALOG);
  const cache = new AnalysisCache(tsModule, (m) => process.stderr.write(`[asyncwise] ${m}\n`));

  // Warm-up: the first program (lib files parsed once, as tsserver has them by the time you edit).
  const warm = performance.now();
  service.getSemanticDiagnostics(files[0]);
  const warmMs = performance.now() - warm;

  const own: number[] = [];
  const added: number[] = [];
  const cached: number[] = [];
  const findings = new Map<string, number>();
  const step = opts.files > 0 && opts.files < files.length ? files.length / opts.files : 1;
  const measured = step === 1 ? files : Array.from({ length: opts.files }, (_, i) => files[Math.floor(i * step)]);
  for (const file of measured) {
    versions.set(file, (versions.get(file) ?? 0) + 1);
    let t = performance.now();
    service.getSemanticDiagnostics(file);
    service.getSuggestionDiagnostics(file);
    own.push(performance.now() - t);
    const program = service.getProgram()!;
    const version = host.getScriptVersion(file);
    t = performance.now();
    const analysis = cache.analyse(program, file, version, settings);
    added.push(performance.now() - t);
    t = performance.now();
    cache.analyse(program, file, version, settings);
    cached.push(performance.now() - t);
    for (const f of analysis?.findings ?? []) findings.set(f.code, (findings.get(f.code) ?? 0) + 1);
  }
  const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);
  const ratios = own.map((o, i) => added[i] / o);
  const result = {
    typescript: tsModule.version,
    corpus: roots.map((r) => path.relative(root, r)),
    files: files.length,
    lines: countLines(files),
    measuredFiles: measured.length,
    measuredLines: countLines(measured),
    warmUpMs: Math.round(warmMs),
    typescriptSemanticMs: Math.round(sum(own)),
    asyncwiseAddedMs: Math.round(sum(added)),
    overheadPercent: Number(((100 * sum(added)) / sum(own)).toFixed(2)),
    perFile: {
      typescriptMedianMs: Number(median(own).toFixed(2)),
      asyncwiseMedianMs: Number(median(added).toFixed(2)),
      asyncwiseP95Ms: Number(percentile(added, 95).toFixed(2)),
      asyncwiseMaxMs: Number(Math.max(...added).toFixed(2)),
      medianOverheadPercent: Number((100 * median(ratios)).toFixed(2)),
      cachedRepeatMedianMs: Number(median(cached).toFixed(4)),
    },
    findings: Object.fromEntries([...findings].sort()),
  };
  if (opts.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`tsserver plugin overhead — TypeScript ${result.typescript}, a project of ${result.files} files, ${result.lines} lines (${result.corpus.join(', ')}); ${result.measuredFiles} files (${result.measuredLines} lines) measured`);
  console.log(`  TypeScript semantic + suggestion diagnostics, fresh checker per file: ${result.typescriptSemanticMs} ms in total, median ${result.perFile.typescriptMedianMs} ms per file`);
  console.log(`  asyncwise added (all TS/JS rules, with the checker):                   ${result.asyncwiseAddedMs} ms in total, median ${result.perFile.asyncwiseMedianMs} ms, p95 ${result.perFile.asyncwiseP95Ms} ms, max ${result.perFile.asyncwiseMaxMs} ms`);
  console.log(`  overhead: ${result.overheadPercent}% of TypeScript's own check (median per file ${result.perFile.medianOverheadPercent}%); a repeated request hits the cache in ${result.perFile.cachedRepeatMedianMs} ms`);
  console.log(`  findings: ${JSON.stringify(result.findings)}`);
}

main();
