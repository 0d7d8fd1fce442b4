/**
 * The target Python version a project declares, read from the nearest pyproject.toml: `requires-python`
 * under `[project]` (PEP 621), else Poetry's `python` dependency, else `[tool.ruff] target-version`.
 * Only these keys are read, with a small line-based reader (a full TOML parser is not needed for them):
 * a file we cannot read gives no version, never an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularFile } from './files';
import { parsePythonVersion, type PythonVersion } from './settings';

/** The lower bound of the Python versions a pyproject.toml declares, if it declares one. */
export function targetFromPyproject(text: string): PythonVersion | undefined {
  let table = '';
  const found: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    // Not `/\s+#.*$/`: that takes quadratic time on a long run of spaces.
    const comment = raw.search(/\s#/);
    const line = (comment < 0 ? raw : raw.slice(0, comment)).trim();
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
        target = targetFromPyproject(readRegularFile(pyproject, 'utf8'));
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
 * Multi-line strings, dates and arrays of tables are not supported: they are reported as errors, as
 * are what makes the file invalid TOML where it concerns us (a table header without its `]`, a key
 * or a table defined twice).
 *
 * Configuration is data: tables are objects without a prototype, so a key such as `__proto__` or
 * `constructor` is an ordinary key (reported as unknown by the caller), never a way to reach
 * `Object.prototype`. Time is linear in the file's length, however long an array is.
 */
export function readTomlTable(text: string, name: string): TomlTable | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let found = false;
  let current: Record<string, TomlValue> | undefined;
  const values = dataTable();
  const errors: string[] = [];
  /** A malformed header may be ours: the file is reported even when no table of ours was read. */
  let malformed = false;
  const headers = new Map<string, number>();
  /** Where each key of each table was set, for duplicates. */
  const keyLines = new WeakMap<object, Map<string, number>>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[[')) {
      current = undefined;
      continue;
    }
    if (line.startsWith('[')) {
      current = undefined;
      const close = line.indexOf(']');
      const rest = close < 0 ? '' : line.slice(close + 1).trim();
      const inner = close < 0 ? '' : line.slice(1, close).trim();
      if (close < 0 || inner === '' || (rest !== '' && !rest.startsWith('#'))) {
        errors.push(`line ${i + 1}: expected a table header such as [${name}], got ${JSON.stringify(line)}`);
        malformed = true;
        continue;
      }
      const table = inner.split('.').map((p) => unquote(p.trim())).join('.');
      const first = headers.get(table);
      if (first !== undefined) {
        errors.push(`line ${i + 1}: the table [${table}] is defined twice (first on line ${first})`);
        malformed = true;
        continue;
      }
      headers.set(table, i + 1);
      if (table === name) current = values;
      else if (table.startsWith(`${name}.`)) current = subTable(values, table.slice(name.length + 1).split('.'));
      if (current) found = true;
      continue;
    }
    if (!current) {
      // Another tool's key: skip its value's continuation lines (a multi-line array or string), whose
      // lines may start with `[` and are no table headers (`commands = [\n  ["pytest", …],\n]`).
      const other = /^[^=]+=\s*(.*)$/.exec(line);
      if (other) i = endOfValue(lines, i, other[1]);
      continue;
    }
    const kv = /^("[^"]*"|'[^']*'|[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=\s*(.*)$/.exec(line);
    if (!kv) {
      errors.push(`line ${i + 1}: expected key = value, got ${JSON.stringify(line)}`);
      continue;
    }
    const key = kv[1].startsWith('"') || kv[1].startsWith("'") ? unquote(kv[1]) : kv[1].replace(/\s+/g, '');
    const keyLine = i + 1;
    // An array may span lines: gather lines until its brackets balance, each line scanned once.
    const brackets = new BracketBalance();
    const parts = [kv[2]];
    brackets.feed(kv[2]);
    while (!brackets.balanced() && i + 1 < lines.length) {
      parts.push(lines[++i]);
      brackets.feed(`\n${lines[i]}`);
    }
    const reader = new ValueReader(parts.join('\n'));
    try {
      const value = reader.value();
      reader.end();
      const path = kv[1].startsWith('"') || kv[1].startsWith("'") ? [key] : key.split('.');
      const target = path.length > 1 ? subTable(current, path.slice(0, -1)) : current;
      const last = path[path.length - 1];
      let seen = keyLines.get(target);
      if (!seen) keyLines.set(target, (seen = new Map()));
      const first = seen.get(last);
      if (first !== undefined) throw new Error(`defined twice (first on line ${first})`);
      seen.set(last, keyLine);
      target[last] = value;
    } catch (error) {
      errors.push(`${key} (line ${keyLine}): ${(error as Error).message}`);
    }
  }
  return found || malformed ? { values, errors } : undefined;
}

/** The index of the last line of a value that starts on line `i` with `value`; linear in its lines. */
function endOfValue(lines: readonly string[], i: number, value: string): number {
  const delimiter = value.startsWith('"""') ? '"""' : value.startsWith("'''") ? "'''" : undefined;
  if (delimiter) {
    if (value.indexOf(delimiter, 3) >= 0) return i;
    while (i + 1 < lines.length && !lines[++i].includes(delimiter));
    return i;
  }
  const brackets = new BracketBalance();
  brackets.feed(value);
  while (!brackets.balanced() && i + 1 < lines.length) brackets.feed(`\n${lines[++i]}`);
  return i;
}

/** A table as configuration data: no prototype, so every key is an own, ordinary key. */
function dataTable(): Record<string, TomlValue> {
  return Object.create(null) as Record<string, TomlValue>;
}

function subTable(root: Record<string, TomlValue>, path: readonly string[]): Record<string, TomlValue> {
  let table = root;
  for (const part of path) {
    const next = table[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) table[part] = dataTable();
    table = table[part] as Record<string, TomlValue>;
  }
  return table;
}

function unquote(s: string): string {
  return (s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")) ? s.slice(1, -1) : s;
}

/** Whether every `[`/`{` outside strings and comments is closed, fed one line at a time. */
class BracketBalance {
  private depth = 0;
  private quote: string | undefined;
  private comment = false;

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.comment) {
        if (c === '\n') this.comment = false;
      } else if (this.quote) {
        if (c === '\\' && this.quote === '"') i++;
        else if (c === this.quote || c === '\n') this.quote = undefined;
      } else if (c === '"' || c === "'") this.quote = c;
      else if (c === '#') this.comment = true;
      else if (c === '[' || c === '{') this.depth++;
      else if (c === ']' || c === '}') this.depth--;
    }
  }

  balanced(): boolean {
    return this.depth <= 0;
  }
}

