/**
 * The results cache of `check`: a file's problems keyed by a content hash of everything they depend
 * on, so an unchanged tree is re-checked without parsing. The key covers
 *  - the file's text and its path within its project (its module name, for relative imports),
 *  - the settings it ran with (after config files, flags and per-file ignores),
 *  - the engine: a hash of the running asyncwise bundle (version and rule set included),
 *  - the project's state: a hash of every Python file of the file's project, because cross-file
 *    rules (AW202, AW301) read other modules. Any change in a project misses for all its files;
 *    correctness first.
 * Stored as one JSON file under `node_modules/.cache/asyncwise` (when node_modules exists) or
 * `.cache/asyncwise` in the working directory, written atomically at the end of a run. A cache that
 * cannot be read or written is ignored (with a note), never fatal.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Settings } from '../core/settings';
import { readRegularFile } from '../core/files';
import type { Problem } from './check';

/** Bumped when the stored shape changes. */
const FORMAT = 1;
/** Entries kept: those used by this run first, then older ones up to this many. */
const MAX_ENTRIES = 200_000;

export type CachedProblem = Omit<Problem, 'file'>;

interface Stored {
  readonly format: number;
  readonly entries: Record<string, CachedProblem[]>;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

let engine: string | undefined;

/** A hash of the running code: any change to asyncwise or its rules is a new engine. */
export function engineHash(): string {
  if (engine === undefined) {
    let bundle: Buffer | string;
    try {
      bundle = fs.readFileSync(__filename);
    } catch {
      bundle = `${Date.now()}-${Math.random()}`; // unknown code: never reuse
    }
    engine = sha256(bundle);
  }
  return engine;
}

/** The settings as a stable string (sets sorted; path globs are already applied per file). */
export function settingsFingerprint(settings: Settings): string {
  return JSON.stringify({
    enable: settings.enable,
    python: settings.python,
    typescript: settings.typescript,
    rules: Object.entries(settings.rules).sort(),
    select: settings.select ? [...settings.select].sort() : null,
    explicit: settings.explicit ? [...settings.explicit].sort() : null,
    ignore: [...settings.ignore].sort(),
    hints: settings.hints,
  });
}

export function cacheDir(cwd: string, env: NodeJS.ProcessEnv): string {
  if (env.ASYNCWISE_CACHE_DIR) return path.resolve(cwd, env.ASYNCWISE_CACHE_DIR);
  if (fs.existsSync(path.join(cwd, 'node_modules'))) return path.join(cwd, 'node_modules', '.cache', 'asyncwise');
  return path.join(cwd, '.cache', 'asyncwise');
}

export class ResultCache {
  /** As read: entries are checked with `isCachedProblems` before use. */
  private readonly old: Record<string, unknown>;
  private readonly used = new Map<string, CachedProblem[]>();
  hits = 0;
  misses = 0;

  private constructor(
    private readonly file: string,
    old: Record<string, unknown>,
  ) {
    this.old = old;
  }

  /**
   * Opens (reads) the cache in `dir`; a missing or unreadable cache is an empty one. Undefined, with
   * one note through `warn`, when `dir` cannot be a cache folder (it or a parent is a file): the run
   * goes on without a cache rather than losing its report.
   */
  static open(dir: string, warn: (message: string) => void): ResultCache | undefined {
    const file = path.join(dir, `results-v${FORMAT}.json`);
    const blocker = nonFolderOnPath(dir);
    if (blocker !== undefined) {
      warn(`not using a cache: ${blocker} is not a folder`);
      return undefined;
    }
    let entries: Record<string, unknown> = {};
    try {
      const stored = JSON.parse(readRegularFile(file, 'utf8')) as unknown;
      // Anything may be in the file (another version, a hand edit, a crash): the shape is checked
      // here and each entry when it is used.
      if (isRecord(stored) && stored.format === FORMAT && isRecord(stored.entries)) entries = stored.entries;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') warn(`ignoring the unreadable cache ${file}: ${(error as Error).message}`);
    }
    return new ResultCache(file, entries);
  }

