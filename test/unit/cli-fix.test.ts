/**
 * `check --fix`, `--unsafe-fixes`, `--diff` and `--stdin-filename`, end to end on the real bundle:
 * the fixed text is exactly the golden one, a second run changes nothing (idempotent), the result
 * parses, CRLF line endings and a BOM survive, `--diff` writes nothing and prints what `--fix` writes,
 * and the exit codes say whether problems remain.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { unifiedDiff } from '../../src/cli/diff';
import { PythonParser } from '../../src/python/parser';
import { loadParser, repoRoot, UPDATE } from './helpers';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'cli', 'fix');
const GOLDEN = path.join(ROOT, 'test', 'fixtures', 'cli', 'golden');


/** The rules under test include some that are hints by default (AW101, AW401…): `check --hints` reports them. */
function withHints(args: readonly string[]): readonly string[] {
  return args[0] === 'check' ? ['check', '--hints', ...args.slice(1)] : args;
}

function cli(args: readonly string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...withHints(args)], { cwd, encoding: 'utf8', input, timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (UPDATE) {
    fs.writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `differs from ${path.relative(ROOT, file)} (ASYNCWISE_UPDATE=1 regenerates it)`);
}

let tmp: string;
let parser: PythonParser;
const original = () => fs.readFileSync(path.join(FIXTURE, 'service.py'), 'utf8');

/** A fresh copy of the fix fixture, with `service.py` replaced by `text` when given. */
function workdir(name: string, text?: string | Buffer): string {
  const dir = path.join(tmp, name);
  fs.cpSync(FIXTURE, dir, { recursive: true });
  if (text !== undefined) fs.writeFileSync(path.join(dir, 'service.py'), text);
  return dir;
}

function parsesCleanly(text: string): boolean {
  const tree = parser.parse(text);
  try {
    return !tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
}

before(async () => {
  if (!fs.existsSync(CLI)) assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT }).status, 0);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-fix-'));
  parser = await loadParser();
});

after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

describe('check --fix', () => {
  it('applies the safe fixes exactly (golden), reports what remains, exit 1', () => {
    const dir = workdir('safe');
    const r = cli(['check', '--fix', '--no-cache', '.'], dir);
    assert.equal(r.status, 1, r.stderr);
    const fixed = fs.readFileSync(path.join(dir, 'service.py'), 'utf8');
    golden('fix-safe.py', fixed);
    assert.ok(parsesCleanly(fixed));
    assert.match(r.stderr, /^Fixed 3 problems in 1 file\.$/m);
    // What remains is the unsafe one: the blocking HTTP call.
    assert.deepEqual(r.stdout.trimEnd().split('\n').slice(0, -1).map((l) => l.split(' ')[1]), ['AW201']);
    assert.match(r.stdout, /requests\.get/);
  });

  it('is idempotent: a second --fix changes nothing', () => {
    const dir = workdir('again');
    cli(['check', '--fix', '--no-cache', '.'], dir);
    const once = fs.readFileSync(path.join(dir, 'service.py'), 'utf8');
    const r = cli(['check', '--fix', '--no-cache', '.'], dir);
    assert.equal(fs.readFileSync(path.join(dir, 'service.py'), 'utf8'), once);
    assert.match(r.stderr, /^Fixed 0 problems in 0 files\.$/m);
  });

  it('--unsafe-fixes applies the rest too (golden), exit 0 when nothing remains', () => {
    const dir = workdir('unsafe');
    const r = cli(['check', '--fix', '--unsafe-fixes', '--no-cache', '.'], dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const fixed = fs.readFileSync(path.join(dir, 'service.py'), 'utf8');
    golden('fix-unsafe.py', fixed);
    assert.ok(parsesCleanly(fixed));
    assert.equal(r.stdout, 'All checks passed.\n');
  });

  it('keeps CRLF line endings and a BOM', () => {
    const crlf = original().replace(/\n/g, '\r\n');
    const dir = workdir('crlf', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(crlf)]));
    cli(['check', '--fix', '--no-cache', '.'], dir);
    const bytes = fs.readFileSync(path.join(dir, 'service.py'));
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'BOM kept');
    const text = bytes.subarray(3).toString('utf8');
    assert.ok(!/(^|[^\r])\n/.test(text), 'every line ends in CRLF');
    assert.equal(text, fs.readFileSync(path.join(GOLDEN, 'fix-safe.py'), 'utf8').replace(/\n/g, '\r\n'));
  });

  it('keeps the file mode and writes through a symbolic link', () => {
    const dir = workdir('mode');
    fs.chmodSync(path.join(dir, 'service.py'), 0o640);
    fs.symlinkSync('service.py', path.join(dir, 'link.py'));
    cli(['check', '--fix', '--no-cache', 'link.py'], dir);
    assert.ok(fs.lstatSync(path.join(dir, 'link.py')).isSymbolicLink(), 'the link is still a link');
    assert.equal(fs.statSync(path.join(dir, 'service.py')).mode & 0o777, 0o640);
    assert.equal(fs.readFileSync(path.join(dir, 'service.py'), 'utf8'), fs.readFileSync(path.join(GOLDEN, 'fix-safe.py'), 'utf8'));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  });

  it('leaves a file with a syntax error as it is unless a fix keeps it parsing no worse', () => {
    const broken = `${original()}\ndef broken(:\n    pass\n`;
    const dir = workdir('broken', broken);
    cli(['check', '--fix', '--no-cache', '.'], dir);
    const after = fs.readFileSync(path.join(dir, 'service.py'), 'utf8');
    // Whatever was applied, the file has no more syntax errors than before.
    const count = (text: string) => {
      const tree = parser.parse(text);
      try {
        return parser.query('(ERROR) @e (MISSING) @m').captures(tree.rootNode).length;
      } finally {
        tree.delete();
      }
    };
    assert.ok(count(after) <= count(broken));
  });
});

