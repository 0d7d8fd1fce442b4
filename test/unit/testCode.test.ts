import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/core/settings';
import { analyzePython } from '../../src/python/analyze';
import { PythonParser } from '../../src/python/parser';
import { isTestCode, relativeTo, runsOnFile } from '../../src/core/testCode';

describe('isTestCode', () => {
  it('knows the file names test runners and benchmark suites collect', () => {
    for (const file of ['test_cache.py', 'pkg/cache_test.py', 'conftest.py', 'src/a.test.ts', 'lib/a.spec.js', 'types/a.test-d.ts', 'types/a.tst.ts', 'tools/bench-write.py', 'bench.mjs', 'x/latency_benchmark.py']) {
      assert.equal(isTestCode(file), true, file);
    }
  });

  it('knows test and benchmark folders', () => {
    for (const file of ['tests/helpers.py', 'test/helper.js', 'src/__tests__/a.ts', 'pkg/testing/utils.py', 'benchmarks/cluster_async.py', 'packages/x/spec/a.js']) {
      assert.equal(isTestCode(file), true, file);
    }
  });

  it('leaves application code alone', () => {
    for (const file of ['src/app.py', 'lib/client.ts', 'contest.py', 'src/latest.js', 'attestation/verify.py', 'tools/report/render.py']) {
      assert.equal(isTestCode(file), false, file);
    }
    assert.equal(isTestCode(undefined), false);
  });

  it('reads a fixtures folder as a project of its own', () => {
    assert.equal(isTestCode('test/fixtures/ts/rule/loops.ts'), false);
    assert.equal(isTestCode('test/fixtures/ts/rule/loops.test.ts'), true);
    assert.equal(isTestCode('test/fixtures/app/tests/test_a.py'), true);
  });

  it('reads an absolute path from its project root, not from the folders above it', () => {
    const markers = new Set(['/home/ci/tests/checkout/pyproject.toml', '/repo/packages/io/package.json']);
    const exists = (p: string): boolean => markers.has(p);
    assert.equal(isTestCode('/home/ci/tests/checkout/src/app.py', exists), false);
    assert.equal(isTestCode('/home/ci/tests/checkout/tests/test_app.py', exists), true);
    assert.equal(isTestCode('/repo/packages/io/test/stream.js', exists), true);
    assert.equal(isTestCode('/repo/packages/io/lib/stream.js', exists), false);
  });
});

const AW201 = CATALOG.find((r) => r.code === 'AW201')!;
const AW301 = CATALOG.find((r) => r.code === 'AW301')!;

describe('test code', () => {
  it('recognises test files and folders, relative to the project', () => {
    for (const p of ['tests/test_client.py', 'pkg/tests/helpers.py', 'test_x.py', 'x_test.py', 'conftest.py', 'test/node/client.ts', 'src/__tests__/a.js', 'lib/a.test.ts', 'lib/a.spec.mjs', 'testing\\util.py']) {
      assert.equal(isTestCode(p), true, p);
    }
    for (const p of ['src/client.py', 'pkg/testament.py', 'lib/contest.ts', 'examples/server.py', undefined, '']) {
      assert.equal(isTestCode(p), false, String(p));
    }
  });

  it('ignores the folders above the project in an absolute path', () => {
    const marker = (p: string) => p === '/home/me/tests/project/pyproject.toml';
    assert.equal(isTestCode('/home/me/tests/project/src/app.py', marker), false);
    assert.equal(isTestCode('/home/me/tests/project/test_app.py', marker), true);
    assert.equal(relativeTo('/work/p', '/work/p/tests/a.ts'), 'tests/a.ts');
    assert.equal(relativeTo('/work/p', '/work/other/a.ts'), '/work/other/a.ts');
  });

  it('keeps production rules out of tests unless the user names them', () => {
    assert.equal(runsOnFile(DEFAULT_SETTINGS, AW201, 'tests/test_a.py'), false);
    assert.equal(runsOnFile(DEFAULT_SETTINGS, AW201, 'src/a.py'), true);
    assert.equal(runsOnFile(DEFAULT_SETTINGS, AW301, 'tests/test_a.py'), true, 'a dropped coroutine in a test is a bug in the test');
    const named = parseSettings({ rules: { AW201: 'warning' } }, CATALOG, () => {});
    assert.equal(runsOnFile(named, AW201, 'tests/test_a.py'), true);
  });

  it('analyses a test file without the production rules', async () => {
    const parser = await PythonParser.load();
    const source = 'import time\n\nasync def test_x():\n    time.sleep(1)\n    helper()\n\nasync def helper():\n    pass\n';
    const codes = (relativePath: string) => {
      const a = analyzePython(parser, source, DEFAULT_SETTINGS, { relativePath });
      const out = a.findings.map((f) => f.code);
      a.dispose();
      return out;
    };
    assert.deepEqual(codes('src/app.py'), ['AW201', 'AW301']);
    assert.deepEqual(codes('tests/test_app.py'), ['AW301']);
  });
});