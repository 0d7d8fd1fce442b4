/**
 * scripts/demo-workspace.js: the scratch copy of demo/ that `npm run demo` and the editor suite open,
 * so applying (and auto-saving) a fix in the demo never changes a tracked file. The copy is fresh on
 * every run and whole (the demo's rule configuration included), and its TS/JS project still finds
 * @types/node from inside .cache/.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from './helpers';

const ROOT = repoRoot();
const { prepareDemoWorkspace, DEFAULT_PARENT } = createRequire(__filename)(path.join(ROOT, 'scripts', 'demo-workspace.js')) as { prepareDemoWorkspace: (parent?: string) => string; DEFAULT_PARENT: string };

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(path.relative(dir, full), fs.readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('the demo workspace is a scratch copy of demo/', () => {
  fs.mkdirSync(DEFAULT_PARENT, { recursive: true });
  const parent = fs.mkdtempSync(path.join(DEFAULT_PARENT, 'unit-test-'));
  after(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('is git-ignored, inside the repository, and the default the demo opens', () => {
    assert.equal(path.relative(ROOT, DEFAULT_PARENT), path.join('.cache', 'demo-workspace'));
    const ignored = spawnSync('git', ['check-ignore', '-q', path.join(DEFAULT_PARENT, 'demo', 'python', 'worker.py')], { cwd: ROOT });
    assert.equal(ignored.status, 0, 'git check-ignore: the copy is ignored');
    assert.match(fs.readFileSync(path.join(ROOT, 'scripts', 'demo.sh'), 'utf8'), /node "\$root\/scripts\/demo-workspace\.js"/);
  });

  it('copies every file of demo/, rule configuration included, and afresh: edits and strays are gone', () => {
    const copy = prepareDemoWorkspace(parent);
    assert.deepEqual(files(copy), files(path.join(ROOT, 'demo')));
    for (const config of ['python/pyproject.toml', 'node-service/package.json', 'node-service/tsconfig.json', '.vscode/launch.json']) assert.ok(fs.existsSync(path.join(copy, config)), config);
    fs.writeFileSync(path.join(copy, 'python', 'worker.py'), '# edited in the demo\n');
    fs.mkdirSync(path.join(copy, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(copy, '.vscode', 'settings.json'), '{}');
    assert.equal(prepareDemoWorkspace(parent), copy);
    assert.deepEqual(files(copy), files(path.join(ROOT, 'demo')));
  });

  it("launch.json starts both inspector services: a Node and a debugpy launch of files in the copy", () => {
    const copy = prepareDemoWorkspace(parent);
    // launch.json is JSON with comments: drop whole-line ones.
    const text = fs.readFileSync(path.join(copy, '.vscode', 'launch.json'), 'utf8').split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
    const launches = (JSON.parse(text) as { configurations: { type: string; request: string; program: string }[] }).configurations;
    assert.deepEqual(launches.map((c) => c.type), ['node', 'debugpy']);
    for (const c of launches) {
      assert.equal(c.request, 'launch');
      const program = c.program.replace('${workspaceFolder}', copy);
      assert.ok(fs.existsSync(program), `${c.program} exists in the copy`);
    }
    assert.deepEqual(launches.map((c) => path.relative(copy, c.program.replace('${workspaceFolder}', copy))), [path.join('node', 'service.js'), path.join('python', 'inspector', 'service.py')]);
    // The demo editor gets a debugpy debugger (no marketplace offline): the stand-in adapter, Debian's debugpy.
    const demoScript = fs.readFileSync(path.join(ROOT, 'scripts', 'demo.sh'), 'utf8');
    assert.match(demoScript, /cp -r "\$root\/test\/vscode\/debugpy-adapter" "\$profile\/exts\//);
    assert.match(demoScript, /apt-get install -y -qq python3-debugpy/);
  });

  it('never copies onto demo/ itself, into it, or outside the repository', () => {
    assert.throws(() => prepareDemoWorkspace(ROOT), /inside the repository/);
    assert.throws(() => prepareDemoWorkspace(path.join(ROOT, 'demo')), /inside the repository/);
    assert.throws(() => prepareDemoWorkspace(path.dirname(ROOT)), /inside the repository/);
  });

  it('the copy\'s TS/JS project type-checks with @types/node found from .cache/', { timeout: 60_000 }, () => {
    const copy = prepareDemoWorkspace(parent);
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(copy, 'node-service'), '--listFilesOnly'], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    assert.match(tsc.stdout, /@types\/node\/index\.d\.ts/);
  });
});
