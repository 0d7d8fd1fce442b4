/**
 * The report formats of `asyncwise check`, end to end on the real bundle: SARIF (golden, and valid
 * against the SARIF 2.1.0 JSON schema shipped in test/fixtures/sarif), GitHub workflow commands
 * (golden), --statistics (golden), --output-file, and the terminal's source line with a caret.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv-draft-04';
import type { Problem } from '../../src/cli/check';
import { fixableSummary, renderGithub, renderSarif, renderStatistics, renderText } from '../../src/cli/report';
import { CATALOG } from '../../src/core/catalog';
import { repoRoot, UPDATE } from './helpers';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');
const GOLDEN = path.join(ROOT, 'test', 'fixtures', 'cli', 'golden');
const SCHEMA = path.join(ROOT, 'test', 'fixtures', 'sarif', 'sarif-2.1.0-rtm.5.json');


/** The rules under test include some that are hints by default (AW101, AW401…): `check --hints` reports them. */
function withHints(args: readonly string[]): readonly string[] {
  return args[0] === 'check' ? ['check', '--hints', ...args.slice(1)] : args;
}

function cli(args: readonly string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, ASYNCWISE_CACHE_DIR: path.join(cwd, '..', 'cache') };
  delete env.NO_COLOR;
  const r = spawnSync(process.execPath, [CLI, ...withHints(args)], { cwd, encoding: 'utf8', env, timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (UPDATE) {
    fs.writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `output differs from ${path.relative(ROOT, file)} (ASYNCWISE_UPDATE=1 regenerates it)`);
}

/** The schema's validator, as a plain predicate (Ajv's type guard would narrow the log to `unknown`). */
function sarifValidator(): ((data: unknown) => boolean) & { errors?: unknown[] | null } {
  // The published rtm.5 schema has a pattern (`language`) that is invalid as a Unicode regular expression.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  const compiled = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
  const validate = (data: unknown): boolean => {
    const ok = compiled(data);
    validate.errors = compiled.errors;
    return ok;
  };
  validate.errors = undefined as unknown[] | null | undefined;
  return validate;
}

let tmp: string;
let project: string;

before(() => {
  if (!fs.existsSync(CLI)) assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT }).status, 0);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-formats-'));
  project = path.join(tmp, 'project');
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'cli', 'project'), project, { recursive: true });
});

after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

describe('check --format sarif', () => {
  it('is SARIF 2.1.0 valid against the schema, with rules, help links and fixes (golden)', () => {
    const r = cli(['check', '--format', 'sarif', '.'], project);
    assert.equal(r.status, 1, r.stderr);
    const log = JSON.parse(r.stdout);
    const validate = sarifValidator();
    assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    const run = log.runs[0];
    assert.equal(run.tool.driver.rules.length, CATALOG.length);
    for (const rule of run.tool.driver.rules) assert.match(rule.helpUri, new RegExp(`/docs/rules/${rule.name}\\.md$`));
    const sleep = run.results.find((x: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }) => x.ruleId === 'AW201' && x.locations[0].physicalLocation.region.startLine === 18);
    assert.deepEqual(sleep.fixes[0].artifactChanges[0].replacements.map((x: { insertedContent: { text: string } }) => x.insertedContent.text), ['await asyncio.sleep(10)']);
    assert.equal(run.tool.driver.rules[sleep.ruleIndex].id, 'AW201');
    golden('check.sarif', r.stdout.replace(/"version": "[^"]+"/g, '"version": "X"').replace(/"semanticVersion": "[^"]+"/, '"semanticVersion": "X"'));
  });

  it('the validator rejects what the schema forbids (the check can fail)', () => {
    const validate = sarifValidator();
    assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), false, 'a driver needs a name');
    assert.equal(validate({ version: '2.0.0', runs: [] }), false, 'only 2.1.0');
    const problem: Problem = { file: 'a b.py', line: 1, column: 1, endLine: 1, endColumn: 2, code: 'AW201', rule: 'blocking-call-in-async', severity: 'hint', message: 'm', fixable: false, sourceLine: 'x' };
    const log = JSON.parse(renderSarif([problem], CATALOG, '1.0.0'));
    assert.ok(validate(log), JSON.stringify(validate.errors));
    assert.equal(log.runs[0].results[0].level, 'note');
    assert.equal(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'a%20b.py');
  });

  it('an empty run is valid too, exit 0', () => {
    const r = cli(['check', '--format', 'sarif', 'service/clean.py'], project);
    assert.equal(r.status, 0, r.stderr);
    const log = JSON.parse(r.stdout);
    assert.deepEqual(log.runs[0].results, []);
    assert.ok(sarifValidator()(log));
  });
});

