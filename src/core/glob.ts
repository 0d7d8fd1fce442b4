/**
 * Path globs, matched in time linear in the path for a given glob (O(path × glob) at worst), with no
 * backtracking: a glob compiles to a small nondeterministic automaton whose set of live states is
 * advanced one character at a time (Thompson's construction). A regular expression built from a glob
 * backtracks exponentially on globs such as `**\/**\/…*.pyx` or `*a*a*a…*b`, and the globs come from
 * files in the checked repository, so matching must be bounded by construction.
 *
 * Two dialects share the matcher:
 *  - asyncwise's own (`exclude`, `per-file-ignores`, `--exclude`): `*` and `?` within one path
 *    segment, `**` across segments, `[abc]`/`[!a-z]`, `{a,b}` (nested allowed); a malformed glob
 *    (an unclosed `{` or `[`, a range such as `[z-a]`) is a `GlobSyntaxError`, reported by the
 *    caller as a configuration error.
 *  - .gitignore's: the same without braces (git has no brace expansion: `{` is an ordinary
 *    character), `\` escapes the next character, and a malformed bracket matches nothing, as git's
 *    wildmatch does. Never throws: any line of a .gitignore is legal.
 */

export class GlobSyntaxError extends Error {}

export type GlobDialect = 'asyncwise' | 'gitignore';

/** One state of the automaton: it consumes one character matching `test` and moves to `out`, or moves to `eps` without consuming. */
interface State {
  test?: (code: number) => boolean;
  out?: number;
  readonly eps: number[];
}

type Item =
  | { readonly kind: 'char'; readonly test: (code: number) => boolean }
  /** `*` (within a segment) or `**` not followed by `/` (anything). */
  | { readonly kind: 'star'; readonly crossesSlash: boolean }
  /** `**\/`: zero or more whole folders, `(?:.*\/)?`. */
  | { readonly kind: 'folders' }
  | { readonly kind: 'alternatives'; readonly options: Item[][] };

const SLASH = 0x2f;
const notSlash = (c: number) => c !== SLASH;
const anything = () => true;
const nothing = () => false;

/** A compiled glob: `matches` is linear in the path's length. */
export class Glob {
  private constructor(
    private readonly states: readonly State[],
    private readonly start: number,
  ) {}

  /** Compiles a glob; throws `GlobSyntaxError` for a malformed asyncwise glob (never for a .gitignore one). */
  static compile(glob: string, dialect: GlobDialect = 'asyncwise'): Glob {
    const key = `${dialect}\0${glob}`;
    let compiled = cache.get(key);
    if (!compiled) {
      const items = new Parser(glob, dialect).parse();
      // State 0 accepts.
      const states: State[] = [{ eps: [] }];
      const start = build(items, 0, states);
      compiled = new Glob(states, start);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, compiled);
    }
    return compiled;
  }

  /** Whether the whole of `path` matches. */
  matches(path: string): boolean {
    return this.run(path, () => false);
  }

  /**
   * Whether the path or one of its folders matches (`src/gen` for `src/gen/a/b.py`): one pass over
   * the path, looking at the automaton before each `/` and at the end.
   */
  matchesPathOrFolder(path: string): boolean {
    return this.run(path, (i) => path.charCodeAt(i) === SLASH);
  }

  private run(path: string, acceptBefore: (index: number) => boolean): boolean {
    const n = this.states.length;
    let current = new Int32Array(n);
    let next = new Int32Array(n);
    let currentSize = 0;
    let nextSize = 0;
    // Generation marks: a state is in the set being built when mark[state] === generation.
    const mark = new Uint32Array(n);
    let generation = 1;
    const stack: number[] = [];
    const add = (into: Int32Array, size: number, state: number): number => {
      stack.push(state);
      while (stack.length) {
        const s = stack.pop()!;
        if (mark[s] === generation) continue;
        mark[s] = generation;
        into[size++] = s;
        for (const e of this.states[s].eps) if (mark[e] !== generation) stack.push(e);
      }
      return size;
    };
    currentSize = add(current, 0, this.start);
    for (let i = 0; i < path.length; i++) {
      if (acceptBefore(i) && mark[0] === generation) return true;
      if (currentSize === 0) return false;
      const code = path.charCodeAt(i);
      generation++;
      nextSize = 0;
      for (let k = 0; k < currentSize; k++) {
        const state = this.states[current[k]];
        if (state.test && state.test(code)) nextSize = add(next, nextSize, state.out!);
      }
      [current, next] = [next, current];
      currentSize = nextSize;
    }
    return mark[0] === generation;
  }
}

const cache = new Map<string, Glob>();

