/**
 * Project configuration: the TOML subset reader, `[tool.asyncwise]` and package.json's `asyncwise`,
 * precedence (defaults < requires-python < config file < flags), per-file ignores, exclude globs,
 * .gitignore, and errors that name the file, the key and what was expected; in the library and
 * through the real CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectFiles } from '../../src/cli/walk';
import { CATALOG } from '../../src/core/catalog';
import { ConfigError, ConfigResolver, matchesPath, readConfigFile } from '../../src/core/config';
import { Glob } from '../../src/core/glob';
import { readTomlTable } from '../../src/core/pyproject';
import { effectiveSeverity } from '../../src/core/settings';
import { repoRoot } from './helpers';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'config');
const rule = (code: string) => CATALOG.find((r) => r.code === code)!;

let tmp: string;
let project: string;
let jsproject: string;

function cli(args: readonly string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

/** A folder holding one pyproject.toml with `text`, and a file in it. */
function withPyproject(name: string, text: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), text);
  fs.writeFileSync(path.join(dir, 'm.py'), 'import time\n\n\nasync def f():\n    time.sleep(1)\n');
  return dir;
}

before(() => {
  if (!fs.existsSync(CLI)) assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT }).status, 0);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-config-'));
  fs.cpSync(FIXTURES, tmp, { recursive: true });
  project = path.join(tmp, 'project');
  jsproject = path.join(tmp, 'jsproject');
  // What git would not keep in the fixture: a .gitignore and the files it ignores.
  fs.writeFileSync(path.join(project, '.gitignore'), 'ignored_dir/\n*.local.py\n!keep.local.py\n');
  fs.mkdirSync(path.join(project, 'ignored_dir'), { recursive: true });
  const blocking = fs.readFileSync(path.join(project, 'src', 'app', 'main.py'));
  for (const f of ['ignored_dir/x.py', 'src/app/dev.local.py', 'src/app/keep.local.py']) fs.writeFileSync(path.join(project, f), blocking);
});

after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

describe('TOML reader', () => {
  it('reads a tool table, its sub-tables, multi-line arrays, comments and inline tables', () => {
    const t = readTomlTable(
      [
        '[project]',
        'name = "x"',
        '[tool.asyncwise]',
        'select = [  # the groups',
        '  "AW1",',
        "  'AW2',  # literal string",
        ']',
        'unsafe-fixes = true',
        'per-file-ignores = { "tests/**" = ["AW201"], "a b.py" = "AW101" }',
        '[tool.asyncwise.rules]',
        'AW201 = "error" # loud',
        '"sleep-polling" = "off"',
        '[tool.ruff]',
        'select = ["E"]',
      ].join('\r\n'),
      'tool.asyncwise',
    );
    // Tables are configuration data without a prototype; compared here as plain objects.
    assert.equal(Object.getPrototypeOf(t!.values), null);
    assert.deepEqual(JSON.parse(JSON.stringify(t)), {
      values: { select: ['AW1', 'AW2'], 'unsafe-fixes': true, 'per-file-ignores': { 'tests/**': ['AW201'], 'a b.py': 'AW101' }, rules: { AW201: 'error', 'sleep-polling': 'off' } },
      errors: [],
    });
  });

  it("skips other tools' multi-line values, whose lines may start with [ (mitmproxy's tox commands)", () => {
    const text = [
      '[tool.tox.env_run_base]',
      'commands = [',
      '    ["mitmdump", "--version"],',
      '    ["pytest",',
      '        "-vv"],',
      ']',
      'description = """',
      '[not a header]',
      '"""',
      '[tool.asyncwise]',
      'select = ["AW2"]',
    ].join('\n');
    assert.deepEqual(JSON.parse(JSON.stringify(readTomlTable(text, 'tool.asyncwise'))), { values: { select: ['AW2'] }, errors: [] });
    assert.equal(readTomlTable(text.split('\n').slice(0, 9).join('\n'), 'tool.asyncwise'), undefined);
  });

  it('is undefined without the table, and reports values it cannot read with their line', () => {
    assert.equal(readTomlTable('[tool.ruff]\nx = 1\n', 'tool.asyncwise'), undefined);
    const t = readTomlTable('[tool.asyncwise]\nselect = AW1\nignore = ["AW2"\n', 'tool.asyncwise');
    assert.equal(t?.errors.length, 2);
    assert.match(t!.errors[0], /^select \(line 2\): .*strings need quotes/);
    assert.match(t!.errors[1], /^ignore \(line 3\): /);
  });
});

