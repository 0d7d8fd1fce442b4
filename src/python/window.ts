/**
 * Windowed re-analysis for the editor: after an edit inside one `async def`, analyse a skeleton of
 * the file — every line verbatim except the bodies of the *other* async functions, each replaced
 * by a one-line stub — and take from it only the findings inside the edited function; findings elsewhere are
 * carried over from the previous analysis, shifted. Every rule runs unchanged on the skeleton: it
 * keeps all imports, module-level statements, class and function headers (what makes `self.x()`
 * a coroutine call) and the sync functions' bodies (the blocking helpers). The editor follows a
 * windowed result with a full analysis when typing pauses, so nothing stays approximate.
 */
import type { Node, Tree } from 'web-tree-sitter';
import { LineIndex, type Finding, type Fix, type TextEdit } from '../core/finding';
import type { Settings } from '../core/settings';
import { advance, analyzePython, PythonAnalysis, type AnalyzeOptions } from './analyze';
import type { PythonParser } from './parser';

/**
 * Functions at module level and methods of module-level classes (decorated or not): a walk over a
 * few hundred nodes, where a query would visit the whole tree. Defs nested elsewhere stay verbatim.
 */
function* moduleAndClassDefs(root: Node, keepClass: (cls: Node, name: string) => boolean, stubClass: (cls: Node, name: string) => void): Generator<{ fn: Node; cls?: Node }> {
  const definition = (n: Node): Node | null => (n.type === 'decorated_definition' ? n.childForFieldName('definition') : n);
  for (const child of root.namedChildren) {
    const node = child && definition(child);
    if (!node) continue;
    if (node.type === 'function_definition') yield { fn: node };
    else if (node.type === 'class_definition') {
      const name = node.childForFieldName('name')?.text ?? '';
      if (!keepClass(node, name)) {
        stubClass(node, name);
        continue;
      }
      for (const member of node.childForFieldName('body')?.namedChildren ?? []) {
        const d = member && definition(member);
        if (d?.type === 'function_definition') yield { fn: d, cls: node };
      }
    }
  }
}

