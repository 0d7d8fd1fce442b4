/**
 * Whether a file is test or benchmark code, by the conventions test runners and benchmark suites
 * use to find their files. Rules about throughput (AW401) leave such code alone: a test awaits one
 * step after another on purpose — the sequence is what it checks, its setup must be deterministic,
 * and its run time is not the product's — and a benchmark's sequence is what it measures.
 *
 * The path is read relative to its project (the nearest folder with a pyproject.toml, setup.py,
 * setup.cfg, package.json or .git), so a checkout that happens to live under a `tests/` folder is
 * not all test code; and relative to the last `fixtures` folder in it, since a fixtures folder holds
 * sample projects that tests run the tool on: their code is checked like any other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuleMeta } from './rule';
import type { Settings } from './settings';

/** Folders whose files are tests, test support or benchmarks. */
const TEST_FOLDERS = new Set(['test', 'tests', 'testing', '__tests__', 'spec', 'specs', 'e2e', 'bench', 'benchmark', 'benchmarks']);
/** File names test runners collect (pytest, jest, vitest, mocha, tsd/tstyche) and benchmark scripts. */
const TEST_FILE = /^(test_.*\.py|.*_test\.py|conftest\.py|tests\.py|.*\.(test|spec|tst|test-d|e2e|bench)\.[cm]?[jt]sx?|bench(mark)?([_.-].*)?\.\w+|.*[_-]bench(mark)?\.\w+)$/i;
/** A sample project inside a test suite: read paths from it, not from the suite around it. */
const FIXTURE_FOLDERS = new Set(['fixtures', '__fixtures__']);
const PROJECT_MARKERS = ['pyproject.toml', 'setup.py', 'setup.cfg', 'package.json', '.git'];

type Exists = (p: string) => boolean;
/** Project root per folder (per way of asking), so a run over many files asks once per folder. */
const rootCache = new WeakMap<Exists, Map<string, string | null>>();

function projectRoot(dir: string, exists: Exists): string | undefined {
  let roots = rootCache.get(exists);
  if (!roots) rootCache.set(exists, (roots = new Map()));
  const known = roots.get(dir);
  if (known !== undefined) return known ?? undefined;
  let root: string | undefined;
  if (PROJECT_MARKERS.some((m) => exists(path.join(dir, m)))) root = dir;
  else if (path.dirname(dir) !== dir) root = projectRoot(path.dirname(dir), exists);
  roots.set(dir, root ?? null);
  return root;
}

/**
 * True for test and benchmark code: a file named the way test runners collect them (`test_x.py`,
 * `x_test.py`, `conftest.py`, `x.test.ts`, `x.spec.js`…) or `bench…`, or under a `test(s)`,
 * `testing`, `__tests__`, `spec(s)`, `e2e` or `bench(mark)(s)` folder of its project. A relative path
 * is read as given (no project lookup).
 */
export function isTestCode(file: string | undefined, exists: Exists = fs.existsSync): boolean {
  if (!file) return false;
  const segments = projectPath(file, exists);
  const name = segments.pop() ?? '';
  if (TEST_FILE.test(name)) return true;
  const fixtures = segments.map((s) => FIXTURE_FOLDERS.has(s)).lastIndexOf(true);
  return segments.slice(fixtures + 1).some((s) => TEST_FOLDERS.has(s.toLowerCase()));
}

/**
 * Whether `rule` runs on this file: everywhere, unless the rule is about production behaviour and
 * stays out of test code (`inTests: false`: a test runs alone on its own loop, so a blocking read of
 * a fixture stalls nothing, and it awaits step after step and cancels what it owns on purpose) and
 * the file is test code — then only when the user named the rule (a severity in the settings, or
 * its exact code in `select`).
 */
export function runsOnFile(settings: Settings, rule: RuleMeta, file: string | undefined): boolean {
  if (rule.inTests !== false || !isTestCode(file)) return true;
  return settings.rules[rule.code] !== undefined || settings.explicit?.has(rule.code) === true;
}

/** `file` relative to `dir` when inside it (either separator), else `file` as given. */
export function relativeTo(dir: string, file: string): string {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const d = norm(dir);
  const f = norm(file);
  return d !== '' && f.startsWith(`${d}/`) ? f.slice(d.length + 1) : f;
}

/**
 * The file's path inside its project, as segments (folders, then the file's name): relative to the
 * nearest folder with a project marker, so where the checkout lives does not count. A relative path
 * is read as given.
 */
export function projectPath(file: string, exists: Exists = fs.existsSync): string[] {
  let rel = file.replace(/\\/g, '/');
  if (path.isAbsolute(file)) {
    const root = projectRoot(path.dirname(path.resolve(file)), exists);
    if (root) rel = path.relative(root, path.resolve(file)).replace(/\\/g, '/');
  }
  return rel.split('/').filter((s) => s && s !== '.');
}
