/**
 * A module's outline without parsing it: where each top-level statement starts and ends, and which
 * of them are `def`, `async def` and `class` statements (with their decorators). The project index
 * uses it to parse only the definitions a lookup reaches, instead of whole modules: a blocking chain
 * through `helpers.load_config` needs the imports of `helpers` and the body of `load_config`, not the
 * other 2,000 lines of the file.
 *
 * A top-level statement starts on a line whose first character is not blank and not `#`, outside
 * strings and brackets and not after a line-continuation backslash. The scanner knows Python's
 * string literals (prefixes, triple quotes, escapes) well enough for that; when it ends inside a
 * string or a bracket (malformed code, or a literal it misread) it returns undefined and the caller
 * parses the whole module. Callers also check every slice they parse for syntax errors.
 */

export interface Segment {
  /** UTF-16 offsets into the module text: a statement with its decorators, up to the next one. */
  readonly start: number;
  readonly end: number;
  /** 0-based row of `start`. */
  readonly row: number;
  readonly kind: 'def' | 'class' | 'other';
  /** The defined name, for `def` and `class`. */
  readonly name?: string;
  /** Offset of the statement's first keyword (`def`, `class`), after decorators and indentation. */
  readonly keyword: number;
}

const DEF = /(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)/y;
const CLASS = /class[ \t]+([A-Za-z_]\w*)/y;

/**
 * The top-level statements of `text`, in order and covering it whole, or undefined when unsure.
 * With a range and an indent, the statements of a block instead (a class body: `indent` is its
 * indentation, `row` the row of `from`); a line indented less than the block ends nothing here but
 * makes the outline unsure. Segments start at their line's start, indentation included.
 */
export function outline(text: string, from = 0, to = text.length, indent = '', startRow = 0): Segment[] | undefined {
  const starts: { offset: number; row: number }[] = [];
  const n = to;
  let depth = 0;
  let row = startRow;
  let continued = false;
  let i = from;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (lineStart) {
      lineStart = false;
      if (depth === 0 && !continued) {
        let j = i;
        // 32 space, 9 tab, 12 form feed
        for (let w = text.charCodeAt(j); w === 32 || w === 9 || w === 12; w = text.charCodeAt(++j));
        const first = text.charCodeAt(j);
        // 13 CR, 10 LF, 35 '#': blank and comment lines start nothing.
        if (j < n && first !== 13 && first !== 10 && first !== 35) {
          if (j - i === indent.length && text.startsWith(indent, i)) starts.push({ offset: i, row });
          else if (j - i < indent.length || !text.startsWith(indent, i)) return undefined;
        }
      }
      continued = false;
    }
    if (c === 10) {
      row++;
      lineStart = true;
      i++;
    } else if (c === 35) {
      // A comment runs to the end of the line.
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
    } else if (c === 92) {
      // A backslash outside a string: the next line continues this one.
      if (text.charCodeAt(i + 1) === 10 || (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10)) continued = true;
      i++;
    } else if (c === 34 || c === 39) {
      const end = stringEnd(text, i, n);
      if (end < 0) return undefined;
      for (let k = i; k < end; k++) if (text.charCodeAt(k) === 10) row++;
      i = end;
    } else {
      if (c === 40 || c === 91 || c === 123) depth++;
      else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
      i++;
    }
  }
  if (depth !== 0) return undefined;

  const segments: Segment[] = [];
  let pendingDecorator: { offset: number; row: number } | undefined;
  for (let k = 0; k < starts.length; k++) {
    const { offset, row: r } = starts[k];
    const end = k + 1 < starts.length ? starts[k + 1].offset : n;
    const keyword = offset + indent.length;
    if (text.charCodeAt(keyword) === 64 /* @ */) {
      pendingDecorator ??= { offset, row: r };
      continue;
    }
    const first = pendingDecorator ?? { offset, row: r };
    pendingDecorator = undefined;
    DEF.lastIndex = keyword;
    CLASS.lastIndex = keyword;
    const def = DEF.exec(text);
    const cls = def ? null : CLASS.exec(text);
    if (def) segments.push({ start: first.offset, end, row: first.row, kind: 'def', name: def[1], keyword });
    else if (cls) segments.push({ start: first.offset, end, row: first.row, kind: 'class', name: cls[1], keyword });
    else segments.push({ start: first.offset, end, row: first.row, kind: 'other', keyword });
  }
  // Decorators with no definition after them (malformed): keep them as an ordinary statement.
  if (pendingDecorator) segments.push({ start: pendingDecorator.offset, end: n, row: pendingDecorator.row, kind: 'other', keyword: pendingDecorator.offset + indent.length });
  // Text before the first statement (comments, blank lines) belongs to no segment: fold it into the first.
  if (segments.length && segments[0].start > from) segments[0] = { ...segments[0], start: from, row: startRow };
  return segments;
}

/**
 * The offset just past the string literal whose opening quote is at `quote`, or -1 when it never
 * ends. String prefixes (`r`, `b`, `f`, `rb`, …) change nothing here: a backslash skips the next
 * character in raw strings too (`r"\""` is one string).
 */
function stringEnd(text: string, quote: number, n = text.length): number {
  const q = text.charCodeAt(quote);
  const triple = text.charCodeAt(quote + 1) === q && text.charCodeAt(quote + 2) === q;
  let i = quote + (triple ? 3 : 1);
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92) {
      i += 2;
    } else if (c === q) {
      if (!triple) return i + 1;
      if (text.charCodeAt(i + 1) === q && text.charCodeAt(i + 2) === q) return i + 3;
      i++;
    } else if (c === 10 && !triple) {
      // An unterminated one-line string ends at the line's end (a syntax error the parser reports).
      return i;
    } else i++;
  }
  return triple ? -1 : n;
}


/**
 * The offset just past the `:` that ends a compound statement's header starting at `from` (a
 * `class` line, its bases over several lines), or -1 when there is none before `to`.
 */
export function headerEnd(text: string, from: number, to: number): number {
  let depth = 0;
  for (let i = from; i < to; ) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      i = stringEnd(text, i, to);
      if (i < 0) return -1;
    } else if (c === 35) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 || nl > to ? to : nl;
    } else {
      if (c === 40 || c === 91 || c === 123) depth++;
      else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
      else if (c === 58 && depth === 0) return i + 1;
      i++;
    }
  }
  return -1;
}