/** Module-level class names and their bases' text, by a walk over the module's statements. */
function moduleClasses(root: Node): { name: string; start: number; bases: string }[] {
  const out: { name: string; start: number; bases: string }[] = [];
  for (const child of root.namedChildren) {
    const node = child?.type === 'decorated_definition' ? child.childForFieldName('definition') : child;
    if (node?.type !== 'class_definition') continue;
    out.push({ name: node.childForFieldName('name')?.text ?? '', start: node.startIndex, bases: node.childForFieldName('superclasses')?.text ?? '' });
  }
  return out;
}
/** Sync bodies of the edited method's class kept whatever it calls: they set the attributes it uses. */
const ALWAYS_KEPT = new Set(['__init__', '__post_init__', '__new__', '__enter__', '__exit__']);
/** Calls a same-file helper can be reached by: `name(` and `self.name(` / `cls.name(` (not `x.get(`). */
const CALLED_NAME = /(?:^|[^.\w])([A-Za-z_]\w*)\s*\(|\b(?:self|cls)\.([A-Za-z_]\w*)\s*\(/g;

function calledNames(text: string, into: Set<string>): void {
  for (const m of text.matchAll(CALLED_NAME)) into.add(m[1] ?? m[2]);
}

/**
 * The previous skeleton of a document and its tree: consecutive edits in one function change only
 * that function's part of the skeleton, so it re-parses incrementally. Owned by the document.
 */
export interface SkeletonCache {
  text?: string;
  tree?: Tree;
}

/** Edits `tree` (of `before`) to match `after` by their common prefix and suffix. */
function editToMatch(tree: Tree, before: string, after: string): void {
  let p = 0;
  const max = Math.min(before.length, after.length);
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let q = 0;
  while (q < max - p && before.charCodeAt(before.length - 1 - q) === after.charCodeAt(after.length - 1 - q)) q++;
  const lines = new LineIndex(before);
  const start = lines.position(p);
  const oldEnd = lines.position(before.length - q);
  const startPosition = { row: start.line, column: start.column };
  tree.edit({
    startIndex: p,
    oldEndIndex: before.length - q,
    newEndIndex: after.length - q,
    startPosition,
    oldEndPosition: { row: oldEnd.line, column: oldEnd.column },
    newEndPosition: advance(startPosition, after.slice(p, after.length - q)),
  });
}

/** A replaced span of the original text: `[start, end)` became `text`. */
interface Stub {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Original offset ↔ skeleton offset, through the stubs (sorted, disjoint). */
class SkeletonMap {
  constructor(private readonly stubs: readonly Stub[]) {}

  /** Skeleton offset of an original offset outside every stub. */
  toSkeleton(offset: number): number {
    let delta = 0;
    for (const s of this.stubs) {
      if (offset <= s.start) break;
      delta += s.text.length - (s.end - s.start);
    }
    return offset + delta;
  }

  /** Original offset of a skeleton offset, or undefined inside a stub's replacement. */
  toOriginal(offset: number): number | undefined {
    let delta = 0;
    for (const s of this.stubs) {
      const skelStart = s.start + delta;
      if (offset <= skelStart) break;
      if (offset < skelStart + s.text.length) return undefined;
      delta += s.text.length - (s.end - s.start);
    }
    return offset - delta;
  }
}

/** The async function whose body holds the whole changed range, if any (a method or a top-level def). */
export function editedAsyncFunction(tree: Tree, start: number, end: number): { fn: Node; body: Node } | undefined {
  let node: Node | null = tree.rootNode.descendantForIndex(start, Math.max(start, end - 1));
  for (; node; node = node.parent) {
    if (node.type !== 'function_definition') continue;
    const body = node.childForFieldName('body');
    if (!body || node.child(0)?.type !== 'async') return undefined;
    // The edit must stay inside the body: a header edit changes what other code sees of it.
    if (body.startIndex <= start && end <= body.endIndex) return { fn: node, body };
    return undefined;
  }
  return undefined;
}

/**
 * Analyses `text` (whose parse is `tree`) given that only `[start, end)` changed since `previous`
 * (whose findings are mapped to the current text by `mapOffset`). Returns undefined when the edit
 * is not confined to one async function body; the caller then runs a full analysis.
 */
export function analyzeWindow(
  parser: PythonParser,
  text: string,
  tree: Tree,
  settings: Settings,
  options: Omit<AnalyzeOptions, 'oldTree'>,
  changed: { start: number; end: number },
  previous: readonly Finding[],
  mapOffset: (offset: number) => number | undefined,
  cache: SkeletonCache = {},
  /** Where the re-parse changed the tree's structure (old tree's `getChangedRanges`); all must lie in the edited function. */
  structureChanged: readonly { startIndex: number; endIndex: number }[] = [],
): PythonAnalysis | undefined {
  const edited = editedAsyncFunction(tree, changed.start, changed.end);
  if (!edited) return undefined;
  const unit = { start: edited.fn.startIndex, end: edited.fn.endIndex };
  // Half-typed code can re-shape the parse beyond the function (error recovery swallowing the
  // next def): then the findings elsewhere may change too, and only a full analysis is exact.
  if (structureChanged.some((r) => r.startIndex < unit.start || r.endIndex > unit.end)) return undefined;
  // The class the edited method belongs to: its `__init__` says what `self.x` holds.
  const owner = (edited.fn.parent?.type === 'decorated_definition' ? edited.fn.parent : edited.fn).parent?.parent;
  const unitClass = owner?.type === 'class_definition' ? owner : undefined;

  // Other functions shrink to a one-line stub that keeps what other code sees of them (the name
  // and whether it is a coroutine function). Sync functions stay whole when the edited function
  // may reach them by name (the blocking helpers AW202 follows) or when they set up an object.
  const syncDefs: { name: string; start: number; end: number }[] = [];
  const stubs: Stub[] = [];
  // Classes the edited function can see: its own, those it names (constructors, annotations,
  // receivers typed by them) and their bases, transitively. The others shrink to `class X: ...`.
  const unitText = text.slice(unit.start, unit.end);
  const classes = moduleClasses(tree.rootNode);
  const keptClasses = new Set<number>();
  const mentions = (haystack: string, name: string) => name !== '' && new RegExp(`\\b${name}\\b`).test(haystack);
  let seen = unitText;
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of classes) {
      if (keptClasses.has(c.start)) continue;
      if ((unitClass && c.start === unitClass.startIndex) || mentions(seen, c.name)) {
        keptClasses.add(c.start);
        seen += ` ${c.bases}`;
        grew = true;
      }
    }
  }
  const defs = moduleAndClassDefs(
    tree.rootNode,
    (cls) => keptClasses.has(cls.startIndex),
    (cls, name) => stubs.push({ start: cls.startIndex, end: cls.endIndex, text: `class ${name}: ...` }),
  );
  for (const { fn, cls } of defs) {
    const name = fn.childForFieldName('name')?.text;
    if (name === undefined) continue;
    // The edited function stays whole, nested defs included.
    if (fn.startIndex < unit.end && unit.start < fn.endIndex) continue;
    if (fn.child(0)?.type === 'async') stubs.push({ start: fn.startIndex, end: fn.endIndex, text: `async def ${name}(*args, **kwargs): ...` });
    else if (!(ALWAYS_KEPT.has(name) && cls !== undefined && unitClass !== undefined && cls.startIndex === unitClass.startIndex)) syncDefs.push({ name, start: fn.startIndex, end: fn.endIndex });
  }
  const reachable = new Set<string>();
  calledNames(text.slice(unit.start, unit.end), reachable);
  const kept = new Set<number>();
  for (let grew = true; grew; ) {
    grew = false;
    syncDefs.forEach((d, i) => {
      if (kept.has(i) || !reachable.has(d.name)) return;
      kept.add(i);
      calledNames(text.slice(d.start, d.end), reachable);
      grew = true;
    });
  }
  syncDefs.forEach((d, i) => {
    if (!kept.has(i)) stubs.push({ start: d.start, end: d.end, text: `def ${d.name}(*args, **kwargs): ...` });
  });
  stubs.sort((a, b) => a.start - b.start);
  const disjoint: Stub[] = [];
  for (const s of stubs) if (!disjoint.length || s.start >= disjoint[disjoint.length - 1].end) disjoint.push(s);

  let skeleton = '';
  let pos = 0;
  for (const s of disjoint) {
    skeleton += text.slice(pos, s.start) + s.text;
    pos = s.end;
  }
  skeleton += text.slice(pos);
  const map = new SkeletonMap(disjoint);

  let oldTree: Tree | undefined;
  if (cache.tree && cache.text !== undefined) {
    editToMatch(cache.tree, cache.text, skeleton);
    oldTree = cache.tree;
  }
  const unitSkel = { start: map.toSkeleton(unit.start), end: map.toSkeleton(unit.end) };
  let part: PythonAnalysis;
  try {
    part = analyzePython(parser, skeleton, settings, { ...options, oldTree, focus: unitSkel });
  } catch (error) {
    // Out of time (the budget): the cached tree was edited toward a text it never reached; drop it.
    cache.tree?.delete();
    cache.tree = undefined;
    cache.text = undefined;
    throw error;
  }
  cache.tree?.delete();
  cache.tree = part.parsedTree?.copy();
  cache.text = cache.tree ? skeleton : undefined;
  let fresh: Finding[];
  const lines = new LineIndex(text);
  try {
    fresh = [];
    for (const f of part.findings) {
      if (f.start < unitSkel.start || f.end > unitSkel.end) continue;
      const moved = moveFinding(f, (o) => map.toOriginal(o), lines);
      if (moved) fresh.push(moved);
    }
  } finally {
    part.dispose();
  }
  const carried: Finding[] = [];
  for (const f of previous) {
    const moved = moveFinding(f, mapOffset, lines);
    if (!moved || (moved.start < unit.end && unit.start < moved.end) || (moved.start >= unit.start && moved.start <= unit.end)) continue;
    carried.push(moved);
  }
  const findings = [...carried, ...fresh].sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  return new PythonAnalysis(parser, text, findings, tree);
}

/** A finding at new offsets (positions recomputed), with the fixes whose edits all map; undefined if its range does not. */
function moveFinding(f: Finding, map: (offset: number) => number | undefined, lines: LineIndex): Finding | undefined {
  const start = map(f.start);
  const end = map(f.end);
  if (start === undefined || end === undefined || end < start) return undefined;
  const fixes: Fix[] = [];
  for (const fix of f.fixes) {
    const edits: TextEdit[] = [];
    for (const e of fix.edits) {
      const s = map(e.start);
      const t = map(e.end);
      if (s === undefined || t === undefined || t < s) break;
      edits.push({ start: s, end: t, newText: e.newText });
    }
    if (edits.length === fix.edits.length) fixes.push({ ...fix, edits });
  }
  return { ...f, start, end, startPosition: lines.position(start), endPosition: lines.position(end), fixes };
}