describe('TOML reader: malformed and hostile input', () => {
  it('reports a header without its ], a key or a table defined twice, with the line', () => {
    assert.deepEqual(readTomlTable('[tool.asyncwise\nselect = ["AW1"]\n', 'tool.asyncwise')?.errors, ['line 1: expected a table header such as [tool.asyncwise], got "[tool.asyncwise"']);
    assert.deepEqual(readTomlTable('[tool.asyncwise]\nselect = ["AW1"]\nselect = ["AW2"]\n', 'tool.asyncwise')?.errors, ['select (line 3): defined twice (first on line 2)']);
    assert.deepEqual(readTomlTable('[tool.asyncwise]\nselect = ["AW1"]\n[tool.asyncwise]\nignore = ["AW2"]\n', 'tool.asyncwise')?.errors, ['line 3: the table [tool.asyncwise] is defined twice (first on line 1)']);
    assert.deepEqual(readTomlTable('[tool.asyncwise]\nper-file-ignores = { a = "AW1", a = "AW2" }\n', 'tool.asyncwise')?.errors, ['per-file-ignores (line 2): a is defined twice in an inline table']);
    assert.match(readTomlTable(`[tool.asyncwise]\nselect = ${'['.repeat(100_000)}\n`, 'tool.asyncwise')!.errors[0], /^select \(line 2\): nested more than 64 levels deep/);
  });

  it('reads a 40,000-line array in linear time', () => {
    const text = `[tool.asyncwise]\nexclude = [\n${'  "build/**",  # generated\n'.repeat(40_000)}]\nper-file-ignores = { ${Array.from({ length: 20_000 }, (_, i) => `k${i} = "AW1"`).join(', ')} }\n`;
    const started = performance.now();
    const t = readTomlTable(text, 'tool.asyncwise');
    const elapsed = performance.now() - started;
    assert.deepEqual(t?.errors, []);
    assert.equal((t!.values.exclude as string[]).length, 40_000);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
  });

  it('__proto__, constructor and prototype are ordinary keys: rejected as unknown, never a prototype', () => {
    const cases: [string, string, string][] = [
      ['pyproject.toml', '[tool.asyncwise.__proto__]\nenable = false\n', 'tool.asyncwise.__proto__: unknown key'],
      ['pyproject.toml', '[tool.asyncwise]\n__proto__ = { select = ["AW4"] }\n', 'tool.asyncwise.__proto__: unknown key'],
      ['pyproject.toml', '[tool.asyncwise]\n"__proto__" = { select = ["AW4"] }\n', 'tool.asyncwise.__proto__: unknown key'],
      ['pyproject.toml', '[tool.asyncwise]\nconstructor.prototype.enable = false\n', 'tool.asyncwise.constructor: unknown key'],
      ['pyproject.toml', '[tool.asyncwise.rules]\n__proto__ = "off"\n', 'tool.asyncwise.rules: unknown rule "__proto__"'],
      ['pyproject.toml', '[tool.asyncwise]\nper-file-ignores = { __proto__ = { select = ["AW4"] } }\n', 'tool.asyncwise.per-file-ignores."__proto__": expected a list of rule codes'],
      ['package.json', '{"asyncwise": {"__proto__": {"select": ["AW4"], "enable": false}}}', 'asyncwise.__proto__: unknown key'],
      ['package.json', '{"asyncwise": {"rules": {"__proto__": {"AW201": "off"}}}}', 'asyncwise.rules: unknown rule "__proto__"'],
    ];
    cases.forEach(([name, text, message], i) => {
      const dir = path.join(tmp, `proto-${i}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, name), text);
      assert.throws(
        () => new ConfigResolver(CATALOG).forFile(path.join(dir, 'm.py')),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${path.join(dir, name)}: ${message}`),
        text,
      );
    });
    assert.equal(({} as Record<string, unknown>).enable, undefined, 'Object.prototype is untouched');
    assert.equal(({} as Record<string, unknown>).select, undefined, 'Object.prototype is untouched');
    // The values read stay data: a __proto__ key is an own key of a prototype-less table.
    const t = readTomlTable('[tool.asyncwise]\n__proto__ = { select = ["AW4"] }\n', 'tool.asyncwise')!;
    assert.deepEqual(Object.keys(t.values), ['__proto__']);
    assert.equal((t.values as Record<string, unknown>).select, undefined);
    const json = readConfigFile(path.join(tmp, 'proto-6', 'package.json'))!;
    assert.deepEqual(Object.keys({ ...json.values }), ['__proto__']);
    assert.equal(({ ...json.values } as Record<string, unknown>).select, undefined);
  });

  it('malformed files are errors naming the file and the line; a BOM is not', () => {
    const header = withPyproject('malformed-header', '[tool.asyncwise\nselect = ["AW1"]\n');
    assert.throws(() => new ConfigResolver(CATALOG).forFile(path.join(header, 'm.py')), (e: unknown) => e instanceof ConfigError && e.message === `${path.join(header, 'pyproject.toml')}: line 1: expected a table header such as [tool.asyncwise], got "[tool.asyncwise"`);
    const dup = withPyproject('duplicate-key', '[tool.asyncwise]\nselect = ["AW1"]\nselect = ["AW2"]\n');
    assert.throws(() => new ConfigResolver(CATALOG).forFile(path.join(dup, 'm.py')), (e: unknown) => e instanceof ConfigError && e.message === `${path.join(dup, 'pyproject.toml')}: tool.asyncwise.select (line 3): defined twice (first on line 2)`);
    const dir = path.join(tmp, 'json-bom');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), '\uFEFF{"asyncwise": {"ignore": ["AW201"]}}');
    assert.equal(effectiveSeverity(new ConfigResolver(CATALOG).forFile(path.join(dir, 'm.py')).settings, rule('AW201'), 'python'), 'off');
    fs.writeFileSync(path.join(dir, 'package.json'), `{"asyncwise": {"select": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`);
    assert.throws(() => new ConfigResolver(CATALOG).forFile(path.join(dir, 'm.py')), (e: unknown) => e instanceof ConfigError && /package\.json: asyncwise\.select(\[0\])+: nested more than 64 levels deep$/.test(e.message));
  });
});

