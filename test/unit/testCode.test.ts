import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTestCode } from '../../src/core/testCode';

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
