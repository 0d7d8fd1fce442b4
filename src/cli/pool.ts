/**
 * Checks files on worker threads, one per core (up to 8): each worker loads its own parser and
 * project indexes and takes batches of files from a shared queue, so a slow file holds up only its
 * worker. Results come back as plain data, in the order of the input files. Small runs stay on the
 * main thread: starting a worker (loading the wasm engine) costs more than a few files take.
 */
import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CATALOG } from '../core/catalog';
import { PythonParser } from '../python/parser';
import { ConfigResolver } from '../core/config';
import { flagOverrides, type CheckCommand } from './args';
import { checkFile, type FileResult, type FixMode } from './check';
import { ProjectIndexes } from './projects';

/** Below this many files one thread is faster. */
const MIN_FILES_FOR_WORKERS = 48;
/** Files per batch: large enough that neighbouring files (one package) share a worker's index. */
const BATCH = 8;

export interface CheckJob {
  readonly command: CheckCommand;
  /** Absolute roots the run was given (project indexes hang off them). */
  readonly roots: readonly string[];
  readonly files: readonly { readonly path: string; readonly display: string }[];
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

/** A checker bound to one thread's parser, project indexes and config. */
function checker(parser: PythonParser, job: CheckJob): (i: number) => FileResult {
  const projects = new ProjectIndexes(parser, [...job.roots]);
  const configs = resolverFor(job.command, job.cwd);
  const fix = fixMode(job.command);
  return (i) => {
    const { path: file, display } = job.files[i];
    return checkFile(parser, file, display, configs.forFile(file).settings, projects.of(file), fix);
  };
}

/** How many workers to use: `ASYNCWISE_WORKERS` when set (1 = none), else one per core for big runs. */
export function workerCount(files: number, env: NodeJS.ProcessEnv): number {
  const forced = Number(env.ASYNCWISE_WORKERS);
  if (Number.isInteger(forced) && forced >= 1) return Math.min(forced, 16);
  if (files < MIN_FILES_FOR_WORKERS) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 8, Math.ceil(files / BATCH)));
}

/** Checks every file of the job, on `workers` threads (1: this thread). */
export async function checkAll(job: CheckJob, workers: number, onProgress: (done: number) => void = () => {}): Promise<FileResult[]> {
  // A fully cached run loads no engine at all.
  if (job.files.length === 0) return [];
  if (workers <= 1) return checkHere(job, onProgress);
  let done = 0;
  const results: FileResult[] = new Array(job.files.length);
  let next = 0;
  // Files come grouped by folder: bigger batches keep a package on one worker, so fewer modules are
  // summarised twice for the cross-file rules; ~6 batches a worker still balance the load.
  const size = Math.max(BATCH, Math.ceil(job.files.length / (workers * 6)));
  const take = (): number[] => {
    const batch: number[] = [];
    while (batch.length < size && next < job.files.length) batch.push(next++);
    return batch;
  };
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
  const parser = await PythonParser.load();
  const check = checker(parser, job);
  const results: FileResult[] = [];
  let yielded = Date.now();
  for (let i = 0; i < job.files.length; i++) {
    results.push(check(i));
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
  void (async () => {
    const parser = await PythonParser.load();
    const check = checker(parser, job);
    port.on('message', (batch: number[]) => {
      const results = batch.map((i): [number, FileResult] => [i, check(i)]);
      port.postMessage({ results });
    });
    port.postMessage({ ready: true });
  })();
  return true;
}
