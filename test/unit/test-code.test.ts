import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOG } from '../../src/core/catalog';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/core/settings';
import { isTestPath, relativeTo, runsOnFile } from '../../src/core/testCode';
import { analyzePython } from '../../src/python/analyze';
import { PythonParser } from '../../src/python/parser';

const AW201 = CATALOG.find((r) => r.code === 'AW201')!;
const AW301 = CATALOG.find((r) => r.code === 'AW301')!;

describe('test code', () => {
  it('recognises test files and folders, relative to the project', () => {
    for (const p of ['tests/test_client.py', 'pkg/tests/helpers.py', 'test_x.py', 'x_test.py', 'conftest.py', 'test/node/client.ts', 'src/__tests__/a.js', 'lib/a.test.ts', 'lib/a.spec.mjs', 'testing\\util.py']) {
      assert.equal(isTestPath(p), true, p);
    }
    for (const p of ['src/client.py', 'pkg/testament.py', 'lib/contest.ts', 'examples/server.py', undefined, '']) {
      assert.equal(isTestPath(p), false, String(p));
    }
  });

  it('ignores the folders above the project in an absolute path', () => {
    assert.equal(isTestPath('/home/me/tests/project/src/app.py'), false);
    assert.equal(isTestPath('/home/me/project/test_app.py'), true);
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