  get(key: string): CachedProblem[] | undefined {
    const stored = Object.prototype.hasOwnProperty.call(this.old, key) ? this.old[key] : undefined;
    const hit = this.used.get(key) ?? (isCachedProblems(stored) ? stored : undefined);
    if (hit) {
      this.hits++;
      this.used.set(key, hit);
    } else this.misses++;
    return hit;
  }

  set(key: string, problems: readonly Problem[]): void {
    this.used.set(
      key,
      problems.map(({ file: _file, ...rest }) => rest),
    );
  }

  /** Writes the cache (temp file + rename). Returns an error message instead of throwing. */
  save(): string | undefined {
    const entries: Record<string, CachedProblem[]> = Object.create(null) as Record<string, CachedProblem[]>;
    let n = 0;
    for (const [k, v] of this.used) {
      entries[k] = v;
      n++;
    }
    for (const k of Object.keys(this.old)) {
      if (n >= MAX_ENTRIES) break;
      const old = this.old[k];
      if (!Object.prototype.hasOwnProperty.call(entries, k) && isCachedProblems(old)) {
        entries[k] = old;
        n++;
      }
    }
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // Tools that walk the tree (and git) should leave the cache alone.
      const gitignore = path.join(path.dirname(this.file), '.gitignore');
      if (!fs.existsSync(gitignore)) fs.writeFileSync(gitignore, '*\n');
      fs.writeFileSync(temp, JSON.stringify({ format: FORMAT, entries } satisfies Stored));
      fs.renameSync(temp, this.file);
      return undefined;
    } catch (error) {
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // Nothing was written there (its folder is unusable): nothing to clean up.
      }
      return `could not write the cache ${this.file}: ${(error as Error).message}`;
    }
  }
}

/**
 * Hashes of the project states: for each project root, one hash over the path and content hash of
 * every Python file in it (the files a cross-file rule may read). Content hashes of files already
 * read are reused.
 */
export class ProjectStates {
  private readonly byRoot = new Map<string, string>();

  constructor(
    private readonly listFiles: (root: string) => readonly string[],
    private readonly contentHash: (file: string) => string,
  ) {}

  of(root: string): string {
    let state = this.byRoot.get(root);
    if (state === undefined) {
      const h = createHash('sha256');
      for (const file of [...this.listFiles(root)].sort()) h.update(`${path.relative(root, file)}\0${this.contentHash(file)}\n`);
      state = h.digest('hex');
      this.byRoot.set(root, state);
    }
    return state;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NUMBER_FIELDS = ['line', 'column', 'endLine', 'endColumn'] as const;
const STRING_FIELDS = ['code', 'rule', 'severity', 'message', 'sourceLine'] as const;

/** Whether a stored entry has the shape the report needs; anything else is a miss, never a crash. */
function isCachedProblems(value: unknown): value is CachedProblem[] {
  return Array.isArray(value) && value.every(isCachedProblem);
}

function isCachedProblem(value: unknown): boolean {
  if (!isRecord(value) || typeof value.fixable !== 'boolean') return false;
  if (!NUMBER_FIELDS.every((k) => Number.isInteger(value[k]) && (value[k] as number) >= 1)) return false;
  if (!STRING_FIELDS.every((k) => typeof value[k] === 'string')) return false;
  if (value.fix === undefined) return true;
  const fix = value.fix;
  return (
    isRecord(fix) &&
    typeof fix.title === 'string' &&
    (fix.safety === 'safe' || fix.safety === 'unsafe') &&
    Array.isArray(fix.edits) &&
    fix.edits.every((e) => isRecord(e) && NUMBER_FIELDS.every((k) => Number.isInteger(e[k])) && typeof e.newText === 'string')
  );
}

/** The first of `dir` and its parents that exists and is not a folder, if any. */
function nonFolderOnPath(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      return fs.statSync(d).isDirectory() ? undefined : d;
    } catch {
      // Missing: created on save; look further up.
    }
    if (d === path.dirname(d)) return undefined;
  }
}
