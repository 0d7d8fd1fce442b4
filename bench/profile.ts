/**
 * `npm run bench:profile`: where the time of a check goes, stage by stage, for each engine, next to
 * the parse-only floor. In-process and on one thread, so a stage's figure is its own cost, not a
 * share of a worker pool; whole-process figures next to the peers are in bench/cli-scale.ts
 * (Python, Ruff WASM) and bench/eslint.ts (TS/JS). A script, not a test: it prints a table (or
 * `--json`) and asserts nothing.
 *
 *   node out/bench/profile.js [--python DIR]... [--typescript DIR]... [--runs N] [--catalog default|hints] [--json]
 *
 * Python stages: read (the CLI's reader), parse (tree-sitter, the files the CLI parses: those holding
 * `async`), context (line index, scopes are lazy), each rule, suppressions, the project index
 * (AW202/AW301 lookups: the analysis with the index minus the analysis without it), fix
 * verification and problem building (the CLI's `checkText` minus the analysis), worker start-up
 * (a thread that loads the parser). Run twice: the CLI's default catalog and with `--hints` (every
 * rule on by default or as a hint: what the editor runs).
 *
 * TS/JS stages, per tsconfig.json project: program (read config, parse every file the program
 * holds, lib .d.ts files included), checker (binding), context, each rule (type queries are checked
 * lazily, inside the rule that asks), fix checks; and the syntax floor: `createSourceFile` of the
 * project's own files alone.
 *
 * Lazily shared work (scopes, name resolution) is counted in the first rule that asks for it: the
 * per-rule figures say where work starts, not who else uses it. Median of --runs passes. Times are
 * CPU milliseconds (see `cpuNow`): the table holds on a busy machine; worker start-up is wall time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import type * as ts from 'typescript';
import { checkText } from '../src/cli/check';
import { ProjectIndexes } from '../src/cli/projects';
import { collectFiles, readSource } from '../src/cli/walk';
import { CATALOG } from '../src/core/catalog';
import { parseSettings, type Settings } from '../src/core/settings';
import { analyzePython } from '../src/python/analyze';
import { PythonParser } from '../src/python/parser';
import { analyzeTypeScript, isTypesNeeded, scriptKindOf } from '../src/typescript/analyze';
import { countLines } from './corpus';

interface Options {
  python: string[];
  typescript: string[];
  runs: number;
  json: boolean;
  /** Which catalogs to run: the CLI's default, `--hints`, or both (the default). */
  catalogs: readonly ('default' | '--hints')[];
}

const DEFAULT_PYTHON = ['/tmp/corpus'];

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { python: [], typescript: [], runs: 3, json: false, catalogs: ['default', '--hints'] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--python') opts.python.push(path.resolve(argv[++i] ?? '.'));
    else if (arg === '--typescript') opts.typescript.push(path.resolve(argv[++i] ?? '.'));
    else if (arg === '--runs') opts.runs = Math.max(1, Number(argv[++i]) || 1);
    else if (arg === '--json') opts.json = true;
    else if (arg === '--catalog') {
      const which = argv[++i];
      if (which !== 'default' && which !== 'hints') throw new Error(`--catalog takes default or hints, not ${which}`);
      opts.catalogs = [which === 'hints' ? '--hints' : 'default'];
    } else throw new Error(`unknown option ${arg} (expected --python DIR, --typescript DIR, --runs N, --catalog default|hints, --json)`);
  }
  if (opts.python.length === 0 && opts.typescript.length === 0) opts.python = DEFAULT_PYTHON.filter((d) => fs.existsSync(d));
  return opts;
}

/** Stage name → milliseconds, in the order stages were first seen. */
type Stages = Map<string, number>;

function add(into: Stages, from: Stages): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

function medianStages(runs: readonly Stages[]): Stages {
  const out: Stages = new Map();
  for (const key of runs[0].keys()) {
    const values = runs.map((r) => r.get(key) ?? 0).sort((a, b) => a - b);
    out.set(key, values[Math.floor(values.length / 2)]);
  }
  return out;
}

