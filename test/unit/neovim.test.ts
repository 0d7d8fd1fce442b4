/**
 * The language server in a client no one here wrote: Debian's Neovim (0.7+), headless, with its
 * built-in LSP client started the way a user's config starts it (test/neovim/server.lua). It opens
 * a copy of the demo's worker.py, and this test checks what Neovim saw against the CLI on the same
 * file: the diagnostics, the preferred quick fix applied, diagnostics following the edit, and the
 * fix-all command's result. Without `nvim` the test is skipped, except where
 * ASYNCWISE_REQUIRE_NEOVIM=1 (CI: .ci/run installs it) makes that a failure.
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
const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
const available = nvim.status === 0;
const required = process.env.ASYNCWISE_REQUIRE_NEOVIM === '1';

interface Seen {
  error?: string;
  diagnostics?: { line: number; column: number; code: string; severity: number; href?: string }[];
  actions?: string[];
  fixed_line?: string;
  after_fix?: number;
  fix_all?: { applied: number };
  text?: string;
}

test('Neovim: diagnostics, a quick fix applied, diagnostics following it, fix all', { skip: !available && !required && 'nvim is not installed (apt-get install neovim)' }, () => {
  assert.ok(available, `ASYNCWISE_REQUIRE_NEOVIM=1 but \`nvim --version\` failed: ${nvim.error?.message ?? nvim.stderr}`);
  if (!fs.existsSync(CLI)) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `building dist/cli.js failed: ${build.stderr}`);
  }
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-nvim-'));
  try {
    fs.cpSync(path.join(ROOT, 'demo', 'python'), workspace, { recursive: true });
    const file = path.join(workspace, 'worker.py');
    const original = fs.readFileSync(file, 'utf8');
    const out = path.join(workspace, 'seen.json');
    const run = spawnSync('nvim', ['--headless', '--clean', '-c', `luafile ${path.join(ROOT, 'test', 'neovim', 'server.lua')}`], {
      cwd: workspace,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, ASYNCWISE_CLI: CLI, ASYNCWISE_NVIM_FILE: file, ASYNCWISE_NVIM_OUT: out, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    });
    assert.ok(fs.existsSync(out), `Neovim wrote nothing (status ${run.status}): ${run.stderr}${run.stdout}`);
    const seen = JSON.parse(fs.readFileSync(out, 'utf8')) as Seen;
    assert.equal(seen.error, undefined, `the Neovim script failed: ${seen.error}`);
    assert.equal(run.status, 0);

    // The diagnostics Neovim shows are the CLI's (the demo's pyproject.toml applies in both).
    const cli = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--hints', '--no-cache', file], { cwd: workspace, encoding: 'utf8' });
    const expected = (JSON.parse(cli.stdout) as { line: number; column: number; code: string; severity: string }[]).map((p) => `${p.line}:${p.column} ${p.code} ${({ error: 1, warning: 2, info: 3, hint: 4 } as Record<string, number>)[p.severity]}`);
    assert.deepEqual(seen.diagnostics?.map((d) => `${d.line}:${d.column} ${d.code} ${d.severity}`), expected);
    assert.ok(seen.diagnostics?.every((d) => d.href?.endsWith('.md')), 'every diagnostic links its rule docs');

    // The preferred fix replaced the blocking sleep, and the server followed Neovim's didChange.
    assert.deepEqual(seen.actions?.slice(0, 1), ['Replace with `await asyncio.sleep(…)`']);
    assert.equal(seen.fixed_line, '        await asyncio.sleep(0.2)');
    assert.equal(seen.after_fix, expected.length - 1);

    // Fix all, through workspace/applyEdit: what `check --fix` writes for the same file.
    const fixedByCli = spawnSync(process.execPath, [CLI, 'check', '--fix', '--no-cache', '--stdin-filename', file], { input: original, cwd: workspace, encoding: 'utf8' }).stdout;
    assert.ok((seen.fix_all?.applied ?? 0) > 0);
    assert.equal(seen.text, fixedByCli);
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});
