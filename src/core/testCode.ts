/**
 * Test code: where a rule about production behaviour (a loop stalled under load, a shutdown that
 * hangs, requests that could overlap) stays quiet unless the user asks for it. A test runs alone on
 * its own loop: a blocking read of a fixture file stalls nothing else, its awaits are sequential on
 * purpose (each step asserts on the state the previous one left), and it cancels what it owns to
 * check what happens. Rules that find bugs in the test itself (a coroutine or promise dropped, so its
 * assertion never runs) keep reporting there. See each rule's `inTests`.
 */
import type { RuleMeta } from './rule';
import type { Settings } from './settings';

/** Folders that hold tests in Python and Node projects. */
const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'testing', 'spec', 'e2e']);
/** File names of tests: pytest's and unittest's, and Node's runners' (`*.test.ts`, `*.spec.js`). */
const TEST_FILE = /^(test_.*\.py|.*_tests?\.py|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?)$/i;

/**
 * Whether `relativePath` (relative to the workspace or project root, any separators) is test code: a
 * test file, or a file under a test folder. An absolute path says nothing (its folders above the
 * project are not the project's), so only its file name counts.
 */
export function isTestPath(relativePath: string | undefined): boolean {
  if (!relativePath) return false;
  if (/^([\\/]|[A-Za-z]:)/.test(relativePath) || relativePath.startsWith('..')) return TEST_FILE.test(relativePath.split(/[\\/]+/).pop() ?? '');
  const filePath = relativePath;
  const parts = filePath.split(/[\\/]+/).filter((p) => p !== '');
  const name = parts.pop() ?? '';
  return TEST_FILE.test(name) || parts.some((p) => TEST_DIRS.has(p.toLowerCase()));
}

/**
 * Whether `rule` runs on this file: everywhere, unless the rule stays out of test code
 * (`inTests: false`) and the file is a test — then only when the user named the rule (a severity
 * in the settings, or its exact code in `select`).
 */
export function runsOnFile(settings: Settings, rule: RuleMeta, filePath: string | undefined): boolean {
  if (rule.inTests !== false || !isTestPath(filePath)) return true;
  return settings.rules[rule.code] !== undefined || settings.explicit?.has(rule.code) === true;
}

/** `file` relative to `dir` when inside it (either separator), else `file` as given. */
export function relativeTo(dir: string, file: string): string {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const d = norm(dir);
  const f = norm(file);
  return d !== '' && f.startsWith(`${d}/`) ? f.slice(d.length + 1) : f;
}