describe('check --format github', () => {
  it('prints one workflow command per problem (golden)', () => {
    const r = cli(['check', '--format', 'github', '.'], project);
    assert.equal(r.status, 1);
    assert.ok(r.stdout.split('\n').filter(Boolean).every((l) => /^::(warning|error|notice) file=[^,]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=AW\d{3} [a-z-]+::AW\d{3} /.test(l)), r.stdout);
    golden('check.github.txt', r.stdout);
  });

  it('escapes what would end a property or the message', () => {
    const p: Problem = { file: 'a,b:c.py', line: 2, column: 3, endLine: 2, endColumn: 4, code: 'AW101', rule: 'swallowed-cancellation', severity: 'error', message: '100% bad\nreally', fixable: false, sourceLine: '' };
    assert.equal(renderGithub([p]), '::error file=a%2Cb%3Ac.py,line=2,col=3,endLine=2,endColumn=4,title=AW101 swallowed-cancellation::AW101 100%25 bad%0Areally\n');
  });
});

describe('check --statistics and --output-file', () => {
  it('--statistics counts per rule (golden)', () => {
    const r = cli(['check', '--statistics', '.'], project);
    assert.equal(r.status, 1);
    golden('statistics.txt', r.stdout);
  });

  it('--output-file writes the report there and nothing to stdout', () => {
    const out = path.join(tmp, 'reports', 'asyncwise.sarif');
    const r = cli(['check', '--format', 'sarif', '--output-file', out, '.'], project);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(fs.readFileSync(out, 'utf8'), cli(['check', '--format', 'sarif', '.'], project).stdout);
  });

  it('an --output-file that cannot be written is an error, exit 2', () => {
    fs.writeFileSync(path.join(tmp, 'a-file'), '');
    const r = cli(['check', '--output-file', path.join(tmp, 'a-file', 'x.txt'), '.'], project);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /could not write/);
  });
});

describe('text on a terminal', () => {
  const p: Problem = { file: 'a.py', line: 12, column: 5, endLine: 12, endColumn: 18, code: 'AW201', rule: 'blocking-call-in-async', severity: 'warning', message: 'blocks', fixable: true, sourceLine: '    time.sleep(1)  # 🚀', fix: { title: 'Use asyncio.sleep', safety: 'safe', edits: [] } };

  it('shows the source line and a caret under the finding', () => {
    assert.equal(renderText([p], { color: false, context: true }), 'a.py:12:5: AW201 blocks\n   |\n12 |     time.sleep(1)  # 🚀\n   |     ^^^^^^^^^^^^^\n\nFound 1 problem (1 fixable with --fix) in 1 file.\n');
  });

  it('a finding over several lines is underlined to the end of its first line', () => {
    const text = renderText([{ ...p, endLine: 14, column: 20 }], { color: false, context: true });
    assert.match(text, /\n {3}\| {20}\^{3}\n/, 'from column 20 to the end of the 22-character line');
  });

  it('the summary tells the fixes --fix applies from those that need --unsafe-fixes', () => {
    const unsafe: Problem = { ...p, fix: { title: 'Run it in a thread (unsafe)', safety: 'unsafe', edits: [] } };
    const none: Problem = { ...p, fixable: false, fix: undefined };
    const summary = (ps: Problem[]) => renderText(ps, { color: false }).trimEnd().split('\n').at(-1);
    assert.equal(summary([p, p, unsafe, none]), 'Found 4 problems (2 fixable with --fix, 1 more with --unsafe-fixes) in 1 file.');
    assert.equal(summary([unsafe, none]), 'Found 2 problems (1 fixable with --fix --unsafe-fixes) in 1 file.');
    assert.equal(summary([none]), 'Found 1 problem (0 fixable) in 1 file.');
    assert.equal(fixableSummary([p, unsafe]), '1 fixable with --fix, 1 more with --unsafe-fixes');
    // --statistics counts the same way, per rule.
    const other: Problem = { ...unsafe, code: 'AW202', rule: 'blocking-call-via-helper' };
    assert.equal(renderStatistics([p, unsafe, none, other]), '3  AW201  blocking-call-in-async    [1 fixable, 1 more with --unsafe-fixes]\n1  AW202  blocking-call-via-helper  [1 fixable with --unsafe-fixes]\nFound 4 problems.\n');
  });

  it('without a terminal (a pipe) stays one line per problem', () => {
    assert.equal(renderText([p], { color: false }), 'a.py:12:5: AW201 blocks\nFound 1 problem (1 fixable with --fix) in 1 file.\n');
  });
});
