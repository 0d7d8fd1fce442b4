/**
 * `asyncwise check` on TS/JS files, end to end: the real bundle `dist/cli.js` on a temporary project
 * with a tsconfig.json (type-aware: a floating promise of an imported async function is found) and
 * the same files without one (syntax-only: it is not, the rest is). `.d.ts` files are not checked.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from './helpers';

const ROOT = repoRoot();
const CLI = path.join(ROOT, 'dist', 'cli.js');

const FILES: Record<string, string> = {
  'src/helpers.ts': 'export async function save(value: string): Promise<void> {\n  await fetch(value);\n}\n',
  'src/main.ts': [
    "import * as fs from 'node:fs';",
    "import { save } from './helpers';",
    '',
    'export async function run(path: string): Promise<void> {',
    "  const text = fs.readFileSync(path, 'utf8');",
    '  save(text);',
    '}',
    '',
  ].join('\n'),
  'src/legacy.cjs': "const { execSync } = require('child_process');\nasync function build() {\n  execSync('make');\n}\nmodule.exports = { build };\n",
  'src/types.d.ts': "declare function f(): Promise<void>;\nexport async function g() { f(); }\n",
  'src/ok.mjs': "export async function ok(p) {\n  await fetch(p);\n}\n",
};

interface JsonProblem {
  file: string;
  line: number;
  column: number;
  code: string;
  fixable: boolean;
}

function check(dir: string): { status: number | null; problems: JsonProblem[]; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'check', '--hints', '--format', 'json', '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ASYNCWISE_WORKERS: '1' }, timeout: 120_000 });
  if (r.error) throw r.error;
  const parsed = JSON.parse(r.stdout) as JsonProblem[] | { problems: JsonProblem[] };
  const problems = Array.isArray(parsed) ? parsed : parsed.problems;
  return { status: r.status, problems, stderr: r.stderr };
}

const brief = (ps: JsonProblem[]) => ps.map((p) => `${p.file.split(path.sep).join('/')}:${p.line}:${p.column} ${p.code}${p.fixable ? ' fixable' : ''}`).sort();

describe('asyncwise check on TS/JS files', () => {
  let typed: string;
  let alone: string;
  before(() => {
    if (!fs.existsSync(CLI)) {
      const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(build.status, 0, build.stderr);
    }
    typed = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-ts-typed-'));
    alone = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-ts-alone-'));
    for (const dir of [typed, alone]) {
      for (const [name, text] of Object.entries(FILES)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
      }
    }
    fs.writeFileSync(
      path.join(typed, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, allowJs: true, types: [] }, include: ['src'] }, null, 2),
    );
  });
  after(() => {
    for (const dir of [typed, alone]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses the program of the nearest tsconfig.json (type-aware)', () => {
    const r = check(typed);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(brief(r.problems), ['src/legacy.cjs:3:3 AW201', 'src/main.ts:5:16 AW201 fixable', 'src/main.ts:6:3 AW301 fixable']);
  });

  it('is syntax-only without a tsconfig.json, reading relative imports by path (save() is async in ./helpers)', () => {
    const r = check(alone);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(brief(r.problems), ['src/legacy.cjs:3:3 AW201', 'src/main.ts:5:16 AW201 fixable', 'src/main.ts:6:3 AW301 fixable']);
  });
});

describe('asyncwise check --fix / --diff / --stdin-filename on TS/JS files', () => {
  const MAIN = FILES['src/main.ts'];
  // The safe fix (AW201 readFileSync → the promise API); AW301's await/void fixes are unsafe.
  const FIXED = MAIN.replace("fs.readFileSync(path, 'utf8')", "await fs.promises.readFile(path, 'utf8')");
  const UNSAFE = FIXED.replace('  save(text);', '  await save(text);');
  let dir: string;
  const run = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [CLI, 'check', '--hints', ...args], { cwd: dir, encoding: 'utf8', input, env: { ...process.env, ASYNCWISE_WORKERS: '1' }, timeout: 120_000 });
    if (r.error) throw r.error;
    return r;
  };
  const reset = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/main.ts'), MAIN);
    fs.writeFileSync(path.join(dir, 'src/helpers.ts'), FILES['src/helpers.ts']);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, include: ['src'] }));
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-ts-fix-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--fix applies the safe fixes exactly, is idempotent, and leaves what remains', () => {
    reset();
    const r = run(['--fix', '--format', 'json', 'src']);
    assert.equal(fs.readFileSync(path.join(dir, 'src/main.ts'), 'utf8'), FIXED);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as JsonProblem[]).map((p) => p.code), ['AW301'], 'the floating promise is still reported');
    const again = run(['--fix', '--format', 'json', 'src']);
    assert.equal(fs.readFileSync(path.join(dir, 'src/main.ts'), 'utf8'), FIXED, 'a second --fix changes nothing');
    assert.equal(again.status, 1);
  });

  it('--unsafe-fixes also applies the unsafe ones; CRLF line endings are kept', () => {
    reset();
    fs.writeFileSync(path.join(dir, 'src/main.ts'), MAIN.replace(/\n/g, '\r\n'));
    const r = run(['--fix', '--unsafe-fixes', 'src']);
    assert.equal(fs.readFileSync(path.join(dir, 'src/main.ts'), 'utf8'), UNSAFE.replace(/\n/g, '\r\n'));
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('--diff shows the fix and writes nothing', () => {
    reset();
    const r = run(['--diff', 'src/main.ts']);
    assert.equal(fs.readFileSync(path.join(dir, 'src/main.ts'), 'utf8'), MAIN);
    assert.match(r.stdout, /^-  const text = fs\.readFileSync\(path, 'utf8'\);$/m);
    assert.match(r.stdout, /^\+  const text = await fs\.promises\.readFile\(path, 'utf8'\);$/m);
  });

  it('--stdin-filename with a .ts name analyses TS and, with --fix, prints the fixed source', () => {
    reset();
    const r = run(['--stdin-filename', 'src/main.ts', '--fix'], MAIN);
    assert.equal(r.stdout, FIXED);
    const plain = run(['--stdin-filename', 'src/unsaved.ts', '--format', 'json'], MAIN);
    assert.deepEqual((JSON.parse(plain.stdout) as JsonProblem[]).map((p) => p.code), ['AW201', 'AW301'], 'an unsaved buffer is in no program: syntax-only, its relative imports read by path');
  });
});
