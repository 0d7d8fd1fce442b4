import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ProjectTargets, targetFromPyproject } from '../../src/core/pyproject';

describe('pyproject.toml target version', () => {
  it('reads requires-python, Poetry and Ruff spellings', () => {
    const cases: [string, [number, number] | undefined][] = [
      ['[project]\nname = "x"\nrequires-python = ">=3.8"\n', [3, 8]],
      ['[project]\nrequires-python = ">=3.10, <4"  # comment\n', [3, 10]],
      ["[project]\nrequires-python = '~=3.11'\n", [3, 11]],
      ['[project]\nrequires-python = ">3.8"\n', [3, 9]],
      ['[project]\nrequires-python = "3.12.*"\n', [3, 12]],
      ['[tool.poetry.dependencies]\npython = "^3.9"\n', [3, 9]],
      ['[tool.ruff]\ntarget-version = "py37"\n', [3, 7]],
      ['[project]\nrequires-python = ">=3.9"\n[tool.ruff]\ntarget-version = "py311"\n', [3, 9]],
      ['[tool.other]\nrequires-python = ">=3.6"\n', undefined],
      ['[project]\nrequires-python = "<4"\n', undefined],
      ['not toml at all ][', undefined],
      ['', undefined],
    ];
    for (const [text, expected] of cases) assert.deepEqual(targetFromPyproject(text), expected, text);
  });

  it('finds the nearest pyproject.toml above a file and follows its changes', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-pyproject-'));
    try {
      fs.mkdirSync(path.join(root, 'pkg', 'sub'), { recursive: true });
      const file = path.join(root, 'pkg', 'sub', 'mod.py');
      fs.writeFileSync(file, '');
      const targets = new ProjectTargets();
      assert.equal(targets.forFile(file), undefined);
      fs.writeFileSync(path.join(root, 'pyproject.toml'), '[project]\nrequires-python = ">=3.7"\n');
      assert.deepEqual(targets.forFile(file)?.target, [3, 7]);
      const inner = path.join(root, 'pkg', 'pyproject.toml');
      fs.writeFileSync(inner, '[project]\nrequires-python = ">=3.12"\n');
      assert.deepEqual(targets.forFile(file)?.target, [3, 12]);
      assert.equal(targets.forFile(file)?.source, inner);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
