/**
 * Checks files on worker threads, one per core (up to 8): each worker loads its own engines and
 * project indexes and takes batches of files from a shared queue, so a slow file holds up only its
 * worker. Results come back as plain data, in the order of the input files. Small runs stay on the
 * main thread: starting a worker (evaluating the bundle, loading the wasm engine or `typescript`)
 * costs more than a few files take.
 *
 * TS/JS files under one tsconfig.json are one batch, never split: each thread builds its own
 * program of the tsconfig (parse every file and lib, bind), which is most of a typed check's cost, so
 * two threads sharing a project did the same work twice and held two programs (mongodb's 132 files:
 * 2.0 s and 418 MB on two workers, 1.3 s and 232 MB on one thread).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CATALOG } from '../core/catalog';
import { PythonParser } from '../python/parser';
import { ConfigResolver } from '../core/config';
import { flagOverrides, type CheckCommand } from './args';
import { checkFile, type FileResult, type FixMode } from './check';
import { ProjectIndexes } from './projects';
import { isTypeScriptFile, nearestConfig } from './typescript';

/** Below this many files one thread is faster. */
const MIN_FILES_FOR_WORKERS = 48;
/** Files per batch: large enough that neighbouring files (one package) share a worker's index. */
const BATCH = 8;

export interface CheckJob {
  readonly command: CheckCommand;
  /** Absolute roots the run was given (project indexes hang off them). */
  readonly roots: readonly string[];
  /** `named`: given on the command line (checked even when minified), not found in a walk. */
  readonly files: readonly { readonly path: string; readonly display: string; readonly named?: boolean }[];
  /** The working directory (`--exclude` globs are relative to it). */
  readonly cwd: string;
}

/** The settings of every file of a run: config files under the flags; the same on every thread. */
export function resolverFor(command: CheckCommand, cwd: string): ConfigResolver {
  return new ConfigResolver(CATALOG, { overrides: flagOverrides(command), extraExclude: command.exclude, extraExcludeRoot: cwd });
}

function fixMode(command: CheckCommand): FixMode | undefined {
  if (!command.fix && !command.diff) return undefined;
  return { unsafe: command.unsafeFixes, write: command.fix };
}

/**
 * A checker bound to one thread's config and, for Python files, its parser and project indexes. The
 * parser (a wasm instance) is loaded only once a Python file comes: a TS/JS run never loads it, and
 * a TS/JS file never walks a Python project's folder for the cross-file index.
 */
class Checker {
  private parser: PythonParser | undefined;
  private projects: ProjectIndexes | undefined;
  private readonly configs: ConfigResolver;
  private readonly fix: FixMode | undefined;

  constructor(private readonly job: CheckJob) {
    this.configs = resolverFor(job.command, job.cwd);
    this.fix = fixMode(job.command);
  }

  /** Loads the Python parser when one of these files needs it. */
  async prepare(indices: readonly number[]): Promise<void> {
    if (this.parser || indices.every((i) => isTypeScriptFile(this.job.files[i].path))) return;
    this.parser = await PythonParser.load();
    this.projects = new ProjectIndexes(this.parser, [...this.job.roots]);
  }

  check(i: number): FileResult {
    const { path: file, display, named } = this.job.files[i];
    // `prepare` has loaded the parser for any Python file; a TS/JS file needs neither.
    return checkFile(this.parser as PythonParser, file, display, this.configs.forFile(file).settings, this.projects?.of(file), this.fix, !named);
  }
}

/**
 * The job's files in batches: the TS/JS files of each tsconfig.json together (largest first, so the
 * longest batch starts first), then the rest in runs of `size` (files come grouped by folder, so a
 * Python package tends to stay on one worker and share its index).
 */
export function planBatches(files: readonly { readonly path: string }[], size: number): number[][] {
  const projects = new Map<string, number[]>();
  const rest: number[] = [];
  files.forEach((f, i) => {
    const config = isTypeScriptFile(f.path) ? nearestConfig(path.dirname(f.path)) : undefined;
    if (config === undefined) rest.push(i);
    else {
      const group = projects.get(config);
      if (group) group.push(i);
      else projects.set(config, [i]);
    }
  });
  const batches = [...projects.values()].sort((a, b) => b.length - a.length);
  for (let i = 0; i < rest.length; i += size) batches.push(rest.slice(i, i + size));
  return batches;
}

