/**
 * How the CLI builds a TS/JS project's program (src/cli/typescript.ts, pool.ts), end to end on the
 * real bundle: files are checked syntax-first and the program is built when a rule first asks for
 * types, taking the trees already parsed; a tsconfig's files stay on one thread; `typescript` is
 * loaded through V8's code cache (src/cli/compileCache.ts). Each must leave the findings as they are.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from './helpers';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

/** 60 files no rule asks types about (one syntax finding among them), then one that needs the checker. */
function writeProject(dir: string): void {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'es2022', module: 'commonjs', strict: true }, include: ['src'] }));
  for (let i = 0; i < 60; i++) {
    const body = i === 7 ? 'export const p = new Promise(async (resolve) => {\n  resolve(1);\n});\n' : `export function f${i}(x: number): number {\n  return x + ${i};\n}\n`;
    fs.writeFileSync(path.join(dir, 'src', `a${String(i).padStart(2, '0')}.ts`), body);
  }
  fs.writeFileSync(path.join(dir, 'src', 'helpers.ts'), 'export async function save(value: string): Promise<void> {\n  await fetch(value);\n}\n');
  // Last in walk order: its dropped promise is known only through the checker (an imported function).
  fs.writeFileSync(path.join(dir, 'src', 'zz-main.ts'), "import { save } from './helpers';\n\nexport function run(text: string): void {\n  save(text);\n}\n");
}

function check(dir: string, env: NodeJS.ProcessEnv): string[] {
  const r = spawnSync(process.execPath, [CLI, 'check', '--no-cache', '--hints', '--format', 'json', '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  if (r.error) throw r.error;
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return (JSON.parse(r.stdout) as { file: string; line: number; code: string }[]).map((p) => `${p.file.split(path.sep).join('/')}:${p.line} ${p.code}`).sort();
}

describe('asyncwise check: a TS project program', () => {
  let dir: string;
  let tmp: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-program-'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-tmpdir-'));
    writeProject(dir);
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const expected = ['src/a07.ts:1 AW304', 'src/zz-main.ts:4 AW301'];

  it('checks syntax-first and still finds what needs types in a file checked after 61 that did not', () => {
    assert.deepEqual(check(dir, { ASYNCWISE_WORKERS: '1', ASYNCWISE_COMPILE_CACHE: '0' }), expected);
  });

  it('gives the same findings with workers asked for (the project stays on one thread)', () => {
    assert.deepEqual(check(dir, { ASYNCWISE_WORKERS: '2', ASYNCWISE_COMPILE_CACHE: '0' }), expected);
  });

  it('writes a code cache for typescript.js in the temporary folder, and a cache run, or a damaged cache, finds the same', () => {
    const env = { ASYNCWISE_WORKERS: '1', TMPDIR: tmp };
    assert.deepEqual(check(dir, env), expected);
    const cacheDir = fs.readdirSync(tmp).find((d) => d.startsWith('asyncwise-compile-cache-'));
    assert.ok(cacheDir, `no code cache in ${tmp}: ${fs.readdirSync(tmp).join(', ')}`);
    const files = fs.readdirSync(path.join(tmp, cacheDir)).filter((f) => f.endsWith('.bin'));
    assert.equal(files.length, 1);
    const cache = path.join(tmp, cacheDir, files[0]);
    assert.ok(fs.statSync(cache).size > 100_000);
    assert.deepEqual(check(dir, env), expected);
    // V8 rejects data that does not match: the module is compiled as usual and the cache written anew.
    fs.writeFileSync(cache, Buffer.alloc(4096, 7));
    assert.deepEqual(check(dir, env), expected);
    assert.ok(fs.statSync(cache).size > 100_000, 'the damaged cache was not replaced');
  });
});