describe('config files', () => {
  it('[tool.asyncwise] sets severities, ignores, target and per-file ignores', () => {
    const configs = new ConfigResolver(CATALOG);
    const main = configs.forFile(path.join(project, 'src', 'app', 'main.py'));
    assert.equal(main.configFile, path.join(project, 'pyproject.toml'));
    assert.equal(effectiveSeverity(main.settings, rule('AW201'), 'python'), 'error');
    assert.equal(effectiveSeverity(main.settings, rule('AW203'), 'python'), 'off');
    assert.deepEqual(main.settings.python.targetVersion, [3, 10], 'target-version beats requires-python');
    const test = configs.forFile(path.join(project, 'tests', 'test_main.py'));
    assert.equal(effectiveSeverity(test.settings, rule('AW201'), 'python'), 'off', 'per-file ignore');
    assert.equal(effectiveSeverity(test.settings, rule('AW102'), 'python'), 'warning');
  });

  it('an asyncwise key in package.json works the same', () => {
    const configs = new ConfigResolver(CATALOG);
    const worker = configs.forFile(path.join(jsproject, 'lib', 'worker.py')).settings;
    assert.equal(effectiveSeverity(worker, rule('AW201'), 'python'), 'info');
    assert.equal(effectiveSeverity(worker, rule('AW101'), 'python'), 'off', 'select AW2 only');
    assert.equal(effectiveSeverity(configs.forFile(path.join(jsproject, 'lib', 'legacy.py')).settings, rule('AW201'), 'python'), 'off');
  });

  it('precedence: defaults < requires-python < config file < flags', () => {
    const dir = withPyproject('precedence', '[project]\nrequires-python = ">=3.7"\n');
    const file = path.join(dir, 'm.py');
    assert.deepEqual(new ConfigResolver(CATALOG).forFile(path.join(tmp, 'elsewhere.py')).settings.python.targetVersion, [3, 9], 'default');
    assert.deepEqual(new ConfigResolver(CATALOG).forFile(file).settings.python.targetVersion, [3, 8], 'requires-python (a floor below 3.8 is read as 3.8)');
    fs.appendFileSync(path.join(dir, 'pyproject.toml'), '[tool.asyncwise]\ntarget-version = "3.8"\nselect = ["AW1"]\n');
    const fromFile = new ConfigResolver(CATALOG).forFile(file).settings;
    assert.deepEqual(fromFile.python.targetVersion, [3, 8], 'config file');
    assert.equal(effectiveSeverity(fromFile, rule('AW303'), 'python'), 'off');
    const flags = new ConfigResolver(CATALOG, { overrides: { python: { targetVersion: '3.11' }, select: 'AW303' } }).forFile(file).settings;
    assert.deepEqual(flags.python.targetVersion, [3, 11], 'flag');
    assert.equal(effectiveSeverity(flags, rule('AW303'), 'python'), 'error', 'the flag select replaces the file select');
  });

  it('the nearest config applies; pyproject.toml without [tool.asyncwise] does not stop the search', () => {
    const outer = withPyproject('nested', '[tool.asyncwise]\nignore = ["AW201"]\n');
    const inner = path.join(outer, 'sub');
    fs.mkdirSync(inner);
    fs.writeFileSync(path.join(inner, 'pyproject.toml'), '[project]\nname = "sub"\n');
    const s = new ConfigResolver(CATALOG).forFile(path.join(inner, 'x.py'));
    assert.equal(s.configFile, path.join(outer, 'pyproject.toml'));
    assert.equal(effectiveSeverity(s.settings, rule('AW201'), 'python'), 'off');
  });

  const errors: [string, string, RegExp][] = [
    ['an unknown key', '[tool.asyncwise]\nselct = ["AW1"]\n', /pyproject\.toml: tool\.asyncwise\.selct: unknown key; expected one of select, ignore/],
    ['an unknown rule', '[tool.asyncwise]\nignore = ["AW999"]\n', /pyproject\.toml: tool\.asyncwise\.ignore: unknown rule "AW999"$/],
    ['a bad severity', '[tool.asyncwise.rules]\nAW201 = "loud"\n', /pyproject\.toml: tool\.asyncwise\.rules\.AW201: expected one of off, hint, info, warning, error, got "loud"$/],
    ['a bad version', '[tool.asyncwise]\ntarget-version = "2.7"\n', /pyproject\.toml: tool\.asyncwise\.target-version: expected a version such as "3\.9", got "2\.7"$/],
    ['a bad boolean', '[tool.asyncwise]\nunsafe-fixes = "yes"\n', /pyproject\.toml: tool\.asyncwise\.unsafe-fixes: expected true or false, got "yes"$/],
    ['a bad per-file-ignores', '[tool.asyncwise]\nper-file-ignores = ["tests"]\n', /pyproject\.toml: tool\.asyncwise\.per-file-ignores: expected a table of path glob → rule codes/],
    ['a bad exclude', '[tool.asyncwise]\nexclude = [1]\n', /pyproject\.toml: tool\.asyncwise\.exclude: expected a list of path globs/],
    ['unreadable TOML', '[tool.asyncwise]\nselect = AW1\n', /pyproject\.toml: tool\.asyncwise\.select \(line 2\): expected a string/],
  ];
  for (const [what, text, message] of errors) {
    it(`${what} is a ConfigError naming the file, the key and what was expected`, () => {
      const dir = withPyproject(`error-${what.replace(/\W+/g, '-')}`, text);
      assert.throws(() => new ConfigResolver(CATALOG).forFile(path.join(dir, 'm.py')), (e: unknown) => e instanceof ConfigError && message.test(e.message) && e.message.startsWith(path.join(dir, 'pyproject.toml')));
    });
  }

  it('package.json errors name the file and the key too; a package.json without the key is not read', () => {
    const dir = path.join(tmp, 'badjson');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"asyncwise": {"rules": {"AW201": 3}}}');
    assert.throws(() => new ConfigResolver(CATALOG).forFile(path.join(dir, 'm.py')), /package\.json: asyncwise\.rules\.AW201: expected one of off/);
    fs.writeFileSync(path.join(dir, 'package.json'), '{ broken json, but not ours');
    assert.equal(readConfigFile(path.join(dir, 'package.json')), undefined);
  });
});

