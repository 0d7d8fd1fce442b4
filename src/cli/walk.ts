/**
 * Which files a `check` analyses, and reading them safely. Directories are searched for `*.py` and TS/JS sources (`typescript.ts`),
 * skipping version control, dependencies, caches and virtual environments; a file named on the
 * command line is always checked. Reading never throws: a file that cannot be analysed (unreadable,
 * binary, not UTF-8, too large) comes back as a reason to report, and the run goes on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeFileName, fsPath, openRegularFile, readRegularFile } from '../core/files';
import { Glob, trimTrailing } from '../core/glob';
import { isTypeScriptFile } from './typescript';

/** Directory names never searched: VCS metadata, dependencies, caches, installed packages. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git', '.hg', '.svn',
  'node_modules',
  '__pycache__', '.tox', '.nox', '.mypy_cache', '.ruff_cache', '.pytest_cache',
  'site-packages',
]);

/** A virtual environment, whatever its name (`.venv`, `venv`, `env`, `.direnv/python-3.11`), holds this file. */
const VENV_MARKER = 'pyvenv.cfg';

/** Larger files are generated or vendored code, not something to lint. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** Git's heuristic: a NUL byte in the first 8 KB means binary. */
const BINARY_SNIFF_BYTES = 8192;

export interface Skipped {
  readonly path: string;
  readonly reason: string;
  /** Named on the command line: not checking it is an error, not a note. */
  readonly named?: boolean;
}

export interface FileList {
  /** Absolute paths, in a stable order (arguments in order, each directory sorted). */
  readonly files: string[];
  /** The files named on the command line (not found in a walk). */
  readonly named: ReadonlySet<string>;
  readonly skipped: Skipped[];
}

/** A path argument that does not exist: a usage error, not a quiet pass in CI. */
export class MissingPathError extends Error {
  constructor(readonly arg: string) {
    super(`no such file or directory: ${arg}`);
  }
}

/**
 * Expands the path arguments into the files to check. Throws `MissingPathError` for an argument
 * that does not exist; anything unreadable found while walking is listed in `skipped`.
 */
export interface WalkOptions {
  /** Skip what .gitignore files ignore (those in walked folders and above, up to the repository root). */
  readonly gitignore?: boolean;
  /** Skip a file or folder found in a walk (config `exclude`, `--exclude`). May throw a ConfigError. */
  readonly excluded?: (absPath: string) => boolean;
}

export function collectFiles(args: readonly string[], cwd: string, options: WalkOptions = {}): FileList {
  const files: string[] = [];
  const skipped: Skipped[] = [];
  const named = new Set<string>();
  const seen = new Set<string>();
  const add = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    files.push(file);
  };
  const roots = args.map((arg) => {
    const abs = path.resolve(cwd, arg);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch (error) {
      // A dangling symlink exists but cannot be followed: report it like any unreadable file.
      if (isErrno(error, 'ENOENT') && !lexists(abs)) throw new MissingPathError(arg);
      return { abs, stat: undefined, error };
    }
    return { abs, stat, error: undefined };
  });
  for (const root of roots) {
    if (!root.stat) skipped.push({ path: root.abs, reason: describeError(root.error), named: true });
    else if (root.stat.isDirectory()) walk(root.abs, add, skipped, options, options.gitignore ? GitIgnore.above(root.abs) : undefined);
    else {
      named.add(root.abs);
      add(root.abs);
    }
  }
  return { files, skipped, named };
}

function walk(dir: string, add: (file: string) => void, skipped: Skipped[], options: WalkOptions, inherited: GitIgnore | undefined): void {
  const ignore = inherited?.enter(dir);
  let raw: fs.Dirent<Buffer>[];
  try {
    // Names as bytes: a name that is not UTF-8 would come back with U+FFFD in it, a path that does
    // not exist, and be reported as a dangling symlink (or its folder as unreadable).
    raw = fs.readdirSync(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    skipped.push({ path: dir, reason: describeError(error) });
    return;
  }
  const entries: { entry: fs.Dirent<Buffer>; name: string }[] = [];
  // Byte order, so the notes below come in a stable order; the checked names are sorted below.
  raw.sort((a, b) => Buffer.compare(a.name, b.name));
  // A name that is not UTF-8 keeps its bytes as escapes (`decodeFileName`): found and checked too.
  for (const entry of raw) entries.push({ entry, name: utf8Name(entry.name) ?? decodeFileName(entry.name) });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { entry, name } of entries) {
    const full = path.join(dir, name);
    if (entry.isDirectory()) {
      if (SKIPPED_DIRS.has(name) || ignore?.ignores(full, true) || options.excluded?.(full)) continue;
      // A directory named on the command line is searched even if it is a venv; found ones are not.
      if (!fs.existsSync(fsPath(path.join(full, VENV_MARKER)))) walk(full, add, skipped, options, ignore);
    } else if (name.endsWith('.py') || isTypeScriptFile(name)) {
      if (ignore?.ignores(full, false) || options.excluded?.(full)) continue;
      // Symlinked directories are not followed (cycles); symlinked .py files are, and a dangling
      // one is reported when it is read.
      if (entry.isFile() || entry.isSymbolicLink()) add(full);
    }
  }
}

