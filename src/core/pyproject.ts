/**
 * The target Python version a project declares, read from the nearest pyproject.toml: `requires-python`
 * under `[project]` (PEP 621), else Poetry's `python` dependency, else `[tool.ruff] target-version`.
 * Only these keys are read, with a small line-based reader (a full TOML parser is not needed for them):
 * a file we cannot read gives no version, never an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePythonVersion, type PythonVersion } from './settings';

/** The lower bound of the Python versions a pyproject.toml declares, if it declares one. */
export function targetFromPyproject(text: string): PythonVersion | undefined {
  let table = '';
  const found: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      table = header[1].trim();
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+|"[^"]+")\s*=\s*(["'])(.*?)\2/.exec(line);
    if (!kv) continue;
    const key = `${table}.${kv[1].replace(/"/g, '')}`;
    if (!(key in found)) found[key] = kv[3];
  }
  const spec = found['project.requires-python'] ?? found['tool.poetry.dependencies.python'];
  if (spec) {
    const v = lowerBound(spec);
    if (v) return v;
  }
  const ruff = found['tool.ruff.target-version'];
  return ruff ? parsePythonVersion(ruff) : undefined;
}

/** `>=3.8`, `>=3.8,<4`, `^3.9` (Poetry), `~=3.10`, `3.11.*` → the lowest 3.X allowed. */
function lowerBound(spec: string): PythonVersion | undefined {
  let best: PythonVersion | undefined;
  for (const part of spec.split(/[,|]/)) {
    const m = /^\s*(>=|~=|==|\^|~|>)?\s*3\.(\d+)/.exec(part);
    if (!m || (m[1] === undefined && !/^\s*3\.\d+(\.\*)?\s*$/.test(part))) continue;
    const minor = Number(m[2]) + (m[1] === '>' ? 1 : 0);
    if (!best || minor < best[1]) best = [3, minor];
  }
  return best;
}

/** The nearest pyproject.toml at or above a folder, or undefined (stops at the file-system root). */
export function findPyproject(startDir: string): string | undefined {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'pyproject.toml');
    if (fs.existsSync(candidate)) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** The declared target for a file's project, cached per pyproject.toml (by mtime). */
export class ProjectTargets {
  private readonly cache = new Map<string, { mtimeMs: number; target: PythonVersion | undefined }>();

  forFile(file: string): { target: PythonVersion; source: string } | undefined {
    const pyproject = findPyproject(path.dirname(file));
    if (!pyproject) return undefined;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(pyproject);
    } catch {
      return undefined;
    }
    let entry = this.cache.get(pyproject);
    if (!entry || entry.mtimeMs !== stat.mtimeMs) {
      let target: PythonVersion | undefined;
      try {
        target = targetFromPyproject(fs.readFileSync(pyproject, 'utf8'));
      } catch {
        target = undefined;
      }
      entry = { mtimeMs: stat.mtimeMs, target };
      this.cache.set(pyproject, entry);
    }
    return entry.target ? { target: entry.target, source: pyproject } : undefined;
  }
}