describe('check --diff', () => {
  it('prints what --fix would write (golden), writes nothing, exit 1', () => {
    const dir = workdir('diff');
    const r = cli(['check', '--diff', '--no-cache', '.'], dir);
    assert.equal(r.status, 1);
    assert.equal(fs.readFileSync(path.join(dir, 'service.py'), 'utf8'), original(), 'unchanged');
    golden('fix.diff', r.stdout);
    assert.match(r.stderr, /^Would fix 3 problems in 1 file; 1 problem would remain\.$/m);
  });

  it('the diff applies with patch to give the --fix result', (t) => {
    if (spawnSync('patch', ['--version']).status !== 0) return t.skip('no patch(1) on this machine');
    const dir = workdir('patch');
    const diff = cli(['check', '--diff', '--no-cache', '.'], dir).stdout;
    const p = spawnSync('patch', ['-p1', '--quiet'], { cwd: dir, input: diff, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr + p.stdout);
    assert.equal(fs.readFileSync(path.join(dir, 'service.py'), 'utf8'), fs.readFileSync(path.join(GOLDEN, 'fix-safe.py'), 'utf8'));
  });

  it('is empty, exit 0, on a clean file', () => {
    const dir = workdir('clean', 'import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n');
    const r = cli(['check', '--diff', '--no-cache', '.'], dir);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '');
  });

  it('--fix with --diff, or --unsafe-fixes alone, is a usage error', () => {
    const dir = workdir('usage');
    assert.equal(cli(['check', '--fix', '--diff', '.'], dir).status, 2);
    assert.equal(cli(['check', '--unsafe-fixes', '.'], dir).status, 2);
  });
});

describe('check --stdin-filename', () => {
  it('checks stdin as that file, exit 1', () => {
    const dir = workdir('stdin');
    const r = cli(['check', '--stdin-filename', 'pkg/mod.py'], dir, original());
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^pkg\/mod\.py:10:9: AW201 /m);
  });

  it('with --fix prints exactly the fixed source, and the report on stderr', () => {
    const dir = workdir('stdin-fix');
    const r = cli(['check', '--fix', '--stdin-filename', 'service.py'], dir, original());
    assert.equal(r.stdout, fs.readFileSync(path.join(GOLDEN, 'fix-safe.py'), 'utf8'));
    assert.match(r.stderr, /service\.py:\d+:\d+: AW201 /);
    assert.equal(fs.readFileSync(path.join(dir, 'service.py'), 'utf8'), original(), 'the file on disk is not touched');
  });

  it('applies the config of the folder the name is in', () => {
    const dir = workdir('stdin-config');
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.asyncwise]\nignore = ["AW201", "AW101"]\n');
    const r = cli(['check', '--stdin-filename', 'service.py'], dir, original());
    assert.equal(r.status, 0, r.stdout);
  });
});

describe('unified diff', () => {
  it('numbers hunks as diff -u does, with separate hunks for distant changes', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const b = a.replace('line 2\n', 'line 2\nnew\n').replace('line 18\n', '');
    assert.equal(unifiedDiff('f.py', a, b), '--- a/f.py\n+++ b/f.py\n@@ -1,5 +1,6 @@\n line 1\n line 2\n+new\n line 3\n line 4\n line 5\n@@ -15,6 +16,5 @@\n line 15\n line 16\n line 17\n-line 18\n line 19\n line 20\n');
    assert.equal(unifiedDiff('f.py', a, a), '');
  });

  it('marks a last line without a newline', () => {
    assert.equal(unifiedDiff('f.py', 'a\nb', 'a\nc'), '--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n');
  });
});
