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

/** A TOML value of the kinds `[tool.asyncwise]` uses: strings, booleans, numbers, arrays, inline tables. */
export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };

export interface TomlTable {
  /** Keys of the table and of its sub-tables (`[tool.asyncwise.rules]` → `rules`), nested as objects. */
  readonly values: Record<string, TomlValue>;
  /** Values this reader could not read, as `key (line N): why`. */
  readonly errors: string[];
}

/**
 * The table `name` (e.g. `tool.asyncwise`) and its sub-tables, or undefined when the file has none.
 * The same small line-based reader as above, extended to the values a tool table holds: basic and
 * literal strings, booleans, numbers, arrays (also over several lines) and inline tables of those.
 * Multi-line strings, dates and arrays of tables are not supported: they are reported as errors.
 */
export function readTomlTable(text: string, name: string): TomlTable | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let found = false;
  let current: Record<string, TomlValue> | undefined;
  const values: Record<string, TomlValue> = {};
  const errors: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[\s*([^\][]+?)\s*\]\s*(#.*)?$/.exec(line);
    if (header) {
      const table = header[1].split('.').map((p) => unquote(p.trim())).join('.');
      current = undefined;
      if (table === name) current = values;
      else if (table.startsWith(`${name}.`)) current = subTable(values, table.slice(name.length + 1).split('.'));
      if (current) found = true;
      continue;
    }
    if (line.startsWith('[[')) {
      current = undefined;
      continue;
    }
    if (!current) continue;
    const kv = /^("[^"]*"|'[^']*'|[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=\s*(.*)$/.exec(line);
    if (!kv) {
      errors.push(`line ${i + 1}: expected key = value, got ${JSON.stringify(line)}`);
      continue;
    }
    const key = kv[1].startsWith('"') || kv[1].startsWith("'") ? unquote(kv[1]) : kv[1].replace(/\s+/g, '');
    const keyLine = i + 1;
    // An array may span lines: gather lines until its brackets balance.
    let source = kv[2];
    while (!balanced(source) && i + 1 < lines.length) source += `\n${lines[++i]}`;
    const reader = new ValueReader(source);
    try {
      const value = reader.value();
      reader.end();
      const path = kv[1].startsWith('"') || kv[1].startsWith("'") ? [key] : key.split('.');
      const target = path.length > 1 ? subTable(current, path.slice(0, -1)) : current;
      target[path[path.length - 1]] = value;
    } catch (error) {
      errors.push(`${key} (line ${keyLine}): ${(error as Error).message}`);
    }
  }
  return found ? { values, errors } : undefined;
}

function subTable(root: Record<string, TomlValue>, path: readonly string[]): Record<string, TomlValue> {
  let table = root;
  for (const part of path) {
    const next = table[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) table[part] = {};
    table = table[part] as Record<string, TomlValue>;
  }
  return table;
}

function unquote(s: string): string {
  return (s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")) ? s.slice(1, -1) : s;
}

/** Whether every `[`/`{` outside strings and comments is closed. */
function balanced(source: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') {
      const nl = source.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth <= 0;
}

class ValueReader {
  private pos = 0;
  constructor(private readonly s: string) {}

  private skip(): void {
    for (;;) {
      while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
      if (this.s[this.pos] !== '#') return;
      while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
    }
  }

  end(): void {
    this.skip();
    if (this.pos < this.s.length) throw new Error(`unexpected ${JSON.stringify(this.s.slice(this.pos, this.pos + 20))} after the value`);
  }

  value(): TomlValue {
    this.skip();
    const c = this.s[this.pos];
    if (c === '"' || c === "'") {
      if (this.s.startsWith(c.repeat(3), this.pos)) throw new Error('multi-line strings are not supported here');
      return this.string(c);
    }
    if (c === '[') return this.array();
    if (c === '{') return this.inlineTable();
    const word = /^[A-Za-z0-9_+.:-]+/.exec(this.s.slice(this.pos))?.[0] ?? '';
    this.pos += word.length;
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (/^[+-]?\d[\d_]*(\.\d+)?$/.test(word)) return Number(word.replace(/_/g, ''));
    throw new Error(word ? `expected a string, number, boolean, array or table, got ${JSON.stringify(word)} (strings need quotes)` : 'missing value');
  }

  private string(quote: string): string {
    let out = '';
    for (this.pos++; this.pos < this.s.length; this.pos++) {
      const c = this.s[this.pos];
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\n') break;
      if (c === '\\' && quote === '"') {
        const e = this.s[++this.pos];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f' };
        if (e in simple) out += simple[e];
        else if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          out += String.fromCodePoint(parseInt(this.s.slice(this.pos + 1, this.pos + 1 + len), 16));
          this.pos += len;
        } else throw new Error(`bad escape \\${e}`);
        continue;
      }
      out += c;
    }
    throw new Error('unterminated string');
  }

  private array(): TomlValue[] {
    const out: TomlValue[] = [];
    this.pos++;
    for (;;) {
      this.skip();
      if (this.s[this.pos] === ']') {
        this.pos++;
        return out;
      }
      out.push(this.value());
      this.skip();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== ']') throw new Error('expected , or ] in an array');
    }
  }

  private inlineTable(): Record<string, TomlValue> {
    const out: Record<string, TomlValue> = {};
    this.pos++;
    for (;;) {
      this.skip();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = /^("[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+)/.exec(this.s.slice(this.pos))?.[0];
      if (!key) throw new Error('expected a key in an inline table');
      this.pos += key.length;
      this.skip();
      if (this.s[this.pos] !== '=') throw new Error(`expected = after ${key}`);
      this.pos++;
      out[unquote(key)] = this.value();
      this.skip();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') throw new Error('expected , or } in an inline table');
    }
  }
}
