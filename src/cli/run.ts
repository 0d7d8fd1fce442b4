/**
 * The CLI's top level: parse the command line, run the command, map the outcome to an exit code
 * (0 nothing found, 1 problems found, 2 usage or internal error). Takes its streams and working
 * directory as arguments so nothing here reaches for process globals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { version } from '../../package.json';
import { CATALOG } from '../core/catalog';
import { readRegularFile } from '../core/files';
import { ConfigError, type ConfigResolver } from '../core/config';
import { PythonParser } from '../python/parser';
import { parseArgs, settingsFromFlags, USAGE, UsageError, type CheckCommand } from './args';
import { checkTypeScriptText, isTypeScriptFile } from './typescript';
import { cacheDir, engineHash, ProjectStates, ResultCache, settingsFingerprint, sha256 } from './cache';
import { checkText, ENGINE_FAILURE, failedFile, OVER_BUDGET, PARSER_FAILURE, type FileResult, type Problem } from './check';
import { checkAll, resolverFor, workerCount, workload } from './pool';
import { ProjectIndexes, ProjectRoots } from './projects';
import { renderGithub, renderJson, renderRulesJson, renderRulesText, renderSarif, renderStatistics, renderText, wantsColor } from './report';
import { collectFiles, MissingPathError } from './walk';

export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  /** All of standard input, for `--stdin-filename`. */
  readonly readStdin?: () => Promise<string>;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** `asyncwise server`: runs the language server on the process's stdin and stdout (never settles while it runs). */
  readonly serve?: () => Promise<number>;
}