/** Strict, and keeping a leading U+FEFF: it is part of the name. */
const nameDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8Name(name: Buffer): string | undefined {
  try {
    return nameDecoder.decode(name);
  } catch {
    return undefined;
  }
}

interface IgnoreRule {
  readonly base: string;
  readonly glob: Glob;
  readonly negate: boolean;
  readonly dirOnly: boolean;
  readonly anchored: boolean;
}

/**
 * The .gitignore rules in force in one folder: those of its .gitignore and of every folder above it
 * up to the repository root, later (deeper) rules winning, `!` re-including. Patterns are matched as
 * git does: with a `/` before the end they are relative to their file's folder, else they match a
 * name at any depth; a trailing `/` matches only folders.
 */
export class GitIgnore {
  private constructor(private readonly rules: readonly IgnoreRule[]) {}

  /** The rules from the repository root (the nearest folder above holding `.git`) down to `dir`'s parent. */
  static above(dir: string): GitIgnore {
    const chain: string[] = [];
    for (let d = path.dirname(dir); ; d = path.dirname(d)) {
      chain.unshift(d);
      if (fs.existsSync(path.join(d, '.git')) || d === path.dirname(d)) break;
    }
    // Outside any repository there is nothing above to honour.
    if (!fs.existsSync(path.join(chain[0], '.git'))) return new GitIgnore([]);
    let ignore = new GitIgnore([]);
    for (const d of chain) ignore = ignore.enter(d);
    return ignore;
  }

  /** The rules inside `dir`: these plus its own .gitignore. */
  enter(dir: string): GitIgnore {
    let text: string;
    try {
      text = readRegularFile(path.join(dir, '.gitignore'), 'utf8');
    } catch {
      return this;
    }
    const rules = [...this.rules];
    for (const raw of text.split(/\r?\n/)) {
      // Trailing spaces are dropped unless escaped (`\ `), as git does.
      let line = trimTrailing(raw, ' \t');
      if (line.length < raw.length && line.endsWith('\\')) line = raw.slice(0, line.length + 1);
      if (!line || line.startsWith('#')) continue;
      const negate = line.startsWith('!');
      if (negate) line = line.slice(1);
      line = line.replace(/^\\([#!])/, '$1');
      const dirOnly = line.endsWith('/');
      if (dirOnly) line = trimTrailing(line, '/');
      const anchored = line.includes('/');
      line = line.replace(/^\//, '');
      if (line) rules.push({ base: dir, glob: Glob.compile(line, 'gitignore'), negate, dirOnly, anchored });
    }
    return new GitIgnore(rules);
  }

  ignores(file: string, isDir: boolean): boolean {
    let ignored = false;
    for (const rule of this.rules) {
      if (rule.dirOnly && !isDir) continue;
      const rel = path.relative(rule.base, file).split(path.sep).join('/');
      if (rel.startsWith('..')) continue;
      if (rule.glob.matches(rule.anchored ? rel : path.basename(file))) ignored = !rule.negate;
    }
    return ignored;
  }
}

export type ReadResult =
  | { readonly ok: true; readonly text: string; readonly bytes: number; /** The file starts with a UTF-8 BOM (dropped from `text`). */ readonly bom: boolean }
  | { readonly ok: false; readonly reason: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads one file as UTF-8 source, or says why it will not be analysed. */
export function readSource(file: string): ReadResult {
  let data: Buffer;
  let fd: number | undefined;
  try {
    // Only a regular file is opened (a FIFO would block the run), then fstat on the descriptor: the
    // size check and the read see the same file.
    const opened = openRegularFile(file);
    fd = opened.fd;
    const stat = opened.stat;
    if (stat.size > MAX_FILE_BYTES) return { ok: false, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB (${formatBytes(stat.size)})` };
    data = fs.readFileSync(fd);
  } catch (error) {
    return { ok: false, reason: describeError(error) };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  // The file may have grown between fstat and read.
  if (data.length > MAX_FILE_BYTES) return { ok: false, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB (${formatBytes(data.length)})` };
  if (data.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return { ok: false, reason: 'binary file (NUL byte)' };
  // The lenient decoder is about twice as fast as the strict one; it marks invalid bytes with
  // U+FFFD, and only then (or for a file that really contains U+FFFD) is the strict check needed.
  let text = data.toString('utf8');
  if (text.includes('\uFFFD')) {
    try {
      strictUtf8.decode(data);
    } catch {
      return { ok: false, reason: 'not valid UTF-8' };
    }
  }
  // Drop a BOM, as editors do, so columns match what the user sees.
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  return { ok: true, text, bytes: data.length, bom };
}

function formatBytes(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function lexists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'cannot be read (dangling symlink or removed while checking)';
    case 'ELOOP':
      return 'symlink loop';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTREG':
      return 'not a regular file (a FIFO, socket or device)';
    default:
      return e?.message ?? String(error);
  }
}