/**
 * The process's CPU time in milliseconds (user + system). On one thread it is this work's own cost,
 * and unlike wall time it does not grow while the machine is busy with other jobs (garbage
 * collection on V8's helper threads is counted too, as it is part of the cost).
 */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function time<T>(stages: Stages, name: string, work: () => T): T {
  const start = cpuNow();
  try {
    return work();
  } finally {
    stages.set(name, (stages.get(name) ?? 0) + cpuNow() - start);
  }
}

const RULE_NAMES = new Map(CATALOG.map((r) => [r.code, r.name]));

// ---------------------------------------------------------------- Python

interface PythonFile {
  readonly path: string;
  readonly display: string;
  readonly text: string;
}

interface PythonProfile {
  readonly roots: readonly string[];
  readonly files: number;
  readonly parsedFiles: number;
  readonly lines: number;
  /** Catalog name → stages. */
  readonly catalogs: Record<string, Stages>;
  readonly findings: Record<string, number>;
  readonly workerStartMs: number;
}

function loadPython(roots: readonly string[], stages: Stages): PythonFile[] {
  const files: PythonFile[] = [];
  time(stages, 'read', () => {
    for (const root of roots) {
      for (const file of collectFiles([root], root).files) {
        if (!file.endsWith('.py')) continue;
        const read = readSource(file);
        if (read.ok) files.push({ path: file, display: path.relative(root, file), text: read.text });
      }
    }
  });
  return files;
}

function pythonPass(parser: PythonParser, files: readonly PythonFile[], roots: readonly string[], settings: Settings): { stages: Stages; findings: number } {
  const stages: Stages = new Map();
  // The floor: the parse of every file the CLI parses (a file without `async` holds no finding and is not parsed).
  time(stages, 'parse floor', () => {
    for (const f of files) if (f.text.includes('async')) parser.parse(f.text).delete();
  });
  // The rules without the project index: their own cost.
  const alone: Stages = new Map();
  const withoutIndexStart = cpuNow();
  for (const f of files) analyzePython(parser, f.text, settings, { filePath: f.path, relativePath: f.display, profile: { stages: alone, now: cpuNow } }).dispose();
  const withoutIndex = cpuNow() - withoutIndexStart;
  add(stages, alone);
  // The same with the index (built lazily, as the CLI does): the difference is the index's cost.
  const projects = new ProjectIndexes(parser, [...roots]);
  const withIndexStart = cpuNow();
  let findings = 0;
  for (const f of files) {
    const analysis = analyzePython(parser, f.text, settings, { filePath: f.path, relativePath: f.display, project: projects.of(f.path) });
    findings += analysis.findings.length;
    analysis.dispose();
  }
  const withIndex = cpuNow() - withIndexStart;
  stages.set('project index (AW202/AW301 lookups)', Math.max(0, withIndex - withoutIndex));
  // The CLI's whole per-file check (analysis, fix verification, problems): minus the analysis, what the check adds.
  const checked = new ProjectIndexes(parser, [...roots]);
  const checkStart = cpuNow();
  for (const f of files) checkText(parser, f.text, f.path, f.display, settings, checked.of(f.path));
  stages.set('fix verification + problems', Math.max(0, cpuNow() - checkStart - withIndex));
  return { stages, findings };
}

async function workerStartMs(): Promise<number> {
  // A thread that runs this bundle and loads the parser: what each CLI worker pays before its first file.
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { profileWorkerStart: true } });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
  return performance.now() - start;
}

async function profilePython(roots: readonly string[], runs: number, which: Options['catalogs']): Promise<PythonProfile> {
  const readStages: Stages = new Map();
  const files = loadPython(roots, readStages);
  const parser = await PythonParser.load();
  const catalogs: Record<string, Stages> = {};
  const findings: Record<string, number> = {};
  for (const name of which) {
    const hints = name === '--hints';
    const settings = { ...parseSettings({}, CATALOG), hints };
    const passes: Stages[] = [];
    for (let i = 0; i < runs; i++) {
      const { stages, findings: n } = pythonPass(parser, files, roots, settings);
      passes.push(new Map([...readStages, ...stages]));
      findings[name] = n;
    }
    catalogs[name] = medianStages(passes);
  }
  const starts: number[] = [];
  for (let i = 0; i < runs; i++) starts.push(await workerStartMs());
  starts.sort((a, b) => a - b);
  return {
    roots,
    files: files.length,
    parsedFiles: files.filter((f) => f.text.includes('async')).length,
    lines: files.reduce((n, f) => n + countLines(f.text), 0),
    catalogs,
    findings,
    workerStartMs: starts[Math.floor(starts.length / 2)],
  };
}