export const EXIT = { clean: 0, problems: 1, error: 2 } as const;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = parseArgs(argv);
    switch (command.kind) {
      case 'help':
        io.stdout.write(`${USAGE[command.topic ?? 'overview']}\n`);
        return EXIT.clean;
      case 'version':
        io.stdout.write(`asyncwise ${version}\n`);
        return EXIT.clean;
      case 'rules':
        io.stdout.write(command.format === 'json' ? renderRulesJson(CATALOG) : renderRulesText(CATALOG, { color: wantsColor(io.stdout, io.env) }));
        return EXIT.clean;
      case 'check':
        return await check(command, io);
      case 'server':
        if (!io.serve) throw new Error('the language server needs the process\'s stdin and stdout');
        return await io.serve();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`asyncwise: ${error.message}\nRun \`asyncwise ${error.topic ? `${error.topic} ` : ''}--help\` for usage.\n`);
      return EXIT.error;
    }
    io.stderr.write(`asyncwise: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return EXIT.error;
  }
}

async function check(command: CheckCommand, io: CliIo): Promise<number> {
  // Validates the flags up front (a bad rule code is a usage error); each worker derives the same settings.
  settingsFromFlags(command, CATALOG);
  const configs = resolverFor(command, io.cwd);
  try {
    if (command.stdinFilename !== undefined) return await checkStdin(command, command.stdinFilename, configs, io);
    return await checkPaths(command, configs, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`asyncwise: configuration error: ${error.message}\n`);
      return EXIT.error;
    }
    throw error;
  }
}

async function checkPaths(command: CheckCommand, configs: ConfigResolver, io: CliIo): Promise<number> {
  let files;
  try {
    files = collectFiles(command.paths, io.cwd, { gitignore: true, excluded: (p) => configs.forFile(p).excluded });
  } catch (error) {
    if (error instanceof MissingPathError) throw new UsageError(error.message, 'check');
    throw error;
  }
  const display = (file: string) => path.relative(io.cwd, file) || path.basename(file);
  for (const s of files.skipped) io.stderr.write(`asyncwise: skipped ${display(s.path)}: ${s.reason}\n`);
  if (files.files.length === 0 && files.skipped.length === 0) io.stderr.write(`asyncwise: no Python files found in ${command.paths.join(', ')}\n`);

  const roots = command.paths.map((p) => path.resolve(io.cwd, p));
  const all = files.files.map((file) => ({ path: file, display: display(file), named: files.named.has(file) }));
  // Every file's settings, resolved here first so a config error stops the run before any work.
  const settingsOf = all.map((f) => configs.forFile(f.path).settings);

  // Cached results: not when fixing (the files change) and not with --no-cache.
  const useCache = !command.noCache && !command.fix && !command.diff;
  const cache = useCache ? ResultCache.open(cacheDir(io.cwd, io.env), (m) => io.stderr.write(`asyncwise: ${m}\n`)) : undefined;
  const results: (FileResult | undefined)[] = new Array(all.length);
  const keys: (string | undefined)[] = new Array(all.length);
  if (cache) {
    const hashes = new Map<string, string>();
    const contentHash = (file: string) => {
      let h = hashes.get(file);
      if (h === undefined) {
        try {
          h = sha256(readRegularFile(file));
        } catch {
          h = 'unreadable';
        }
        hashes.set(file, h);
      }
      return h;
    };
    const projectRoots = new ProjectRoots(roots);
    const states = new ProjectStates((root) => collectFiles([root], root).files, contentHash);
    const engine = engineHash();
    all.forEach((f, i) => {
      // TS/JS findings can depend on files outside the project's folder (types from the tsconfig's
      // program, node_modules): not cached.
      if (isTypeScriptFile(f.path)) return;
      const root = projectRoots.rootOf(f.path);
      const key = sha256(`${engine}\n${settingsFingerprint(settingsOf[i])}\n${states.of(root)}\n${path.relative(root, f.path)}\n${contentHash(f.path)}`);
      keys[i] = key;
      const hit = cache.get(key);
      if (hit) results[i] = { kind: 'checked', file: f.display, problems: hit.map((p) => ({ ...p, file: f.display })), bytes: 0, ruleErrors: [] };
    });
  }

  // The rest, on one thread per core for large runs (pool.ts); each file's result is plain data.
  const todo = all.map((_, i) => i).filter((i) => results[i] === undefined);
  const job = { command, cwd: io.cwd, roots, files: todo.map((i) => all[i]) };
  const progress = new Progress(io, all.length, all.length - todo.length);
  let fresh: FileResult[];
  try {
    fresh = await checkAll(job, workerCount(workload(job.files), io.env), (done) => progress.update(all.length - todo.length + done));
  } finally {
    progress.done();
  }
  todo.forEach((i, k) => {
    results[i] = fresh[k];
    const r = fresh[k];
    const key = keys[i];
    if (cache && key && r.kind === 'checked' && r.ruleErrors.length === 0) cache.set(key, r.problems);
  });
  if (cache) {
    const failed = cache.save();
    if (failed) io.stderr.write(`asyncwise: ${failed}\n`);
    // For tests and the benchmark: how much the cache saved.
    if (io.env.ASYNCWISE_CACHE_STATS) io.stderr.write(`asyncwise: cache: ${cache.hits} hits, ${cache.misses} misses\n`);
  }
  // A file named on the command line that could not be checked fails the run (a walk's notes do not).
  const namedFailures = files.skipped.filter((s) => s.named).length + all.filter((f, i) => files.named.has(f.path) && results[i]?.kind === 'skipped').length;
  return report(command, results as FileResult[], io, namedFailures);
}

/** `--stdin-filename`: the source comes from stdin; with --fix the fixed source goes to stdout. */
async function checkStdin(command: CheckCommand, name: string, configs: ConfigResolver, io: CliIo): Promise<number> {
  if (!io.readStdin) throw new UsageError('--stdin-filename: no standard input to read', 'check');
  const file = path.resolve(io.cwd, name);
  const display = path.relative(io.cwd, file) || path.basename(file);
  let text = await io.readStdin();
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  const { settings } = configs.forFile(file);
  const fix = command.fix || command.diff ? { unsafe: command.unsafeFixes, write: false } : undefined;
  // As for a file on disk: a check that throws is this text's error, reported, never a crash.
  const guarded = (check: () => FileResult): FileResult => {
    try {
      return check();
    } catch (error) {
      return failedFile(display, error, Buffer.byteLength(text));
    }
  };
  if (isTypeScriptFile(file)) return stdinResult(command, guarded(() => checkTypeScriptText(text, file, display, settings, fix)), text, bom, io);
  const parser = await PythonParser.load();
  // The file may not exist (an unsaved buffer): its project is found from the nearest existing folder.
  let folder = path.dirname(file);
  while (!fs.existsSync(folder) && path.dirname(folder) !== folder) folder = path.dirname(folder);
  const projects = new ProjectIndexes(parser, [folder]);
  return stdinResult(command, guarded(() => checkText(parser, text, file, display, settings, projects.of(file), fix)), text, bom, io);
}

function stdinResult(command: CheckCommand, result: FileResult, text: string, bom: boolean, io: CliIo): number {
  if (command.fix) {
    // The editor replaces the buffer with stdout: the fixed source, exactly, and the report on stderr.
    io.stdout.write((bom ? '\uFEFF' : '') + (result.kind === 'checked' && result.fixedText !== undefined ? result.fixedText : text));
    return report(command, [result], { ...io, stdout: io.stderr });
  }
  return report(command, [result], io);
}

/** How many files skipped for one shared reason are named one by one. */
const SKIPPED_LISTED = 5;

/** Prints the results in the chosen format and maps them to the exit code. */
function report(command: CheckCommand, results: readonly FileResult[], io: CliIo, namedFileErrors = 0): number {
  const problems: Problem[] = [];
  /** Files named on the command line that could not be checked (reported on stderr already). */
  let internalErrors = namedFileErrors;
  /** Files not fully checked (a rule or the whole check failed): their problems may be missing. */
  const failedFiles = new Set<string>();
  let fixed = 0;
  let fixedFiles = 0;
  let diff = '';
  /** Skipped files by shared reason (`minified`): the first few are listed, the rest counted. */
  const skippedIn = new Map<string, number>();
  for (const result of results) {
    if (result.kind === 'skipped') {
      const nth = result.group === undefined ? 1 : (skippedIn.get(result.group) ?? 0) + 1;
      if (result.group !== undefined) skippedIn.set(result.group, nth);
      if (nth <= SKIPPED_LISTED) io.stderr.write(`asyncwise: skipped ${result.file}: ${result.reason}\n`);
      continue;
    }
    for (const p of result.problems) problems.push(p);
    fixed += result.fixed ?? 0;
    if (result.fixed) fixedFiles++;
    if (result.diff) diff += result.diff;
    if (result.fixError) {
      internalErrors++;
      io.stderr.write(`asyncwise: ${result.file}: ${result.fixError}\n`);
    }
    for (const e of result.ruleErrors) {
      internalErrors++;
      failedFiles.add(result.file);
      if (e.rule === OVER_BUDGET) io.stderr.write(`asyncwise: ${result.file}: ${e.detail}\n`);
      else if (e.rule === PARSER_FAILURE) io.stderr.write(`asyncwise: could not check ${result.file}: ${e.detail}\n`);
      else if (e.rule === ENGINE_FAILURE) io.stderr.write(`asyncwise: internal error: could not check ${result.file}: ${e.detail}\n`);
      else io.stderr.write(`asyncwise: internal error: rule ${e.rule} failed on ${result.file}: ${e.detail}\n`);
    }
  }
  // A docs site or a bundle folder holds hundreds of minified files: a CI log lists a few, counts the rest.
  for (const [group, count] of skippedIn) if (count > SKIPPED_LISTED) io.stderr.write(`asyncwise: skipped ${plural(count - SKIPPED_LISTED, 'more file')} as ${group} (name a file to check it)\n`);
  let out: string;
  if (command.diff) {
    out = diff;
    io.stderr.write(`Would fix ${plural(fixed, 'problem')} in ${plural(fixedFiles, 'file')}; ${plural(problems.length, 'problem')} would remain.\n`);
  } else if (command.statistics) out = renderStatistics(problems);
  else {
    switch (command.format) {
      case 'json':
        out = renderJson(problems);
        break;
      case 'sarif':
        out = renderSarif(problems, CATALOG, version);
        break;
      case 'github':
        out = renderGithub(problems);
        break;
      default: {
        const toFile = command.outputFile !== undefined;
        const tty = !toFile && Boolean(io.stdout.isTTY);
        out = renderText(problems, { color: !toFile && wantsColor(io.stdout, io.env), context: tty }, failedFiles.size);
        // Never "All checks passed." beside an error: something was not checked.
        if (internalErrors && problems.length === 0 && failedFiles.size === 0) out = '';
      }
    }
    if (command.fix) io.stderr.write(`Fixed ${plural(fixed, 'problem')} in ${plural(fixedFiles, 'file')}.\n`);
  }
  if (command.outputFile !== undefined) {
    const target = path.resolve(io.cwd, command.outputFile);
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, out);
    } catch (error) {
      io.stderr.write(`asyncwise: could not write ${command.outputFile}: ${(error as Error).message}\n`);
      return EXIT.error;
    }
  } else io.stdout.write(out);
  // A crashed rule may have hidden problems: never let that pass as a clean run.
  if (internalErrors) {
    if (problems.length === 0 && !command.diff) io.stderr.write(`asyncwise: no problems found, but ${plural(internalErrors, 'error')} above left the check incomplete.\n`);
    return EXIT.error;
  }
  if (command.diff && diff) return EXIT.problems;
  return problems.length ? EXIT.problems : EXIT.clean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * `asyncwise: checked 120/3400 files` on stderr, redrawn in place, only on a terminal and only once a
 * run has taken a second: quick runs and CI logs stay clean.
 */
class Progress {
  private readonly startedAt = Date.now();
  private shown = false;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly io: CliIo,
    private readonly total: number,
    private current: number,
  ) {
    this.tty = Boolean((io.stderr as { isTTY?: boolean }).isTTY) && !io.env.CI;
  }

  update(done: number): void {
    this.current = done;
    const now = Date.now();
    if (!this.tty || now - this.startedAt < 1000 || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.shown = true;
    this.io.stderr.write(`\r\x1b[Kasyncwise: checked ${this.current}/${this.total} files`);
  }

  done(): void {
    if (this.shown) this.io.stderr.write('\r\x1b[K');
  }
}
