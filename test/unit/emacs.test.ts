/**
 * The language server under a second client no one here wrote: Emacs's eglot (Debian's emacs-nox
 * and elpa-eglot, or Emacs 29's built-in eglot), batch mode, configured as the README says
 * (test/emacs/eglot.el). Checks that flymake lists the CLI's findings on the demo's worker.py, hints
 * as eglot's notes. Skipped when emacs or eglot is not installed.
 */
import { spawnSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');
const probe = spawnSync('emacs', ['--batch', '--eval', "(progn (require 'eglot) (princ \"eglot-ok\"))"], { encoding: 'utf8' });
const available = probe.status === 0 && probe.stdout.includes('eglot-ok');

test('Emacs eglot: flymake lists the diagnostics the CLI reports', { skip: !available && 'emacs with eglot is not installed (apt-get install emacs-nox elpa-eglot)' }, () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-eglot-'));
  try {
    fs.cpSync(path.join(ROOT, 'demo', 'python'), workspace, { recursive: true });
    const file = path.join(workspace, 'worker.py');
    const run = spawnSync('emacs', ['--batch', '-l', path.join(ROOT, 'test', 'emacs', 'eglot.el')], {
      cwd: workspace,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, ASYNCWISE_CLI: CLI, ASYNCWISE_FILE: file, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    const seen = `${run.stdout}${run.stderr}`
      .split('\n')
      .filter((l) => l.startsWith('asyncwise-eglot '))
      .map((l) => l.slice('asyncwise-eglot '.length))
      .sort();
    const cli = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--hints', '--no-cache', file], { cwd: workspace, encoding: 'utf8' });
    // eglot's flymake types: errors, warnings, and notes for information and hints.
    const type = { error: 'eglot-error', warning: 'eglot-warning', info: 'eglot-note', hint: 'eglot-note' } as Record<string, string>;
    const expected = (JSON.parse(cli.stdout) as { line: number; code: string; severity: string }[]).map((p) => `${p.line} ${type[p.severity]} ${p.code}`).sort();
    assert.ok(expected.length > 0);
    assert.deepEqual(seen, expected, `emacs said: ${run.stdout}${run.stderr}`.slice(0, 3000));
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});
