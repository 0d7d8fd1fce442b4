/**
 * `npm test`'s summary (scripts/test-summary.js): a suite skipped whole is counted and named (node:test's
 * own summary says `skipped 0` for it), and under CI any skip fails the run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from './helpers';

const SUMMARY = path.join(repoRoot(), 'scripts', 'test-summary.js');

/** The environment of a fresh `node --test` (not one nested in this run) without CI. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT;
  if (!('CI' in extra)) delete env.CI;
  return env;
}

describe('npm test summary', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-summary-'));
  const testFile = path.join(dir, 'sample.test.js');
  fs.writeFileSync(testFile, [
    "const { describe, it } = require('node:test');",
    "describe('needs a tool', { skip: 'the tool is not installed' }, () => { it('a', () => {}); it('b', () => {}); });",
    "describe('runs', () => { it('c', () => {}); it('d', (t) => t.skip('no /dev/full')); it('e', () => {}); });",
  ].join('\n'));
  const unitJson = path.join(dir, 'unit.json');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, ['--test', `--test-reporter=${SUMMARY}`, `--test-reporter-destination=${unitJson}`, testFile], { cwd: dir, env: cleanEnv(), encoding: 'utf8' });

  it('the reporter counts files, suites and tests, and names every skipped suite and test with its reason', () => {
    assert.equal(run.status, 0, run.stderr);
    const unit = JSON.parse(fs.readFileSync(unitJson, 'utf8'));
    assert.deepEqual(unit.files, ['sample.test.js']);
    assert.equal(unit.suites, 2);
    assert.equal(unit.tests, 3);
    assert.equal(unit.passed, 2);
    assert.equal(unit.skipped, 1);
    assert.deepEqual(unit.skippedSuites, [{ file: 'sample.test.js', name: 'needs a tool', reason: 'the tool is not installed' }]);
    assert.deepEqual(unit.skippedTests, [{ file: 'sample.test.js', name: 'd', reason: 'no /dev/full' }]);
  });

  it('the report lists each step and skip; skips pass locally, fail under CI; a step not run fails', () => {
    const steps = path.join(dir, 'steps.tsv');
    fs.writeFileSync(steps, 'build\tok\t\nunit, fixture and CLI tests\tok\t\n');
    const report = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [SUMMARY, 'report', steps, unitJson, path.join(dir, 'no-editor.json')], { env: cleanEnv(env), encoding: 'utf8' });
    const local = report({});
    assert.equal(local.status, 0, local.stdout);
    assert.match(local.stdout, /1 file, 2 suites, 3 tests: 2 passed, 0 failed, 1 skipped; 1 suite skipped whole/);
    assert.match(local.stdout, /skipped suite {2}sample\.test\.js › needs a tool: the tool is not installed/);
    assert.match(local.stdout, /2 part\(s\) skipped/);
    const ci = report({ CI: 'true' });
    assert.equal(ci.status, 1, ci.stdout);
    assert.match(ci.stdout, /FAIL \(CI\): 2 part\(s\) that should run were skipped/);
    assert.equal(report({ CI: 'false' }).status, 0);
    fs.appendFileSync(steps, 'real-editor suite\tnot run\t\n');
    const notRun = report({});
    assert.equal(notRun.status, 1);
    assert.match(notRun.stdout, /FAIL: real-editor suite \(not run\)/);
  });
});
