/**
 * End-to-end tests of the `asyncwise` command: each spawns the real bundle `dist/cli.js` (built here
 * when missing) on a copy of `test/fixtures/cli/project`, to which the test adds what git cannot
 * hold (a `.git` folder, a dangling symlink, an unreadable file, binary, non-UTF-8 and oversized
 * files). Outputs are compared exactly with `test/fixtures/cli/golden/*`; `ASYNCWISE_UPDATE=1`
 * rewrites those files (read the diff before committing them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseArgs, settingsFromFlags, UsageError, type CheckCommand } from '../../src/cli/args';
import { cacheDir } from '../../src/cli/cache';
import type { Problem } from '../../src/cli/check';
import { renderText, ruleEntry, wantsColor } from '../../src/cli/report';
import { CATALOG } from '../../src/core/catalog';
import { repoRoot, UPDATE } from './helpers';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'cli', 'project');
const GOLDEN = path.join(ROOT, 'test', 'fixtures', 'cli', 'golden');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}


/** The rules under test include some that are hints by default (AW101, AW401…): `check --hints` reports them. */
function withHints(args: readonly string[]): readonly string[] {
  return args[0] === 'check' ? ['check', '--hints', ...args.slice(1)] : args;
}

function cli(args: readonly string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Run {
  // NO_COLOR unset on purpose: stdout is a pipe, so the output must be plain anyway.
  const env = { ...process.env, ...extraEnv };
  delete env.NO_COLOR;
  const r = spawnSync(process.execPath, [CLI, ...withHints(args)], { cwd, encoding: 'utf8', env });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (UPDATE) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  assert.ok(fs.existsSync(file), `missing golden file ${file}: run with ASYNCWISE_UPDATE=1`);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `output differs from ${path.relative(ROOT, file)} (ASYNCWISE_UPDATE=1 regenerates it)`);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let project: string;

before(() => {
  if (!fs.existsSync(CLI)) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `building dist/cli.js failed: ${build.stderr}`);
  }
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-cli-'));
  fs.cpSync(FIXTURE, project, { recursive: true });
  // What a repository cannot hold, added to the copy. Each would be flagged if it were analysed.
  const blocking = 'import time\n\n\nasync def f():\n    time.sleep(1)\n';
  fs.mkdirSync(path.join(project, '.git', 'hooks'), { recursive: true });
  fs.writeFileSync(path.join(project, '.git', 'hooks', 'pre_commit.py'), blocking);
  // The repository's .gitignore drops every node_modules folder, fixtures included.
  fs.mkdirSync(path.join(project, 'node_modules', 'pyhook'), { recursive: true });
  fs.writeFileSync(path.join(project, 'node_modules', 'pyhook', 'hook.py'), blocking);
  fs.writeFileSync(path.join(project, 'service', 'blob.py'), Buffer.concat([Buffer.from(blocking), Buffer.from([0, 1, 2, 0])]));
  fs.writeFileSync(path.join(project, 'service', 'latin1.py'), Buffer.concat([Buffer.from(blocking), Buffer.from('# caf\xe9\n', 'latin1')]));
  fs.writeFileSync(path.join(project, 'service', 'generated.py'), blocking + `# ${'x'.repeat(78)}\n`.repeat(27_000));
  fs.symlinkSync('does-not-exist.py', path.join(project, 'service', 'broken.py'));
  if (!isRoot) {
    fs.writeFileSync(path.join(project, 'service', 'secret.py'), blocking);
    fs.chmodSync(path.join(project, 'service', 'secret.py'), 0o000);
  }
});

after(() => {
  if (!project) return;
  if (!isRoot && fs.existsSync(path.join(project, 'service', 'secret.py'))) fs.chmodSync(path.join(project, 'service', 'secret.py'), 0o644);
  fs.rmSync(project, { recursive: true, force: true });
});