/** Builds the states of `items` ending in `next`; returns the first state. */
function build(items: readonly Item[], next: number, states: State[]): number {
  let follow = next;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    const id = states.length;
    switch (item.kind) {
      case 'char':
        states.push({ test: item.test, out: follow, eps: [] });
        break;
      case 'star':
        // Consume a character and stay, or go on.
        states.push({ test: item.crossesSlash ? anything : notSlash, out: id, eps: [follow] });
        break;
      case 'folders': {
        // Either nothing, or anything then a `/`.
        const slash = id + 2;
        states.push({ eps: [follow, id + 1] }, { test: anything, out: id + 1, eps: [slash] }, { test: (c) => c === SLASH, out: follow, eps: [] });
        break;
      }
      case 'alternatives': {
        const choice: State = { eps: [] };
        states.push(choice);
        for (const option of item.options) choice.eps.push(build(option, follow, states));
        break;
      }
    }
    follow = id;
  }
  return follow;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly glob: string,
    private readonly dialect: GlobDialect,
  ) {}

  parse(): Item[] {
    const items = this.sequence(0);
    if (this.pos < this.glob.length) throw new GlobSyntaxError(`unexpected ${JSON.stringify(this.glob[this.pos])} at ${this.pos + 1}`);
    return items;
  }

  /** Items up to the end, or (inside braces) up to an unnested `,` or `}`. */
  private sequence(braceDepth: number): Item[] {
    const items: Item[] = [];
    const g = this.glob;
    while (this.pos < g.length) {
      const c = g[this.pos];
      if (braceDepth > 0 && (c === ',' || c === '}')) break;
      if (c === '*') {
        if (g[this.pos + 1] === '*') {
          this.pos += 2;
          if (g[this.pos] === '/') {
            this.pos++;
            items.push({ kind: 'folders' });
          } else items.push({ kind: 'star', crossesSlash: true });
        } else {
          this.pos++;
          items.push({ kind: 'star', crossesSlash: false });
        }
      } else if (c === '?') {
        this.pos++;
        items.push({ kind: 'char', test: notSlash });
      } else if (c === '[') items.push({ kind: 'char', test: this.bracket() });
      else if (c === '{' && this.dialect === 'asyncwise') items.push(this.alternatives(braceDepth + 1));
      else if (c === '\\' && this.dialect === 'gitignore' && this.pos + 1 < g.length) {
        items.push(literal(g.charCodeAt(this.pos + 1)));
        this.pos += 2;
      } else {
        items.push(literal(g.charCodeAt(this.pos)));
        this.pos++;
      }
    }
    return items;
  }

  private alternatives(depth: number): Item {
    const open = this.pos;
    this.pos++;
    const options: Item[][] = [];
    for (;;) {
      options.push(this.sequence(depth));
      const c = this.glob[this.pos];
      if (c === ',') this.pos++;
      else if (c === '}') {
        this.pos++;
        return { kind: 'alternatives', options };
      } else throw new GlobSyntaxError(`the { at ${open + 1} is not closed`);
    }
  }

  /** `[abc]`, `[a-z]`, `[!x]` / `[^x]` (a `]` right after the opening is literal); never matches `/`. */
  private bracket(): (code: number) => boolean {
    const g = this.glob;
    const open = this.pos;
    let i = open + 1;
    const negate = g[i] === '!' || g[i] === '^';
    if (negate) i++;
    const ranges: [number, number][] = [];
    let first = true;
    let malformed: string | undefined;
    let unclosed = false;
    for (;;) {
      if (i >= g.length) {
        unclosed = true;
        malformed = `the [ at ${open + 1} is not closed`;
        break;
      }
      if (g[i] === ']' && !first) {
        i++;
        break;
      }
      first = false;
      let low = g.charCodeAt(i);
      if (g[i] === '\\' && this.dialect === 'gitignore' && i + 1 < g.length) low = g.charCodeAt(++i);
      i++;
      let high = low;
      if (g[i] === '-' && i + 1 < g.length && g[i + 1] !== ']') {
        i++;
        if (g[i] === '\\' && this.dialect === 'gitignore' && i + 1 < g.length) i++;
        high = g.charCodeAt(i);
        i++;
        if (high < low) malformed ??= `the range ${String.fromCharCode(low)}-${String.fromCharCode(high)} is reversed`;
      }
      ranges.push([low, high]);
    }
    if (malformed !== undefined) {
      if (this.dialect === 'asyncwise') throw new GlobSyntaxError(malformed);
      // git's wildmatch: an unclosed class fails the whole match; a reversed range matches nothing.
      if (unclosed) {
        this.pos = g.length;
        return nothing;
      }
    }
    this.pos = i;
    return (c) => c !== SLASH && ranges.some(([low, high]) => c >= low && c <= high) !== negate;
  }
}

function literal(code: number): Item {
  return { kind: 'char', test: (c) => c === code };
}

/** The glob's syntax error, or undefined when it is well formed (asyncwise dialect). */
export function globSyntaxError(glob: string): string | undefined {
  try {
    Glob.compile(glob);
    return undefined;
  } catch (error) {
    if (error instanceof GlobSyntaxError) return error.message;
    throw error;
  }
}

/**
 * `text` without the trailing characters in `chars`. Regular expressions such as `/\s+$/` take
 * quadratic time on a long run of those characters followed by something else.
 */
export function trimTrailing(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1])) end--;
  return text.slice(0, end);
}

/** A comma-separated list of globs (`--exclude a,b`), split at the commas outside braces: `{a,b}/x` is one glob. */
export function splitGlobs(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= list.length; i++) {
    const c = list[i];
    if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (i === list.length || (c === ',' && depth === 0)) {
      const glob = list.slice(start, i).trim();
      if (glob) out.push(glob);
      start = i + 1;
    }
  }
  return out;
}