describe('globs', () => {
  it('anchored with a slash, any depth without', () => {
    assert.ok(matchesPath('build', 'build/out.py'));
    assert.ok(matchesPath('build', 'src/build/out.py'));
    assert.ok(matchesPath('build/', 'build/out.py'));
    assert.ok(matchesPath('*_pb2.py', 'generated/api_pb2.py'));
    assert.ok(matchesPath('generated/*_pb2.py', 'generated/api_pb2.py'));
    assert.ok(!matchesPath('generated/*_pb2.py', 'x/generated/api_pb2.py'));
    assert.ok(matchesPath('**/generated/*.py', 'x/generated/api.py'));
    assert.ok(matchesPath('tests/**', 'tests/unit/test_a.py'));
    assert.ok(!matchesPath('tests/**', 'src/tests/test_a.py'));
    assert.ok(matchesPath('{docs,examples}/*.py', 'examples/a.py'));
    assert.ok(matchesPath('test_?.py', 'test_a.py'));
    assert.ok(!matchesPath('*.py', '../outside.py'));
    assert.ok(matchesPath('{src,lib/{a,b}}/**/*.py', 'lib/b/x/y.py'), 'nested braces');
    assert.ok(matchesPath('[!x]?.py', 'ab.py'));
    assert.ok(!matchesPath('a?c', 'a/c'), '? stays within a segment');
    assert.ok(matchesPath('src/**', 'src'.concat('/x')));
  });

  it('a .gitignore line is read as git reads it: no braces, \\ escapes, a malformed class matches nothing', () => {
    assert.ok(Glob.compile('{', 'gitignore').matches('{'));
    assert.ok(Glob.compile('{a,b}', 'gitignore').matches('{a,b}'));
    assert.ok(!Glob.compile('{a,b}', 'gitignore').matches('a'));
    assert.ok(Glob.compile('\\*x', 'gitignore').matches('*x'));
    assert.ok(!Glob.compile('\\*x', 'gitignore').matches('ax'));
    assert.ok(!Glob.compile('[z-a]', 'gitignore').matches('m'));
    assert.ok(!Glob.compile('a[bc', 'gitignore').matches('a[bc'));
  });

  it('a malformed glob in the config is a ConfigError naming the file, the key and the glob', () => {
    const cases: [string, RegExp][] = [
      ['exclude = ["[z-a]"]', /tool\.asyncwise\.exclude: invalid glob "\[z-a\]": the range z-a is reversed$/],
      ['exclude = ["{a,b"]', /tool\.asyncwise\.exclude: invalid glob "\{a,b": the \{ at 1 is not closed$/],
      ['exclude = ["a[b"]', /tool\.asyncwise\.exclude: invalid glob "a\[b": the \[ at 2 is not closed$/],
      ['per-file-ignores = { "{x" = ["AW201"] }', /tool\.asyncwise\.per-file-ignores: invalid glob "\{x": the \{ at 1 is not closed$/],
    ];
    cases.forEach(([line, message], i) => {
      const dir = withPyproject(`bad-glob-${i}`, `[tool.asyncwise]\n${line}\n`);
      assert.throws(() => new ConfigResolver(CATALOG).forFile(path.join(dir, 'm.py')), (e: unknown) => e instanceof ConfigError && e.message.startsWith(path.join(dir, 'pyproject.toml')) && message.test(e.message));
    });
  });

  it('the CLI reports a malformed glob as a configuration or usage error (exit 2), and a .gitignore line "{" is no error', () => {
    const dir = withPyproject('bad-glob-cli', '[tool.asyncwise]\nexclude = ["[z-a]"]\n');
    const r = cli(['check', '--no-cache', '.'], dir);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `asyncwise: configuration error: ${path.join(dir, 'pyproject.toml')}: tool.asyncwise.exclude: invalid glob "[z-a]": the range z-a is reversed\n`);
    const flag = cli(['check', '--no-cache', '--exclude', '{a,b', '.'], dir);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /^asyncwise: --exclude: invalid glob "\{a,b": the \{ at 1 is not closed\n/);
    const repo = withPyproject('gitignore-brace', '[project]\nname = "x"\n');
    fs.mkdirSync(path.join(repo, '.git'));
    fs.writeFileSync(path.join(repo, '.gitignore'), '{\n[z-a]\n\\{x}.py\n');
    fs.writeFileSync(path.join(repo, '{x}.py'), 'x = 1\n');
    const ok = cli(['check', '--hints', '--no-cache', '--format', 'json', '.'], repo);
    assert.equal(ok.stderr, '');
    assert.deepEqual((JSON.parse(ok.stdout) as { file: string }[]).map((p) => p.file), ['m.py']);
  });

  it('matching takes linear time: globs that make a backtracking matcher run for minutes finish at once', () => {
    const deep = `${'d/'.repeat(20)}module.py`;
    const letters = 'a'.repeat(40);
    const started = performance.now();
    assert.ok(!matchesPath(`${'**/'.repeat(50)}*.pyx`, deep));
    assert.ok(!matchesPath(`${'*a'.repeat(12)}*b`, letters));
    assert.ok(!matchesPath(`${'*a'.repeat(200)}*b`, 'a'.repeat(5000)));
    assert.ok(!Glob.compile(`${'**/'.repeat(50)}*.pyx`, 'gitignore').matches(deep));
    assert.ok(matchesPath(`${'**/'.repeat(50)}*.py`, deep));
    // Whole configured runs: a per-file-ignores key and a .gitignore line over a deep tree.
    const dir = withPyproject('backtracking', `[tool.asyncwise]\nper-file-ignores = { "${'**/'.repeat(50)}*.pyx" = ["AW201"] }\nexclude = ["${'*a'.repeat(12)}*b"]\n`);
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, '.gitignore'), `${'**/'.repeat(50)}*.pyx\n`);
    const nested = path.join(dir, ...'abcdefghijklmnopqrst'.split(''));
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(path.join(nested, `${letters}.py`), 'x = 1\n');
    const configs = new ConfigResolver(CATALOG);
    const found = collectFiles([dir], dir, { gitignore: true, excluded: (p) => configs.forFile(p).excluded }).files;
    for (const f of found) configs.forFile(f);
    assert.equal(found.length, 2);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
  });
});