describe('asyncwise check', () => {
  it('prints one line per problem and a summary, exit 1 (golden)', () => {
    const r = cli(['check', '.'], project);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(!r.stdout.includes('\x1b['), 'no colour when stdout is not a terminal');
    golden('check.txt', r.stdout);
  });

  it('gives the same report on worker threads as on one thread, in the same order', () => {
    const one = cli(['check', '--format', 'json', '.'], project, { ASYNCWISE_WORKERS: '1' });
    const three = cli(['check', '--format', 'json', '.'], project, { ASYNCWISE_WORKERS: '3' });
    assert.equal(three.status, one.status, three.stderr);
    assert.ok(JSON.parse(one.stdout).length > 0);
    assert.equal(three.stdout, one.stdout);
    assert.equal(three.stderr, one.stderr);
  });

  it('prints one JSON array with 1-based positions (golden)', () => {
    const r = cli(['check', '--format', 'json', '.'], project);
    assert.equal(r.status, 1, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.ok(rows.length > 0);
    for (const row of rows) {
      assert.deepEqual(Object.keys(row), ['file', 'line', 'column', 'endLine', 'endColumn', 'code', 'rule', 'severity', 'message', 'fixable']);
    }
    golden('check.json', r.stdout);
  });

  it('counts columns in characters, not UTF-16 units, after an emoji', () => {
    const rows = JSON.parse(cli(['check', '--format', 'json', 'service/poller.py'], project).stdout) as { line: number; column: number; message: string }[];
    const lines = fs.readFileSync(path.join(project, 'service', 'poller.py'), 'utf8').split('\n');
    const lineNo = lines.findIndex((l) => l.includes('🚀')) + 1;
    const expected = [...lines[lineNo - 1].slice(0, lines[lineNo - 1].indexOf('subprocess.run'))].length + 1;
    const row = rows.find((r) => r.line === lineNo);
    assert.ok(row, 'the subprocess.run call after the emoji is reported');
    assert.equal(row.column, expected);
  });

  it('agrees between text and JSON', () => {
    const text = cli(['check', '.'], project).stdout.trimEnd().split('\n');
    const rows = JSON.parse(cli(['check', '--format', 'json', '.'], project).stdout) as { file: string; line: number; column: number; code: string; message: string; fixable: boolean }[];
    assert.deepEqual(text.slice(0, -1), rows.map((r) => `${r.file}:${r.line}:${r.column}: ${r.code} ${r.message}`));
    const files = new Set(rows.map((r) => r.file)).size;
    // SARIF carries each finding's preferred fix (a safe one when there is one) and marks the unsafe.
    const results = (JSON.parse(cli(['check', '--format', 'sarif', '.'], project).stdout) as { runs: { results: { fixes?: { description: { text: string } }[] }[] }[] }).runs[0]!.results;
    assert.equal(results.length, rows.length);
    const safe = results.filter((r) => r.fixes && !r.fixes[0]!.description.text.endsWith(' (unsafe)')).length;
    const unsafe = results.filter((r) => r.fixes?.[0]!.description.text.endsWith(' (unsafe)')).length;
    assert.equal(safe + unsafe, rows.filter((r) => r.fixable).length, 'every fixable finding has a fix in SARIF');
    assert.ok(safe > 0 && unsafe > 0, `the fixture has both kinds (${safe} safe, ${unsafe} unsafe only)`);
    assert.equal(text.at(-1), `Found ${rows.length} problems (${safe} fixable with --fix, ${unsafe} more with --unsafe-fixes) in ${files} files.`);
  });

  it('skips .git, node_modules, __pycache__ and virtual environments, but not a folder merely named env', () => {
    const files = new Set((JSON.parse(cli(['check', '--format', 'json', '.'], project).stdout) as { file: string }[]).map((r) => r.file.split(path.sep).join('/')));
    for (const skipped of ['.git/hooks/pre_commit.py', 'node_modules/pyhook/hook.py', '__pycache__/stale.py', '.venv/lib/python3.11/site-packages/vendored/mod.py', 'service/stubs.pyi']) {
      assert.ok(!files.has(skipped), `${skipped} must not be checked`);
    }
    assert.ok(files.has('env/tool.py'), 'env/ without pyvenv.cfg is project code');
    assert.ok(files.has('service/poller.py'));
  });

  it('reports unreadable, binary, non-UTF-8 and oversized files on stderr and goes on', () => {
    const r = cli(['check', 'service'], project);
    assert.equal(r.status, 1, 'the readable files are still checked');
    const skipped = r.stderr.split('\n').filter(Boolean);
    const expect = (file: string, reason: RegExp) => {
      const line = skipped.find((l) => l.startsWith(`asyncwise: skipped ${path.join('service', file)}: `));
      assert.ok(line, `${file} reported as skipped in:\n${r.stderr}`);
      assert.match(line, reason);
    };
    expect('blob.py', /binary/);
    expect('latin1.py', /UTF-8/);
    expect('generated.py', /larger than 2 MiB/);
    expect('broken.py', /cannot be read/);
    if (!isRoot) expect('secret.py', /permission denied/);
    assert.equal(skipped.length, isRoot ? 4 : 5, r.stderr);
    assert.match(r.stdout, /^service\/poller\.py:16:20: AW201 /m);
  });

  it('drops a UTF-8 BOM and keeps files that really contain U+FFFD', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-cli-bom-'));
    try {
      fs.writeFileSync(path.join(dir, 'bom.py'), '\ufeffimport time\n\n\nasync def f():\n    time.sleep(1)\n');
      fs.writeFileSync(path.join(dir, 'replacement.py'), 'import time\n\n\nasync def f():\n    x = "\ufffd"; time.sleep(1)\n');
      const r = cli(['check', '.'], dir);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout.split('\n').filter((l) => / AW201 /.test(l)).map((l) => l.split(': ')[0]).join(' '), 'bom.py:5:5 replacement.py:5:14');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips minified JavaScript found in a walk, with a note, and checks it when named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-cli-minified-'));
    try {
      const code = 'export const ready = new Promise(async (resolve) => { resolve(await Promise.resolve(1)); });\n';
      fs.writeFileSync(path.join(dir, 'app.js'), code);
      fs.mkdirSync(path.join(dir, 'dist'));
      fs.writeFileSync(path.join(dir, 'dist', 'app.min.js'), `var a="${'x'.repeat(400)}";${code.trim()}`);
      const walked = cli(['check', '.'], dir);
      assert.equal(walked.status, 1, walked.stdout + walked.stderr);
      assert.match(walked.stdout, /^app\.js:1:\d+: AW304 /m);
      assert.doesNotMatch(walked.stdout, /app\.min\.js/);
      assert.match(walked.stderr, new RegExp(`^asyncwise: skipped ${path.join('dist', 'app.min.js').replace(/[.\\]/g, '\\$&')}: minified \\(lines of 501 characters on average\\): name the file to check it$`, 'm'));
      const named = cli(['check', path.join('dist', 'app.min.js')], dir);
      assert.equal(named.status, 1, named.stdout + named.stderr);
      assert.match(named.stdout, /^dist\/app\.min\.js:1:\d+: AW304 /m);
      assert.equal(named.stderr, '');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the first five minified files of a walk and counts the rest on one line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-cli-minified-many-'));
    try {
      fs.mkdirSync(path.join(dir, 'site'));
      for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(dir, 'site', `lib${i}.min.js`), `var a${i}="${'x'.repeat(400)}";\n`);
      fs.writeFileSync(path.join(dir, 'app.js'), 'export async function main() { await Promise.resolve(1); }\n');
      const r = cli(['check', '.'], dir);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 6, r.stderr);
      for (let i = 0; i < 5; i++) assert.match(lines[i], new RegExp(`^asyncwise: skipped site.lib${i}\\.min\\.js: minified `));
      assert.equal(lines[5], 'asyncwise: skipped 3 more files as minified (name a file to check it)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('AW401 leaves the loops of a database migration folder alone, and only there (TS/JS)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-cli-migrations-'));
    try {
      // The checkout's own folder is named like a migrations folder: the path inside the project counts.
      const root = path.join(dir, 'migrations');
      const loop = 'export async function up(db, rows) {\n  for (const row of rows) {\n    await fetch(`https://example.com/${row.id}`);\n  }\n}\n';
      for (const folder of ['src', 'db/knex_migrations', 'migrations', 'db/migrate']) {
        fs.mkdirSync(path.join(root, folder), { recursive: true });
        fs.writeFileSync(path.join(root, folder, 'step.js'), loop);
      }
      fs.writeFileSync(path.join(root, 'package.json'), '{"name":"app"}\n');
      const r = cli(['check', '--select', 'AW401', '--format', 'json', '.'], root);
      const files = (JSON.parse(r.stdout) as { file: string }[]).map((f) => f.file);
      assert.deepEqual(files, ['src/step.js'], r.stdout + r.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks a file named on the command line even inside a skipped folder', () => {
    const r = cli(['check', 'node_modules/pyhook/hook.py'], project);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^node_modules\/pyhook\/hook\.py:5:5: AW201 /m);
  });

  it('exits 0 and says so when nothing is found', () => {
    const r = cli(['check', 'service/clean.py', 'service/__init__.py'], project);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'All checks passed.\n');
    assert.equal(r.stderr, '');
    const json = cli(['check', '--format', 'json', 'service/clean.py'], project);
    assert.equal(json.status, 0);
    assert.equal(json.stdout, '[]\n');
  });

  it('reports the rules that are hints by default only with --hints, or when they are named', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'check', '--format', 'json', ...args, 'service'], { cwd: project, encoding: 'utf8' });
    const codes = (args: string[]) => new Set((JSON.parse(run(args).stdout) as { code: string }[]).map((p) => p.code));
    const hints = new Set(CATALOG.filter((r) => r.severity === 'hint').map((r) => r.code));
    const plain = codes([]);
    const withHints = codes(['--hints']);
    assert.ok([...withHints].some((c) => hints.has(c)), `the fixture project has hint findings: ${[...withHints]}`);
    assert.deepEqual([...plain].filter((c) => hints.has(c)), [], 'no default hint without --hints');
    assert.ok([...plain].every((c) => withHints.has(c)));
    const named = [...withHints].find((c) => hints.has(c))!;
    assert.ok(codes(['--select', `${named},AW201`]).has(named), `${named} named in --select`);
  });

  it('--select runs only the selected rules (golden)', () => {
    const r = cli(['check', '--select', 'AW203', '.'], project);
    assert.equal(r.status, 1);
    golden('select-AW203.txt', r.stdout);
    assert.ok(r.stdout.split('\n').slice(0, -2).every((l) => / AW203 /.test(l)), r.stdout);
  });

  it('--select takes comma lists, prefixes and names; --ignore removes codes', () => {
    const codes = (args: string[]) => new Set((JSON.parse(cli(['check', '--format', 'json', ...args, 'service', 'env'], project).stdout) as { code: string }[]).map((r) => r.code));
    assert.deepEqual(codes(['--select', 'AW201,AW203']), new Set(['AW201', 'AW203']));
    assert.deepEqual(codes(['--select', 'AW2']), new Set(['AW201', 'AW203']));
    assert.deepEqual(codes(['--select', 'cheap-blocking-io']), new Set(['AW203']));
    assert.deepEqual(codes(['--select', 'AW2', '--ignore', 'AW201']), new Set(['AW203']));
    const none = cli(['check', '--ignore', 'AW2', 'service', 'env'], project);
    assert.equal(none.status, 0, none.stdout);
    assert.equal(none.stdout, 'All checks passed.\n');
  });

  it('--target-version reaches the rules', (t) => {
    const swallowed = CATALOG.find((r) => r.code === 'AW101');
    if (!swallowed) {
      t.skip('needs AW101 swallowed-cancellation, whose detection depends on the target version');
      return;
    }
    // `except Exception` catches CancelledError only before Python 3.8.
    const at = (version: string) => (JSON.parse(cli(['check', '--format', 'json', '--target-version', version, 'legacy/py37.py'], project).stdout) as { code: string; line: number }[]).filter((r) => r.code === 'AW101');
    assert.deepEqual(at('3.7').map((r) => r.line), [10]);
    assert.deepEqual(at('3.8'), []);
  });

  it('reports the demo service\'s blocking calls (AW201, AW203) where the source has them', () => {
    const r = cli(['check', '--format', 'json', 'demo/'], ROOT);
    assert.equal(r.status, 1, r.stderr);
    const rows = JSON.parse(r.stdout) as { file: string; line: number; column: number; code: string }[];
    const demoFile = path.join('demo', 'python', 'worker.py');
    const lines = fs.readFileSync(path.join(ROOT, demoFile), 'utf8').split('\n');
    // Every blocking call in the demo sits in an `async def`; find them in the text.
    const expected: string[] = [];
    lines.forEach((line, i) => {
      for (const [pattern, code] of [[/\btime\.sleep\(/, 'AW201'], [/\brequests\.get\(/, 'AW201'], [/(?<![.\w])open\(/, 'AW201'], [/\bos\.path\.exists\(/, 'AW203']] as const) {
        const m = pattern.exec(line);
        if (m && !line.trimStart().startsWith('#')) expected.push(`${demoFile}:${i + 1}:${m.index + 1}:${code}`);
      }
    });
    assert.ok(expected.length >= 4, 'the demo has blocking calls to find');
    const actual = rows.filter((x) => x.file === demoFile && (x.code === 'AW201' || x.code === 'AW203')).map((x) => `${x.file}:${x.line}:${x.column}:${x.code}`);
    assert.deepEqual(actual, expected);
  });
});

describe('asyncwise usage errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown flag', ['check', '--fix-everything', '.'], /unknown option --fix-everything/],
    ['no path', ['check'], /missing PATH/],
    ['a path that does not exist', ['check', 'no/such/dir'], /no such file or directory: no\/such\/dir/],
    ['a bad target version', ['check', '--target-version', '2.7', '.'], /bad --target-version "2\.7"/],
    ['a malformed target version', ['check', '--target-version', 'latest', '.'], /bad --target-version "latest"/],
    ['an unknown rule', ['check', '--select', 'AW999', '.'], /--select: unknown rule "AW999"/],
    ['a flag without its value', ['check', '.', '--select'], /--select needs a value/],
    ['an unknown format', ['check', '--format', 'xml', '.'], /unknown format "xml"/],
    ['an unknown command', ['lint', '.'], /unknown command "lint"/],
    ['no command', [], /missing command/],
    ['arguments to rules', ['rules', 'extra'], /takes no arguments/],
  ];
  for (const [what, args, message] of cases) {
    it(`exits 2 on ${what}, with one line naming it and a hint`, () => {
      const r = cli(args, project);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0], message);
      assert.match(lines[1], /^Run `asyncwise (check |rules )?--help` for usage\.$/);
    });
  }
});

