/**
 * Entry of the editor suite: the `run()` contract VS Code calls in the extension host when it is
 * started with `extensionTestsPath` (by runCodeServer.ts here, by @vscode/test-electron on desktop).
 * Mocha runs the tests; progress goes to the console and, when the runner asked for it through
 * ASYNCWISE_E2E_DIR, to a log file and a results file it reads (the extension host's stdout is not
 * visible through code-server).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { E2E_DIR_ENV, RESULTS, SUITE_LOG, type SuiteResults, type TestResult } from '../e2eProtocol';
import { defineInspectorTests } from './inspector.test';
import { defineNotifierTests } from './notifier.test';
import { defineTypeScriptTests } from './typescript.test';
import { defineTypingTests } from './typing.test';
import { defineWorkerTests } from './worker.test';

export function run(): Promise<void> {
  const dir = process.env[E2E_DIR_ENV];
  const logFile = dir ? path.join(dir, SUITE_LOG) : undefined;
  const write = (line: string) => {
    console.log(line);
    if (logFile) fs.appendFileSync(logFile, line + '\n');
  };

  // ASYNCWISE_E2E_GREP runs only the tests whose full title matches (a faster loop while developing).
  const grep = process.env.ASYNCWISE_E2E_GREP;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000, reporter: SilentReporter, ...(grep ? { grep } : {}) });
  // The tests are bundled into this file, so they are registered through mocha's own hook instead of addFile().
  mocha.suite.emit('pre-require', globalThis, 'worker.test.ts', mocha);
  defineWorkerTests();
  mocha.suite.emit('pre-require', globalThis, 'typing.test.ts', mocha);
  defineTypingTests();
  mocha.suite.emit('pre-require', globalThis, 'notifier.test.ts', mocha);
  defineNotifierTests();
  mocha.suite.emit('pre-require', globalThis, 'inspector.test.ts', mocha);
  defineInspectorTests();
  mocha.suite.emit('pre-require', globalThis, 'typescript.test.ts', mocha);
  defineTypeScriptTests();

  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tests: TestResult[] = [];
    let runner: Mocha.Runner;
    try {
      runner = mocha.run((failures) => {
        const results: SuiteResults = {
          passed: tests.filter((t) => t.state === 'passed').length,
          failed: tests.filter((t) => t.state === 'failed').length,
          pending: tests.filter((t) => t.state === 'pending').length,
          durationMs: Date.now() - started,
          tests,
        };
        write(`  ${results.passed} passing, ${results.failed} failing, ${results.pending} pending (${results.durationMs} ms)`);
        if (dir) fs.writeFileSync(path.join(dir, RESULTS), JSON.stringify(results, null, 2));
        if (failures > 0) reject(new Error(`${failures} editor test(s) failed`));
        else resolve();
      });
    } catch (error) {
      write(`could not start mocha: ${String(error)}`);
      reject(error);
      return;
    }
    runner.on('suite', (suite) => {
      if (suite.title) write(`  ${suite.title}`);
    });
    runner.on('pass', (test) => {
      tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration ?? 0 });
      write(`    ✔ ${test.title} (${test.duration ?? 0} ms)`);
    });
    runner.on('fail', (test, error: Error) => {
      const detail = error?.stack ?? String(error);
      tests.push({ title: test.fullTitle(), state: 'failed', durationMs: test.duration ?? 0, error: detail });
      write(`    ✘ ${test.title}\n${detail.replace(/^/gm, '      ')}`);
    });
    runner.on('pending', (test) => {
      tests.push({ title: test.fullTitle(), state: 'pending', durationMs: 0 });
      write(`    - ${test.title} (skipped)`);
    });
  });
}

/** Keeps mocha's statistics without printing: the events above do the reporting, in both runners. */
class SilentReporter extends Mocha.reporters.Base {}