// ---------------------------------------------------------------- TS/JS

interface TsProfile {
  readonly root: string;
  readonly config: string;
  readonly ownFiles: number;
  readonly programFiles: number;
  readonly lines: number;
  readonly catalogs: Record<string, Stages>;
  readonly findings: Record<string, number>;
  /** Catalog name → own files whose rules ask for types (the CLI builds the program for the first). */
  readonly askingTypes: Record<string, number>;
}

function tsPass(tsm: typeof ts, configPath: string, settings: Settings): { stages: Stages; findings: number; own: ts.SourceFile[]; programFiles: number; askingTypes: number } {
  const stages: Stages = new Map();
  const program = time(stages, 'program (parse all, libs included)', () => {
    const read = tsm.readConfigFile(configPath, tsm.sys.readFile);
    if (read.error) throw new Error(`${configPath}: ${tsm.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
    const parsed = tsm.parseJsonConfigFileContent(read.config, tsm.sys, path.dirname(configPath), { noEmit: true, skipLibCheck: true }, configPath);
    // As the CLI builds it (src/cli/typescript.ts): JSDoc parsed only in JS files, where types come from it.
    const host = tsm.createCompilerHost(parsed.options);
    host.jsDocParsingMode = tsm.JSDocParsingMode?.ParseForTypeInfo;
    return tsm.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host, projectReferences: parsed.projectReferences });
  });
  const checker = time(stages, 'checker (bind)', () => program.getTypeChecker());
  const own = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));
  time(stages, 'syntax floor (own files)', () => {
    for (const f of own) tsm.createSourceFile(f.fileName, f.text, { languageVersion: tsm.ScriptTarget.Latest, jsDocParsingMode: tsm.JSDocParsingMode?.ParseForTypeInfo }, true, scriptKindOf(tsm, f.fileName));
  });
  let findings = 0;
  const root = path.dirname(configPath);
  for (const f of own) findings += analyzeTypeScript(tsm, f, settings, { program, checker, relativePath: path.relative(root, f.fileName), profile: { stages, now: cpuNow } }).findings.length;
  // What the CLI's syntax-first pass meets (src/cli/typescript.ts): the files whose rules ask for
  // types, each of which would build the program if no earlier file had. Not a stage of the table.
  let askingTypes = 0;
  for (const f of own) {
    const tree = tsm.createSourceFile(f.fileName, f.text, tsm.ScriptTarget.Latest, true, scriptKindOf(tsm, f.fileName));
    try {
      analyzeTypeScript(tsm, tree, settings, { relativePath: path.relative(root, f.fileName), typesOnDemand: true });
    } catch (e) {
      if (!isTypesNeeded(e)) throw e;
      askingTypes++;
    }
  }
  return { stages, findings, own, programFiles: program.getSourceFiles().length, askingTypes };
}

function profileTypeScript(root: string, runs: number, which: Options['catalogs']): TsProfile {
  const configPath = path.join(root, 'tsconfig.json');
  if (!fs.existsSync(configPath)) throw new Error(`${root}: no tsconfig.json (the TS/JS profile measures a project with one)`);
  // The CLI's rule: the checked project's own `typescript`, else the one beside asyncwise.
  let tsm: typeof ts;
  try {
    tsm = require(require.resolve('typescript', { paths: [root] })) as typeof ts;
  } catch {
    tsm = require('typescript') as typeof ts;
  }
  const catalogs: Record<string, Stages> = {};
  const findings: Record<string, number> = {};
  const askingTypes: Record<string, number> = {};
  let own: ts.SourceFile[] = [];
  let programFiles = 0;
  for (const name of which) {
    const hints = name === '--hints';
    const settings = { ...parseSettings({}, CATALOG), hints };
    const passes: Stages[] = [];
    for (let i = 0; i < runs; i++) {
      const pass = tsPass(tsm, configPath, settings);
      passes.push(pass.stages);
      findings[name] = pass.findings;
      askingTypes[name] = pass.askingTypes;
      own = pass.own;
      programFiles = pass.programFiles;
    }
    catalogs[name] = medianStages(passes);
  }
  return { root, config: configPath, ownFiles: own.length, programFiles, lines: own.reduce((n, f) => n + countLines(f.text), 0), catalogs, findings, askingTypes };
}

// ---------------------------------------------------------------- report

function table(stages: Stages, floorKey: string, log: (s: string) => void): void {
  const total = [...stages.entries()].filter(([k]) => k !== floorKey).reduce((n, [, v]) => n + v, 0);
  const floor = stages.get(floorKey) ?? 0;
  log(`  ${'stage'.padEnd(44)} ${'ms'.padStart(9)} ${'share'.padStart(7)}`);
  for (const [k, v] of [...stages.entries()].sort((a, b) => b[1] - a[1])) {
    const label = RULE_NAMES.has(k) ? `${k} ${RULE_NAMES.get(k)}` : k;
    const share = k === floorKey ? '' : `${((100 * v) / total).toFixed(1)} %`;
    log(`  ${label.padEnd(44)} ${v.toFixed(0).padStart(9)} ${share.padStart(7)}`);
  }
  log(`  ${'total (floor left out)'.padEnd(44)} ${total.toFixed(0).padStart(9)}`);
  if (floor > 0) log(`  above the floor: ${(((total - floor) / floor) * 100).toFixed(0)} % of the parse-only floor`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const out: { python?: PythonProfile; typescript: TsProfile[] } = { typescript: [] };
  if (opts.python.length) out.python = await profilePython(opts.python, opts.runs, opts.catalogs);
  for (const root of opts.typescript) out.typescript.push(profileTypeScript(root, opts.runs, opts.catalogs));
  if (opts.json) {
    const plain = (s: Stages) => Object.fromEntries(s);
    console.log(JSON.stringify({ ...out, python: out.python && { ...out.python, catalogs: Object.fromEntries(Object.entries(out.python.catalogs).map(([k, v]) => [k, plain(v)])) }, typescript: out.typescript.map((t) => ({ ...t, catalogs: Object.fromEntries(Object.entries(t.catalogs).map(([k, v]) => [k, plain(v)])) })) }, null, 2));
    return;
  }
  const log = (s: string) => console.log(s);
  if (out.python) {
    const p = out.python;
    log(`Python: ${p.files} files (${p.parsedFiles} hold \`async\` and are parsed), ${p.lines} lines — ${p.roots.join(', ')}; median of ${opts.runs}, one thread`);
    for (const [name, stages] of Object.entries(p.catalogs)) {
      log(`\n catalog ${name} (${p.findings[name]} findings)`);
      // The floor is the parse alone; `parse` is the same work inside the analysis.
      table(stages, 'parse floor', log);
    }
    log(`\n worker start-up (a thread loading the parser): ${p.workerStartMs.toFixed(0)} ms each`);
  }
  for (const t of out.typescript) {
    log(`\nTS/JS: ${t.config} — ${t.ownFiles} own files (${t.lines} lines), ${t.programFiles} in the program; median of ${opts.runs}`);
    for (const [name, stages] of Object.entries(t.catalogs)) {
      log(`\n catalog ${name} (${t.findings[name]} findings; rules ask for types in ${t.askingTypes[name]} of ${t.ownFiles} files)`);
      table(stages, 'syntax floor (own files)', log);
    }
  }
}

if (!isMainThread && (workerData as { profileWorkerStart?: boolean } | undefined)?.profileWorkerStart) {
  void PythonParser.load().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
