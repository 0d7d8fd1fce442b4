/**
 * The benchmark corpus: a folder of real Python, by default this machine's standard library without
 * its test suites. Files are found with the CLI's own walker and read with its own reader, so both
 * engines get exactly the files (and text) `asyncwise check` would analyse.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { collectFiles, readSource } from '../src/cli/walk';

export interface CorpusFile {
  readonly path: string;
  readonly text: string;
  readonly bytes: number;
  readonly lines: number;
}

export interface Corpus {
  readonly description: string;
  readonly roots: readonly string[];
  readonly files: readonly CorpusFile[];
  readonly bytes: number;
  readonly lines: number;
  /** Files the CLI would skip (not UTF-8, binary, too large): left out for both engines. */
  readonly unreadable: number;
}

/** Test suites are deliberately odd code (bad encodings, syntax errors on purpose); not what users lint. */
const TEST_DIRS = new Set(['test', 'tests', 'idle_test']);

export function pythonStdlib(): string {
  return execFileSync('python3', ['-c', "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: 'utf8' }).trim();
}

export function loadCorpus(roots: readonly string[], skipTests: boolean, description: string): Corpus {
  const { files } = collectFiles(roots, process.cwd());
  const kept: CorpusFile[] = [];
  let unreadable = 0;
  for (const file of files) {
    // The Python benchmarks compare with Ruff on the same Python files; the walker also finds TS/JS.
    if (!file.endsWith('.py')) continue;
    if (skipTests && roots.some((root) => path.relative(root, file).split(path.sep).slice(0, -1).some((part) => TEST_DIRS.has(part)))) continue;
    const read = readSource(file);
    if (!read.ok) {
      unreadable++;
      continue;
    }
    kept.push({ path: file, text: read.text, bytes: read.bytes, lines: countLines(read.text) });
  }
  return {
    description,
    roots,
    files: kept,
    bytes: kept.reduce((n, f) => n + f.bytes, 0),
    lines: kept.reduce((n, f) => n + f.lines, 0),
    unreadable,
  };
}

export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n : n + 1;
}