describe('walking with config and .gitignore', () => {
  it('skips excluded paths and what .gitignore ignores, re-including negated ones', () => {
    const configs = new ConfigResolver(CATALOG);
    const found = collectFiles([project], project, { gitignore: true, excluded: (p) => configs.forFile(p).excluded }).files.map((f) => path.relative(project, f).split(path.sep).join('/'));
    assert.deepEqual(found, ['generated/keep.py', 'src/app/keep.local.py', 'src/app/main.py', 'tests/test_main.py']);
    // Without the options (the project index's view) everything is there.
    assert.equal(collectFiles([project], project).files.length, 8);
  });

  it('the CLI applies it all: exclude, per-file ignores, severities (and a file named explicitly is checked)', () => {
    const r = cli(['check', '--no-cache', '--format', 'json', '.'], project);
    assert.equal(r.status, 1, r.stderr);
    const rows = JSON.parse(r.stdout) as { file: string; code: string; severity: string }[];
    assert.deepEqual(rows.map((x) => `${x.file.split(path.sep).join('/')} ${x.code} ${x.severity}`), ['generated/keep.py AW201 error', 'src/app/keep.local.py AW201 error', 'src/app/main.py AW201 error']);
    const explicit = cli(['check', '--no-cache', 'build/out.py'], project);
    assert.match(explicit.stdout, /^build\/out\.py:7:5: AW201 /m);
  });

  it('flags win over the file: --select, --ignore, --exclude', () => {
    const r = cli(['check', '--no-cache', '--select', 'AW203', '--exclude', 'src', '.'], project);
    assert.equal(r.stdout.trimEnd().split('\n').slice(0, -1).map((l) => l.split(':')[0]).join(' '), 'generated/keep.py tests/test_main.py');
  });

  it('a config error stops the CLI with exit 2 and the message', () => {
    const dir = withPyproject('cli-error', '[tool.asyncwise]\nselect = ["AW9"]\n');
    const r = cli(['check', '.'], dir);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `asyncwise: configuration error: ${path.join(dir, 'pyproject.toml')}: tool.asyncwise.select: unknown rule "AW9"\n`);
  });
});
