/**
 * A large generated tree (three projects, ~240 files, ~36,000 lines from the benchmark's seeded
 * generator) through the real CLI: worker threads give the same report as one thread, the results
 * cache answers an unchanged tree without analysing and gives the same report, and it stays
 * correct when a file that another file's cross-file finding (AW202) depends on changes, or when the
 * settings change.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateAsyncModule } from '../../bench/generate';
import { repoRoot } from './helpers';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');
const PROJECTS = ['alpha', 'beta', 'gamma'];
const FILES_PER_PROJECT = 80;

let tmp: string;
let tree: string;
let cacheDir: string;

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  // The generated tree's AW202 chains are hints by default: --hints reports them.
  const r = spawnSync(process.execPath, [CLI, ...(args[0] === 'check' ? ['check', '--hints', ...args.slice(1)] : args)], {
    cwd: tree,
    encoding: 'utf8',
    env: { ...process.env, ASYNCWISE_CACHE_DIR: cacheDir, ASYNCWISE_CACHE_STATS: '1', ...env },
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return r;
}

function stats(stderr: string): { hits: number; misses: number } {
  const m = /cache: (\d+) hits, (\d+) misses/.exec(stderr);
  assert.ok(m, `no cache statistics in ${stderr}`);
  return { hits: Number(m[1]), misses: Number(m[2]) };
}

const total = PROJECTS.length * FILES_PER_PROJECT + 3;

before(() => {
  if (!fs.existsSync(CLI)) assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT }).status, 0);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-scale-'));
  tree = path.join(tmp, 'tree');
  cacheDir = path.join(tmp, 'cache');
  let seed = 1;
  for (const name of PROJECTS) {
    const pkg = path.join(tree, name, name);
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(tree, name, 'pyproject.toml'), `[project]\nname = "${name}"\n`);
    fs.writeFileSync(path.join(pkg, '__init__.py'), '');
    for (let i = 1; i < FILES_PER_PROJECT; i++) fs.writeFileSync(path.join(pkg, `mod${String(i).padStart(3, '0')}.py`), generateAsyncModule(100 + (seed % 7) * 40, seed++));
  }
  // A cross-file pair: main.py's AW202 comes from util.py.
  const pkg = path.join(tree, 'alpha', 'alpha');
  fs.writeFileSync(path.join(pkg, 'util.py'), 'import time\n\n\ndef fetch():\n    time.sleep(1)\n');
  fs.writeFileSync(path.join(pkg, 'main.py'), 'from alpha.util import fetch\n\n\nasync def main():\n    fetch()\n');
  fs.writeFileSync(path.join(pkg, 'other.py'), 'x = 1\n');
});

after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

describe('a large tree', () => {
  let first: ReturnType<typeof cli>;

  it('workers and one thread give the same report', () => {
    first = cli(['check', '--format', 'json', '.'], { ASYNCWISE_WORKERS: '2' });
    assert.equal(first.status, 1, first.stderr);
    assert.deepEqual(stats(first.stderr), { hits: 0, misses: total });
    const problems = JSON.parse(first.stdout) as { file: string; code: string }[];
    assert.ok(problems.length > 1000, `only ${problems.length} problems`);
    assert.ok(problems.some((p) => p.code === 'AW202' && p.file.endsWith('main.py')));
    const single = cli(['check', '--no-cache', '--format', 'json', '.'], { ASYNCWISE_WORKERS: '1' });
    assert.equal(single.stdout, first.stdout);
    assert.doesNotMatch(single.stderr, /cache:/, '--no-cache touches no cache');
  });

  it('the cache answers an unchanged tree, with the same report', () => {
    const again = cli(['check', '--format', 'json', '.'], { ASYNCWISE_WORKERS: '2' });
    assert.deepEqual(stats(again.stderr), { hits: total, misses: 0 });
    assert.equal(again.stdout, first.stdout);
    assert.equal(again.status, 1);
  });

  it('a change in a project re-checks that project only, and the cross-file finding follows it', () => {
    fs.writeFileSync(path.join(tree, 'alpha', 'alpha', 'util.py'), 'import time\n\n\ndef fetch():\n    return time.time()\n');
    const r = cli(['check', '--format', 'json', '.']);
    assert.deepEqual(stats(r.stderr), { hits: 2 * FILES_PER_PROJECT, misses: FILES_PER_PROJECT + 3 });
    const problems = JSON.parse(r.stdout) as { file: string; code: string }[];
    assert.ok(!problems.some((p) => p.code === 'AW202' && p.file.endsWith('main.py')), 'main.py is unchanged but its AW202 is gone');
    const fresh = cli(['check', '--no-cache', '--format', 'json', '.']);
    assert.equal(r.stdout, fresh.stdout, 'the cached run equals an uncached one');
  });

  it('other settings miss the cache', () => {
    const r = cli(['check', '--select', 'AW201', '--format', 'json', '.']);
    assert.deepEqual(stats(r.stderr), { hits: 0, misses: total });
    assert.ok((JSON.parse(r.stdout) as { code: string }[]).every((p) => p.code === 'AW201'));
  });

  it('on a terminal: a progress line for a run over a second, colour, the source line and a caret', (t) => {
    // script(1) runs the CLI on a pseudo-terminal, as a user's shell would.
    if (spawnSync('script', ['--version']).status !== 0) return t.skip('no script(1) on this machine');
    const env: NodeJS.ProcessEnv = { ...process.env, ASYNCWISE_WORKERS: '1', TERM: 'xterm' };
    delete env.CI;
    delete env.NO_COLOR;
    // The whole tree on one thread: several seconds, so the progress line must show.
    const command = [process.execPath, CLI, 'check', '--no-cache', '--select', 'AW201', '.'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: tree, env, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 1, r.stdout.slice(-2000));
    assert.match(r.stdout, /\r\x1b\[Kasyncwise: checked \d+\/\d+ files/, 'a progress line');
    assert.match(r.stdout, /\x1b\[[0-9;]*m/, 'colour');
    const plain = r.stdout.replace(/\x1b\[[0-9;]*[mK]/g, '').replace(/\r\n/g, '\n');
    assert.match(plain, /\n[a-z]+\/[a-z]+\/\S+\.py:(\d+):(\d+): AW201 .*\n +\|\n\1 \| .*\n +\| +\^+\n/, 'the source line with a caret');
    const piped = cli(['check', '--no-cache', '--select', 'AW201', '.'], { ASYNCWISE_WORKERS: '1' });
    assert.doesNotMatch(piped.stdout + piped.stderr, /\x1b|checked \d+\//, 'nothing of it through a pipe');
  });

  it('a corrupt cache is ignored with a note, and rewritten', () => {
    const file = fs.readdirSync(cacheDir).find((f) => f.endsWith('.json'))!;
    fs.writeFileSync(path.join(cacheDir, file), '{ not json');
    const r = cli(['check', '--format', 'json', '.']);
    assert.match(r.stderr, /ignoring the unreadable cache/);
    assert.equal(r.status, 1);
    assert.deepEqual(stats(cli(['check', '--format', 'json', '.']).stderr), { hits: total, misses: 0 });
  });
});
