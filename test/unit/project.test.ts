/**
 * The project index (src/python/project.ts) and the cross-file findings it enables, on the fixture
 * project `test/fixtures/projects/helpers` (a `src/` layout, a package with a subpackage, relative and
 * absolute imports, a re-export, inheritance across modules, a test folder without `__init__.py`).
 * Files there carry `# error: AW202` annotations like the rule fixtures.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { analyzePython } from '../../src/python/analyze';
import { absoluteName, findProjectRoot, ProjectIndex } from '../../src/python/project';
import { blockingKind } from '../../src/rules/blocking-call-in-async';
import { loadParser, repoRoot, settings } from './helpers';

const ROOT = path.join(repoRoot(), 'test', 'fixtures', 'projects', 'helpers');
const RULES = CATALOG.filter((r) => r.code === 'AW202' || r.code === 'AW301');
const isBlocking = (name: string | undefined, method?: string) => blockingKind(name, method) !== undefined;

function pythonFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? pythonFiles(full) : e.name.endsWith('.py') ? [full] : [];
  });
}

async function projectIndex(read?: (file: string) => string | undefined): Promise<ProjectIndex> {
  const index = new ProjectIndex(await loadParser(), { roots: [ROOT], read });
  for (const file of pythonFiles(ROOT)) index.add(file);
  return index;
}

const file = (rel: string) => path.join(ROOT, ...rel.split('/'));

function expectedLines(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /#\s*error:\s*(AW\d{3})/.exec(line);
    if (m) out.push(`${i + 1} ${m[1]}`);
  });
  return out;
}

async function findings(index: ProjectIndex | undefined, rel: string, text = fs.readFileSync(file(rel), 'utf8')) {
  const a = analyzePython(await loadParser(), text, settings({ python: { targetVersion: '3.11' } }), { rules: RULES, project: index, filePath: file(rel) });
  try {
    return a.findings.map((f) => ({ line: f.startPosition.line + 1, code: f.code, message: f.message }));
  } finally {
    a.dispose();
  }
}

describe('project index', () => {
  it('names modules through __init__.py packages, src/ layouts and project roots', async () => {
    const index = await projectIndex();
    assert.equal(index.moduleName(file('src/shop/jobs/nightly.py')), 'shop.jobs.nightly');
    assert.equal(index.moduleName(file('src/shop/__init__.py')), 'shop');
    assert.equal(index.moduleName(file('src/shop/jobs/__init__.py')), 'shop.jobs');
    // Not a package: importable as `test_nightly` (pytest's rootdir insertion) or `tests.test_nightly`.
    assert.deepEqual(index.moduleNames(file('tests/test_nightly.py')), ['test_nightly', 'tests.test_nightly']);
    assert.deepEqual(index.filesOf('shop.service'), [file('src/shop/service.py')]);
    assert.equal(findProjectRoot(file('src/shop/jobs/nightly.py')), ROOT);
  });

  it('resolves relative names against the module and its package', () => {
    assert.equal(absoluteName('.config.load', 'shop.service', false), 'shop.config.load');
    assert.equal(absoluteName('..store.Store', 'shop.jobs.nightly', false), 'shop.store.Store');
    assert.equal(absoluteName('.config', 'shop', true), 'shop.config');
    assert.equal(absoluteName('..', 'shop.jobs.nightly', false), 'shop');
    assert.equal(absoluteName('...x', 'shop.service', false), undefined);
    assert.equal(absoluteName('json.load', 'shop.service', false), 'json.load');
  });

  it('looks functions up by qualified name, through re-exports, classes and inheritance', async () => {
    const index = await projectIndex();
    assert.equal(index.lookup('shop.service.refresh')?.summary.async, false);
    assert.equal(index.lookup('shop.notify.send')?.summary.async, true);
    assert.equal(index.lookup('shop.load_config')?.qualifiedName, 'shop.config.load_config');
    assert.equal(index.lookup('shop.store.Store')?.qualifiedName, 'shop.store.Store.__init__');
    assert.equal(index.lookup('shop.store.Store.connect')?.qualifiedName, 'shop.store.BaseStore.connect');
    assert.equal(index.lookup('shop.jobs.nightly.Nightly.reload')?.qualifiedName, 'shop.service.Service.reload');
    assert.equal(index.lookup('shop.service.missing'), undefined);
    assert.equal(index.lookup('json.load'), undefined);
  });

  it('computes blocking chains across modules, cutting recursion', async () => {
    const index = await projectIndex();
    assert.deepEqual(index.blockingChain('shop.service.refresh', isBlocking), ['refresh', 'load_config', 'open']);
    assert.deepEqual(index.blockingChain('shop.service.Service.reload', isBlocking), ['Service.reload', 'refresh', 'load_config', 'open']);
    assert.deepEqual(index.blockingChain('shop.store.Store', isBlocking), ['Store.__init__', 'self.connect', 'time.sleep']);
    assert.equal(index.blockingChain('shop.config._cycle_a', isBlocking), undefined);
    assert.equal(index.blockingChain('shop.notify.format_message', isBlocking), undefined);
    assert.equal(index.blockingChain('shop.notify.send', isBlocking), undefined, 'async functions are not blocking helpers');
  });

  it('marks calls that name a file of the package itself, and tells root causes apart', async () => {
    const index = await projectIndex();
    // `open(f"{BASE}/commands/{name}")` with `BASE` built on `__file__` at module level.
    assert.deepEqual(index.blockingChain('shop.scripts.Queue', isBlocking), ['Queue.__init__', 'Connection', 'self.load_script', 'open']);
    const notPackageFiles = (name: string | undefined, method?: string, packageFile?: boolean) => !packageFile && isBlocking(name, method);
    assert.equal(index.blockingChain('shop.scripts.Queue', notPackageFiles), undefined);
    // Two entry points, one blocking call: the same origin.
    const a = index.chainOf(index.lookup('shop.service.refresh')!, isBlocking);
    const b = index.chainOf(index.lookup('shop.service.Service.reload')!, isBlocking);
    assert.equal(a?.origin, b?.origin);
    assert.equal(a?.origin, 'shop.config.load_config open');
  });

  it('summarises each file lazily, once, skips names no file defines, and keeps plain data', async () => {
    const reads: string[] = [];
    const index = await projectIndex((f) => {
      reads.push(path.relative(ROOT, f));
      return fs.readFileSync(f, 'utf8');
    });
    index.lookup('shop.service.refresh');
    index.lookup('shop.service.refresh');
    // Every file is read once for the name scan (no parse); only service.py again, to be summarised.
    const twice = reads.filter((f, i) => reads.indexOf(f) !== i);
    assert.deepEqual(twice, [path.join('src', 'shop', 'service.py')]);
    assert.deepEqual([...new Set(reads)].sort(), pythonFiles(ROOT).map((f) => path.relative(ROOT, f)).sort());
    // A name no project file defines is answered without reading or parsing anything more.
    const before = reads.length;
    assert.equal(index.lookup('shop.store.Store.model_dump'), undefined);
    assert.equal(reads.length, before);
    const summary = index.summaryOf(file('src/shop/service.py'))!;
    // Plain data: survives a JSON round trip of its maps.
    assert.deepEqual(JSON.parse(JSON.stringify([...summary.functions])), [['refresh', { name: 'refresh', async: false, line: 3, decorators: [], calls: [{ target: '.config.load_config', text: 'load_config' }], methods: [], packageFileMethods: [] }]]);
  });

  it('reports cross-file AW202 and AW301 findings on the annotated lines', async () => {
    const index = await projectIndex();
    for (const rel of ['src/shop/jobs/nightly.py', 'tests/test_nightly.py']) {
      const got = await findings(index, rel);
      assert.deepEqual(got.map((f) => `${f.line} ${f.code}`), expectedLines(fs.readFileSync(file(rel), 'utf8')), rel);
    }
    const nightly = await findings(index, 'src/shop/jobs/nightly.py');
    assert.match(nightly.find((f) => f.line === 12)!.message, /self\.reload\(\) → refresh\(\) → load_config\(\) → open\(\)/);
    // One root cause, one finding: the other three ways to reach `load_config() → open()` are listed.
    assert.match(nightly.find((f) => f.line === 12)!.message, /3 more calls in this file reach the same blocking call \(lines 13, 14, 15\)/);
    assert.match(nightly.find((f) => f.line === 16)!.message, /Store\(\) → self\.connect\(\) → time\.sleep\(\)/);
  });

  it('finds nothing across files without an index (same-file functions need none)', async () => {
    const got = await findings(undefined, 'src/shop/jobs/nightly.py');
    assert.deepEqual(got, []);
  });

  it('follows edits: update() re-summarises, reports whether other modules are affected, and dependents() names them', async () => {
    const index = await projectIndex();
    // The editor gives the index the text of every open document, as here.
    index.update(file('src/shop/jobs/nightly.py'), fs.readFileSync(file('src/shop/jobs/nightly.py'), 'utf8'));
    await findings(index, 'src/shop/jobs/nightly.py');
    const config = file('src/shop/config.py');
    const original = fs.readFileSync(config, 'utf8');
    // A comment changes no summary: nobody needs re-analysing.
    assert.equal(index.update(config, `${original}# a comment\n`), false);
    const pure = original.replace('with open(path) as f:\n        return json.load(f)', 'return json.loads(path)');
    assert.equal(index.update(config, pure), true);
    assert.equal(index.blockingChain('shop.service.refresh', isBlocking), undefined);
    const after = await findings(index, 'src/shop/jobs/nightly.py');
    assert.deepEqual(after.filter((f) => f.code === 'AW202').map((f) => f.line), [16], 'only the Store chain (time.sleep) remains');
    const dependents = index.dependents(config).map((f) => path.relative(ROOT, f)).sort();
    assert.ok(dependents.includes(path.join('src', 'shop', 'service.py')), dependents.join());
    assert.ok(dependents.includes(path.join('src', 'shop', 'jobs', 'nightly.py')), dependents.join());
    index.remove(file('src/shop/store.py'));
    const removed = await findings(index, 'src/shop/jobs/nightly.py');
    assert.deepEqual(removed.filter((f) => f.code === 'AW202'), []);
  });

  it('uses the text being analysed over the indexed copy of the same file', async () => {
    const index = await projectIndex();
    const rel = 'src/shop/jobs/nightly.py';
    const edited = fs.readFileSync(file(rel), 'utf8').replace('class Nightly(Service):', 'class Nightly:');
    const got = await findings(index, rel, edited);
    // Without the base class, `self.reload()` and `self.ping()` name nothing.
    assert.equal(got.some((f) => f.line === 12 || f.line === 21), false);
  });
});

describe('project index name scan', () => {
  it('sees names defined in unsaved text given to update() and in files added later', async () => {
    const index = await projectIndex();
    assert.equal(index.mayDefine('brand_new_helper'), false);
    const notify = file('src/shop/notify.py');
    index.update(notify, `${fs.readFileSync(notify, 'utf8')}\n\nasync def brand_new_helper():\n    pass\n`);
    assert.equal(index.mayDefine('brand_new_helper'), true);
    assert.ok(index.asyncDefNames().has('brand_new_helper'));
    assert.equal(index.lookup('shop.notify.brand_new_helper')?.summary.async, true);
  });
});