describe('asyncwise help, version and rules', () => {
  it('--help describes both commands; each command has its own', () => {
    const overview = cli(['--help'], project);
    assert.equal(overview.status, 0);
    assert.match(overview.stdout, /asyncwise check \[options\] PATH/);
    assert.match(overview.stdout, /asyncwise rules/);
    const check = cli(['check', '--help'], project);
    assert.equal(check.status, 0);
    for (const flag of ['--format', '--select', '--ignore', '--target-version']) assert.ok(check.stdout.includes(flag), flag);
    const rules = cli(['rules', '-h'], project);
    assert.equal(rules.status, 0);
    assert.match(rules.stdout, /^Usage: asyncwise rules/);
  });

  it('check --help names what a directory walk checks (Python and TS/JS) and where the cache really is', () => {
    const help = cli(['check', '--help'], project).stdout;
    assert.doesNotMatch(help, /searched for \*\.py files/, 'not Python alone');
    for (const ext of ['*.py', '*.ts', '*.tsx', '*.js', '*.mjs', '*.cjs', '*.d.ts']) assert.ok(help.includes(ext), ext);
    // Both places cacheDir chooses, and the variable that moves it.
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-cachedir-'));
    try {
      const without = path.relative(base, cacheDir(base, {}));
      fs.mkdirSync(path.join(base, 'node_modules'));
      const withNodeModules = path.relative(base, cacheDir(base, {}));
      assert.equal(withNodeModules, path.join('node_modules', '.cache', 'asyncwise'));
      for (const dir of [withNodeModules, without]) assert.ok(help.includes(`./${dir.split(path.sep).join('/')}`), dir);
      assert.ok(help.includes('ASYNCWISE_CACHE_DIR'));
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it('rules shows a rule that is off by default as off, with its severity when enabled', () => {
    const text = cli(['rules'], project).stdout;
    const off = CATALOG.filter((r) => r.enabledByDefault === false);
    assert.ok(off.some((r) => r.code === 'AW403'), 'AW403 is off by default');
    for (const rule of off) assert.match(text, new RegExp(`^${rule.code}\\s+${rule.name}\\s+off \\(${rule.severity} when enabled\\)\\s`, 'm'), rule.code);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = cli(['--version'], project);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `asyncwise ${pkg.version}\n`);
  });

  it('rules --format json is the catalog', () => {
    const r = cli(['rules', '--format', 'json'], project);
    assert.equal(r.status, 0);
    const expected = CATALOG.map((rule) => ({
      code: rule.code,
      name: rule.name,
      languages: [...rule.languages],
      severity: rule.severity,
      ...(rule.severityIn ? { severityIn: { ...rule.severityIn } } : {}),
      enabledByDefault: rule.enabledByDefault !== false,
      aliases: [...rule.aliases],
      fixable: rule.fixable,
    }));
    assert.deepEqual(JSON.parse(r.stdout), expected);
    assert.deepEqual(CATALOG.map(ruleEntry), expected);
  });

  it('rules lists every code and name as text', () => {
    const r = cli(['rules'], project);
    assert.equal(r.status, 0);
    for (const rule of CATALOG) assert.match(r.stdout, new RegExp(`^${rule.code}\\s+${rule.name}\\s`, 'm'));
  });
});

/** A `check` command with every flag at its default. */
const NO_FLAGS = { kind: 'check', format: 'text', select: [], ignore: [], targetVersion: undefined, timeBudget: undefined, exclude: [], fix: false, unsafeFixes: false, diff: false, noCache: false, statistics: false, hints: false, outputFile: undefined, stdinFilename: undefined } as const;

describe('CLI flags to settings', () => {
  const check = (partial: Partial<CheckCommand>): CheckCommand => ({ ...NO_FLAGS, paths: ['.'], ...partial });

  it('accepts --flag=value and repeated flags', () => {
    const c = parseArgs(['check', '--format=json', '--select', 'AW201', '--select=AW203', 'a', '--', '--odd-name.py']);
    assert.deepEqual(c, { ...NO_FLAGS, format: 'json', select: ['AW201', 'AW203'], paths: ['a', '--odd-name.py'] });
  });

  it('passes the target version and rule lists through parseSettings', () => {
    const s = settingsFromFlags(check({ targetVersion: '3.7', select: ['AW2'], ignore: ['AW203'] }), CATALOG);
    assert.deepEqual(s.python.targetVersion, [3, 7]);
    assert.ok(s.select?.has('AW201') && s.select.has('AW203'));
    assert.ok(s.ignore.has('AW203'));
    assert.deepEqual(settingsFromFlags(check({}), CATALOG).python.targetVersion, [3, 9], 'default target comes from settings');
  });

  it('takes --time-budget in seconds (0: no limit) and rejects anything else', () => {
    assert.equal(settingsFromFlags(check({ timeBudget: '0.5' }), CATALOG).timeBudget, 0.5);
    assert.equal(settingsFromFlags(check({ timeBudget: '0' }), CATALOG).timeBudget, 0);
    assert.equal(settingsFromFlags(check({}), CATALOG).timeBudget, 5, 'the default');
    for (const bad of ['soon', '-1', '1e999', '']) assert.throws(() => settingsFromFlags(check({ timeBudget: bad }), CATALOG), UsageError, bad);
  });

  it('rejects versions that are not 3.X', () => {
    for (const bad of ['3', 'py311', '>=3.8', '4.0', '3.x']) {
      assert.throws(() => settingsFromFlags(check({ targetVersion: bad }), CATALOG), UsageError, bad);
    }
  });
});

describe('text colour', () => {
  it('is used only on a terminal without NO_COLOR', () => {
    assert.equal(wantsColor({ isTTY: true }, {}), true);
    assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(wantsColor({ isTTY: false }, {}), false);
    assert.equal(wantsColor({}, {}), false);
  });

  it('changes nothing but the escapes', () => {
    const problem: Problem = { file: 'a.py', line: 3, column: 5, endLine: 3, endColumn: 18, code: 'AW201', rule: 'blocking-call-in-async', severity: 'warning', message: 'blocks', fixable: true, sourceLine: '    time.sleep(1)', fix: { title: 'Use asyncio.sleep', safety: 'safe', edits: [] } };
    const coloured = renderText([problem], { color: true });
    assert.ok(coloured.includes('\x1b['));
    assert.equal(coloured.replace(/\x1b\[[0-9;]*m/g, ''), renderText([problem], { color: false }));
    assert.equal(renderText([problem], { color: false }), 'a.py:3:5: AW201 blocks\nFound 1 problem (1 fixable with --fix) in 1 file.\n');
  });
});