/**
 * A TS/JS file's share of a Python file's cost when deciding on workers. A worker pays for the
 * bundle, `typescript` and a cold JIT again, while TypeScript's parse of a file is quick: 855
 * syntax-only files of fastify took 1.24 s on one thread and 1.46 s on two workers (2 cores).
 */
const TS_FILE_WEIGHT = 1 / 32;
/**
 * A tsconfig.json's program (parse its files and libs, bind: 0.5–1 s) in the same units: two
 * projects are worth two threads (socket.io's packages: 5.9 s on workers, 6.9 s on one thread).
 */
const PROGRAM_WEIGHT = MIN_FILES_FOR_WORKERS / 2;

/** The run's work in Python-file units, for `workerCount`. */
export function workload(files: readonly { readonly path: string }[]): number {
  let n = 0;
  const projects = new Set<string>();
  for (const f of files) {
    if (!isTypeScriptFile(f.path)) n += 1;
    else {
      n += TS_FILE_WEIGHT;
      const config = nearestConfig(path.dirname(f.path));
      if (config !== undefined) projects.add(config);
    }
  }
  return Math.ceil(n + projects.size * PROGRAM_WEIGHT);
}

/** How many workers to use: `ASYNCWISE_WORKERS` when set (1 = none), else one per core for big runs (`files`: the `workload`). */
export function workerCount(files: number, env: NodeJS.ProcessEnv): number {
  const forced = Number(env.ASYNCWISE_WORKERS);
  if (Number.isInteger(forced) && forced >= 1) return Math.min(forced, 16);
  if (files < MIN_FILES_FOR_WORKERS) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 8, Math.ceil(files / BATCH)));
}

/** Checks every file of the job, on up to `workers` threads (1: this thread). */
export async function checkAll(job: CheckJob, workers: number, onProgress: (done: number) => void = () => {}): Promise<FileResult[]> {
  // A fully cached run loads no engine at all.
  if (job.files.length === 0) return [];
  // Files come grouped by folder: bigger batches keep a package on one worker, so fewer modules are
  // summarised twice for the cross-file rules; ~6 batches a worker still balance the load.
  const batches = workers <= 1 ? [] : planBatches(job.files, Math.max(BATCH, Math.ceil(job.files.length / (workers * 6))));
  // No more threads than batches: one tsconfig's files alone are one thread's work.
  if (workers <= 1 || batches.length <= 1) return checkHere(job, onProgress);
  workers = Math.min(workers, batches.length);
  let done = 0;
  const results: FileResult[] = new Array(job.files.length);
  let next = 0;
  const take = (): number[] => (next < batches.length ? batches[next++] : []);
  await Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: { asyncwiseCheck: job } });
        worker.on('message', (message: { ready?: true; results?: [number, FileResult][] }) => {
          for (const [i, result] of message.results ?? []) results[i] = result;
          if (message.results?.length) onProgress((done += message.results.length));
          const batch = take();
          if (batch.length) worker.postMessage(batch);
          else void worker.terminate().then(() => resolve());
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (code !== 0 && code !== 1) reject(new Error(`a worker thread stopped with exit code ${code}`));
          else resolve();
        });
      }),
    ),
  );
  const missing = results.findIndex((r) => r === undefined);
  if (missing >= 0) throw new Error(`no result for ${job.files[missing].display}`);
  return results;
}

async function checkHere(job: CheckJob, onProgress: (done: number) => void): Promise<FileResult[]> {
  const check = new Checker(job);
  await check.prepare(job.files.map((_, i) => i));
  const results: FileResult[] = [];
  let yielded = Date.now();
  for (let i = 0; i < job.files.length; i++) {
    results.push(check.check(i));
    // Let the progress timer run now and then.
    if (Date.now() - yielded > 50) {
      onProgress(i + 1);
      await new Promise((resolve) => setImmediate(resolve));
      yielded = Date.now();
    }
  }
  onProgress(job.files.length);
  return results;
}

/** The worker side: started by `checkAll` from this same bundle; returns true when this thread is one. */
export function runWorkerIfAsked(): boolean {
  const job = !isMainThread && (workerData as { asyncwiseCheck?: CheckJob } | undefined)?.asyncwiseCheck;
  if (!job || !parentPort) return false;
  const port = parentPort;
  const check = new Checker(job);
  port.on('message', (batch: number[]) => {
    // A parser that fails to load rejects unhandled: the thread stops with that error, failing the run.
    void check.prepare(batch).then(() => port.postMessage({ results: batch.map((i): [number, FileResult] => [i, check.check(i)]) }));
  });
  port.postMessage({ ready: true });
  return true;
}
