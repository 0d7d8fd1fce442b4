/**
 * Filesystem and cache faults through the real CLI: FIFOs, unusable or corrupt caches, a file named
 * on the command line that cannot be read, a report that cannot be written, non-UTF-8 file names.
 * Each is a file's failure (reported with its path, the run goes on), never a hang or a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from './helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const BLOCKING = 'import time\n\n\nasync def f():\n    time.sleep(1)\n';
const CLEAN = 'x = 1\n';

let tmp: string;

before(() => {
  if (!fs.existsSync(CLI)) assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: repoRoot() }).status, 0);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-faults-'));
});

after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

function cli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  // A hang is the failure under test: a bounded run, and a timeout is reported as such.
  // The samples' AW201 is a hint by default: --hints reports it.
  const r = spawnSync(process.execPath, [CLI, ...(args[0] === 'check' ? ['check', '--hints', ...args.slice(1)] : args)], { cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ASYNCWISE_CACHE_DIR: '', ...env } });
  assert.equal(r.error, undefined, `asyncwise ${args.join(' ')} did not finish: ${r.error}`);
  return r;
}

function mkfifo(file: string): boolean {
  const r = spawnSync('mkfifo', [file]);
  return !r.error && r.status === 0;
}

describe('only regular files are opened', () => {
  it('a .py symlink to a FIFO in a checked folder, and a FIFO named on the command line, are skipped, not waited for', (t) => {
    const dir = folder('fifo', { 'ok.py': BLOCKING });
    if (!mkfifo(path.join(dir, 'pipe'))) return t.skip('mkfifo is not available');
    fs.symlinkSync('pipe', path.join(dir, 'linked.py'));
    const walked = cli(['check', '.'], dir);
    assert.equal(walked.status, 1, walked.stderr);
    assert.match(walked.stdout, /^ok\.py:5:5: AW201 /m);
    assert.equal(walked.stderr, 'asyncwise: skipped linked.py: not a regular file (a FIFO, socket or device)\n');
    // Named explicitly, not checking it is an error of the run.
    const named = cli(['check', '--no-cache', 'pipe'], dir);
    assert.equal(named.status, 2);
    assert.equal(named.stdout, '');
    assert.match(named.stderr, /^asyncwise: skipped pipe: not a regular file/);
  });

  it('a pyproject.toml that is a FIFO is a configuration error, not a hang', (t) => {
    const dir = folder('fifo-config', { 'm.py': BLOCKING });
    if (!mkfifo(path.join(dir, 'pyproject.toml'))) return t.skip('mkfifo is not available');
    const r = cli(['check', '--no-cache', '.'], dir);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `asyncwise: configuration error: ${path.join(dir, 'pyproject.toml')}: cannot be read (not a regular file)\n`);
  });
});

describe('a file named on the command line that cannot be checked', () => {
  it('is an error (exit 2), the other files are still checked, and no "All checks passed." is printed', () => {
    const dir = folder('named', { 'clean.py': CLEAN, 'blob.py': 'x = 1\0\n' });
    fs.symlinkSync('missing.py', path.join(dir, 'dangling.py'));
    for (const bad of ['blob.py', 'dangling.py']) {
      const r = cli(['check', '--no-cache', 'clean.py', bad], dir);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^asyncwise: skipped ${bad.replace('.', '\\.')}: `));
      assert.match(r.stderr, /no problems found, but 1 error above left the check incomplete\.\n$/);
    }
    // Found in a walk, an unreadable file stays a note: the folder's other files decide.
    const walked = cli(['check', '--no-cache', '.'], dir);
    assert.equal(walked.status, 0, walked.stderr);
    assert.equal(walked.stdout, 'All checks passed.\n');
  });
});

describe('a report that cannot be written', () => {
  it('stdout to /dev/full: one stderr line, exit 2', (t) => {
    if (!fs.existsSync('/dev/full')) return t.skip('no /dev/full');
    const dir = folder('devfull', { 'm.py': BLOCKING });
    const out = fs.openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [CLI, 'check', '--hints', '--no-cache', '.'], { cwd: dir, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', out, 'pipe'] });
      assert.equal(r.status, 2);
      assert.equal(r.stderr, 'asyncwise: could not write the report: ENOSPC\n');
    } finally {
      fs.closeSync(out);
    }
  });
});

describe('cache faults', () => {
  it('a cache folder that is a file: one note, the report as without a cache', () => {
    const dir = folder('cache-file', { 'm.py': BLOCKING });
    fs.mkdirSync(path.join(dir, '.cache'));
    fs.writeFileSync(path.join(dir, '.cache', 'asyncwise'), 'not a folder');
    const r = cli(['check', '.'], dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^m\.py:5:5: AW201 /m);
    assert.equal(r.stderr, `asyncwise: not using a cache: ${path.join(dir, '.cache', 'asyncwise')} is not a folder\n`);
    const parentIsFile = cli(['check', '.'], dir, { ASYNCWISE_CACHE_DIR: path.join(dir, 'm.py', 'cache') });
    assert.equal(parentIsFile.status, 1, parentIsFile.stderr);
    assert.equal(parentIsFile.stderr, `asyncwise: not using a cache: ${path.join(dir, 'm.py')} is not a folder\n`);
  });

  it('a cache of the wrong shape is a miss, entry by entry, and is repaired by the next run', () => {
    const dir = folder('cache-shape', { 'm.py': BLOCKING });
    const cacheDir = path.join(dir, 'cache');
    const env = { ASYNCWISE_CACHE_DIR: cacheDir, ASYNCWISE_CACHE_STATS: '1' };
    const first = cli(['check', '.'], dir, env);
    assert.equal(first.status, 1, first.stderr);
    const file = path.join(cacheDir, 'results-v1.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { format: number; entries: Record<string, unknown> };
    const key = Object.keys(stored.entries)[0];
    const corruptions: unknown[] = [
      { format: 1, entries: { [key]: { map: 1 } } },
      { format: 1, entries: { [key]: [null] } },
      { format: 1, entries: { [key]: [{ line: 'x' }] } },
      { format: 1, entries: [] },
      { format: 1, entries: null },
      [1, 2],
      null,
    ];
    for (const corrupt of corruptions) {
      fs.writeFileSync(file, JSON.stringify(corrupt));
      const r = cli(['check', '.'], dir, env);
      assert.equal(r.status, 1, `${JSON.stringify(corrupt)}: ${r.stderr}`);
      assert.equal(r.stdout, first.stdout, JSON.stringify(corrupt));
      assert.equal(r.stderr, 'asyncwise: cache: 0 hits, 1 misses\n', JSON.stringify(corrupt));
      const again = cli(['check', '.'], dir, env);
      assert.equal(again.stderr, 'asyncwise: cache: 1 hits, 0 misses\n', `repaired after ${JSON.stringify(corrupt)}`);
    }
  });
});

describe('--fix keeps what it does not own', () => {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

  it('a file with several hard links is fixed in place: every name sees the fix', () => {
    const dir = folder('fix-hardlink', { 'm.py': BLOCKING });
    fs.linkSync(path.join(dir, 'm.py'), path.join(dir, 'other-name.txt'));
    const r = cli(['check', '--fix', 'm.py'], dir);
    assert.equal(r.status, 0, r.stderr);
    const fixed = fs.readFileSync(path.join(dir, 'm.py'), 'utf8');
    assert.match(fixed, /await asyncio\.sleep\(1\)/);
    assert.equal(fs.readFileSync(path.join(dir, 'other-name.txt'), 'utf8'), fixed);
    assert.equal(fs.statSync(path.join(dir, 'm.py')).ino, fs.statSync(path.join(dir, 'other-name.txt')).ino);
  });

  it('a read-only file is not rewritten: reported as not fixed, exit 2', () => {
    const dir = folder('fix-readonly', { 'm.py': BLOCKING });
    fs.chmodSync(path.join(dir, 'm.py'), 0o444);
    const r = cli(['check', '--fix', 'm.py'], dir);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /^m\.py:5:5: AW201 /m);
    assert.match(r.stderr, /^asyncwise: m\.py: could not write the fixes: the file is read-only$/m);
    assert.equal(fs.readFileSync(path.join(dir, 'm.py'), 'utf8'), BLOCKING);
    assert.equal(fs.statSync(path.join(dir, 'm.py')).mode & 0o777, 0o444);
  });

  it('run as root, a fixed file keeps its owner and group', (t) => {
    if (!isRoot) return t.skip('needs root to give a file away');
    const dir = folder('fix-owner', { 'm.py': BLOCKING });
    fs.chownSync(path.join(dir, 'm.py'), 4321, 4322);
    const r = cli(['check', '--fix', 'm.py'], dir);
    assert.equal(r.status, 0, r.stderr);
    const stat = fs.statSync(path.join(dir, 'm.py'));
    assert.deepEqual([stat.uid, stat.gid], [4321, 4322]);
    assert.match(fs.readFileSync(path.join(dir, 'm.py'), 'utf8'), /await asyncio\.sleep\(1\)/);
  });
});

describe('file names that are not UTF-8', () => {
  it('are found and checked, folders too, and --fix writes them by their exact bytes (issue 12, item 12)', (t) => {
    const dir = folder('names', { 'ok.py': BLOCKING });
    const bytes = (name: string) => Buffer.concat([Buffer.from(dir), Buffer.from('/'), Buffer.from(name, 'latin1')]);
    try {
      fs.writeFileSync(bytes('caf\xe9.py'), BLOCKING);
      fs.mkdirSync(bytes('d\xe9j\xe0'));
      fs.writeFileSync(bytes('d\xe9j\xe0/inner.py'), BLOCKING);
    } catch {
      return t.skip('this file system refuses names that are not UTF-8');
    }
    fs.writeFileSync(path.join(dir, '\ufeffbom.py'), BLOCKING);
    const r = cli(['check', '--no-cache', '.'], dir);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, '');
    // Shown with U+FFFD for each byte that is not UTF-8, as other tools print them.
    assert.deepEqual(r.stdout.split('\n').filter((l) => / AW201 /.test(l)).map((l) => l.split(':')[0]), ['caf\ufffd.py', `d\ufffdj\ufffd${path.sep}inner.py`, 'ok.py', '\ufeffbom.py']);
    const fixed = cli(['check', '--no-cache', '--fix', '.'], dir);
    assert.equal(fixed.status, 0, fixed.stderr);
    assert.match(fixed.stderr, /Fixed 4 problems in 4 files\./);
    for (const file of [bytes('caf\xe9.py'), bytes('d\xe9j\xe0/inner.py')]) assert.match(fs.readFileSync(file, 'utf8'), /await asyncio\.sleep\(1\)/);
    // Nothing was created under a mangled name (U+FFFD for the bytes).
    const names = fs.readdirSync(dir, { encoding: 'buffer' }).map((n) => n.toString('latin1')).sort();
    assert.deepEqual(names, ['caf\xe9.py', 'd\xe9j\xe0', 'ok.py', Buffer.from('\ufeffbom.py').toString('latin1')].sort());
  });
});