/** Arrays and inline tables nested deeper than this are refused (recursion, and no config needs it). */
const MAX_NESTING = 64;

class ValueReader {
  private pos = 0;
  private depth = 0;
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
    const word = this.match(/[A-Za-z0-9_+.:-]+/y) ?? '';
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

  /** The text `sticky` matches at the current position (without copying the rest of the text). */
  private match(sticky: RegExp): string | undefined {
    sticky.lastIndex = this.pos;
    return sticky.exec(this.s)?.[0];
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) throw new Error(`nested more than ${MAX_NESTING} levels deep`);
  }

  private array(): TomlValue[] {
    const out: TomlValue[] = [];
    this.enter();
    this.pos++;
    for (;;) {
      this.skip();
      if (this.s[this.pos] === ']') {
        this.pos++;
        this.depth--;
        return out;
      }
      out.push(this.value());
      this.skip();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== ']') throw new Error('expected , or ] in an array');
    }
  }

  private inlineTable(): Record<string, TomlValue> {
    const out = dataTable();
    this.enter();
    this.pos++;
    for (;;) {
      this.skip();
      if (this.s[this.pos] === '}') {
        this.pos++;
        this.depth--;
        return out;
      }
      const key = this.match(/"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+/y);
      if (!key) throw new Error('expected a key in an inline table');
      this.pos += key.length;
      this.skip();
      if (this.s[this.pos] !== '=') throw new Error(`expected = after ${key}`);
      this.pos++;
      if (unquote(key) in out) throw new Error(`${key} is defined twice in an inline table`);
      out[unquote(key)] = this.value();
      this.skip();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') throw new Error('expected , or } in an inline table');
    }
  }
}
