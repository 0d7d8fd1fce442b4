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

/** A statement at module level or a member of a module-level class: what the window re-analyses. */
interface Unit {
  readonly start: number;
  readonly end: number;
  /** The class a member belongs to. */
  readonly cls?: Node;
  /** A function's name (callers follow it), a class's, or the names a module-level statement binds. */
  readonly names: readonly string[];
}

/** Statements whose change every function may see: only a full analysis is exact after them. */
const MODULE_WIDE = /\bimport\b|\bglobal\b|\bnonlocal\b|\b__all__\b/;
/** Comments that suppress findings on their line: an edit near one is left to the full analysis. */
const SUPPRESSION = /noqa|asyncwise/i;
/** Past this share of the file, a window costs what the full analysis costs. */
const MAX_WINDOW_SHARE = 0.4;

const definitionOf = (n: Node): Node | null => (n.type === 'decorated_definition' ? n.childForFieldName('definition') : n);
/** A definition with its decorators: what a window or a stub spans. */
const outerOf = (n: Node): Node => (n.parent?.type === 'decorated_definition' ? n.parent : n);
/** Touching counts: text typed right after a statement's last character extends it. */
const touches = (n: Node, s: { start: number; end: number }) => n.startIndex <= s.end && s.start <= n.endIndex;

/**
 * What other code sees of an edited statement, so its callers are re-analysed too: a function's
 * name (unless only an async function's body changed: a coroutine's callers depend on its header
 * alone), a class's name, the names a module-level assignment binds.
 */
function bindings(node: Node, spans: readonly { start: number; end: number }[]): string[] {
  const def = definitionOf(node);
  if (def && (def.type === 'function_definition' || def.type === 'class_definition')) {
    const body = def.childForFieldName('body');
    const bodyOnly = body !== null && spans.every((s) => !touches(node, s) || (body.startIndex <= s.start && s.end <= body.endIndex));
    if (def.type === 'function_definition' && def.child(0)?.type === 'async' && bodyOnly) return [];
    const name = def.childForFieldName('name')?.text;
    return name ? [name] : [];
  }
  // `NAME = …` / `NAME: T = …` at module level: a global some function may use.
  const names: string[] = [];
  for (const m of node.text.matchAll(/^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)/gm)) names.push(m[1]);
  return names;
}

/**
 * The statements an edit touched, in the new tree: every module-level statement overlapping the
 * changed text or a span whose parse changed, narrowed to class members when the change stays
 * inside a class body. Undefined when one of them is something every function may depend on.
 */
function editedUnits(root: Node, spans: readonly { start: number; end: number }[]): Unit[] | undefined {
  const units: Unit[] = [];
  for (const child of root.namedChildren) {
    if (!child) continue;
    const here = spans.filter((s) => touches(child, s));
    if (here.length === 0) continue;
    const def = definitionOf(child);
    const body = def?.type === 'class_definition' ? def.childForFieldName('body') : null;
    if (def && body && here.every((s) => body.startIndex <= s.start && s.end <= body.endIndex)) {
      for (const member of body.namedChildren) {
        if (!member || !here.some((s) => touches(member, s))) continue;
        if (MODULE_WIDE.test(member.text)) return undefined;
        units.push({ start: member.startIndex, end: member.endIndex, cls: def, names: bindings(member, here) });
      }
      continue;
    }
    const t = def?.type;
    if (t !== 'function_definition' && t !== 'class_definition' && MODULE_WIDE.test(child.text)) return undefined;
    if (child.type.includes('import')) return undefined;
    units.push({ start: child.startIndex, end: child.endIndex, names: bindings(child, here) });
  }
  return units;
}

/** Functions at module level and methods of module-level classes, with their class. */
function* allDefs(root: Node): Generator<{ fn: Node; cls?: Node }> {
  yield* moduleAndClassDefs(root, () => true, () => undefined);
}

/**
 * Analyses `text` (whose parse is `tree`) given that only `[start, end)` changed since `previous`
 * (whose findings are mapped to the current text by `mapOffset`). The window is every statement the
 * change touched (a function, a method, a class-level line, a module-level statement; see
 * `editedUnits`) plus the async functions that call or name what those statements define (a sync
 * helper that now blocks, a renamed class): their findings are computed afresh on a skeleton of the
 * file; every other finding is carried over. Returns undefined when the change touches what every
 * function depends on (imports, globals declarations) or most of the file; the caller then runs a
 * full analysis.
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
  /** Where the re-parse changed the tree's structure (old tree's `getChangedRanges`): those statements are re-analysed too. */
  structureChanged: readonly { startIndex: number; endIndex: number }[] = [],
): PythonAnalysis | undefined {
  const spans = [changed, ...structureChanged.map((r) => ({ start: r.startIndex, end: r.endIndex }))];
  const lines = new LineIndex(text);
  // A suppression comment on a line the change touched applies to findings anywhere on that line.
  const firstLine = lines.lineStart(lines.position(changed.start).line);
  const lastLine = lines.lineStart(lines.position(changed.end).line + 1);
  if (SUPPRESSION.test(text.slice(firstLine, lastLine))) return undefined;
  const edited = editedUnits(tree.rootNode, spans);
  if (!edited) return undefined;
  const units: Unit[] = [...edited];

  // Callers: async functions that call (or name) what the edited statements define, directly or
  // through sync functions of the file — an edited helper may now block, or no longer does. A
  // method is reached as `self.name` from its own class, as `obj.name` from anywhere else.
  const inUnit = (n: Node) => units.some((u) => n.startIndex < u.end && u.start < n.endIndex);
  const moduleNames = new Set<string>();
  const methodNames = new Map<number, Set<string>>();
  const bind = (name: string, cls: Node | undefined) => {
    const set = cls ? (methodNames.get(cls.startIndex) ?? methodNames.set(cls.startIndex, new Set()).get(cls.startIndex)!) : moduleNames;
    if (set.has(name)) return false;
    set.add(name);
    return true;
  };
  for (const u of units) for (const name of u.names) bind(name, u.cls);
  if (moduleNames.size + methodNames.size > 0) {
    const defs = [...allDefs(tree.rootNode)].filter(({ fn }) => !inUnit(fn));
    const words = (names: Iterable<string>) => [...names].map(escapeRegExp).join('|');
    for (let grew = true; grew; ) {
      grew = false;
      const moduleWords = words(moduleNames);
      const foreign = words([...methodNames.values()].flatMap((set) => [...set]));
      const patterns = new Map<number, RegExp | undefined>();
      const patternFor = (cls: Node | undefined): RegExp | undefined => {
        const key = cls?.startIndex ?? -1;
        if (patterns.has(key)) return patterns.get(key);
        const own = cls ? words(methodNames.get(cls.startIndex) ?? []) : '';
        const parts = [moduleWords && `\\b(?:${moduleWords})\\b`, own && `\\b(?:${own})\\b`, foreign && `(?<!\\b(?:self|cls)\\.)\\b(?:${foreign})\\b`].filter(Boolean);
        const re = parts.length > 0 ? new RegExp(parts.join('|')) : undefined;
        patterns.set(key, re);
        return re;
      };
      for (const { fn, cls } of defs) {
        const name = fn.childForFieldName('name')?.text;
        const body = fn.childForFieldName('body');
        if (name === undefined || !body || inUnit(fn)) continue;
        const re = patternFor(cls);
        // The body, not the header: a method of the same name in another class is no caller.
        if (!re || !re.test(text.slice(body.startIndex, body.endIndex))) continue;
        if (fn.child(0)?.type === 'async') {
          const outer = outerOf(fn);
          units.push({ start: outer.startIndex, end: outer.endIndex, cls, names: [] });
        } else if (bind(name, cls)) grew = true;
      }
    }
  }
  const windowSize = units.reduce((n, u) => n + (u.end - u.start), 0);
  if (windowSize > text.length * MAX_WINDOW_SHARE) return undefined;

  const carried: Finding[] = [];
  for (const f of previous) {
    const moved = moveFinding(f, mapOffset, lines);
    if (!moved || units.some((u) => (moved.start < u.end && u.start < moved.end) || (moved.start >= u.start && moved.start <= u.end))) continue;
    carried.push(moved);
  }
  // Only blank space changed between statements: every finding stays, moved.
  if (units.length === 0) return new PythonAnalysis(parser, text, carried, tree);

  // The classes of edited members: their `__init__` says what `self.x` holds.
  const unitClasses = new Set(units.flatMap((u) => (u.cls ? [u.cls.startIndex] : [])));

  // Other functions shrink to a one-line stub that keeps what other code sees of them (the name
  // and whether it is a coroutine function). Sync functions stay whole when the window may reach
  // them by name (the blocking helpers AW202 follows) or when they set up an object.
  const syncDefs: { name: string; start: number; end: number; cls?: Node; outer: Node }[] = [];
  const stubs: Stub[] = [];
  // Classes the window can see: its own, those it names (constructors, annotations, receivers
  // typed by them) and their bases, transitively. The others shrink to `class X: ...`.
  const unitText = units.map((u) => text.slice(u.start, u.end)).join('\n');
  const classes = moduleClasses(tree.rootNode);
  const keptClasses = new Set<number>(unitClasses);
  // Names, not substrings: the words of what the window holds, grown by each kept class's bases.
  const seen = wordsOf(unitText);
  for (const c of classes) if (keptClasses.has(c.start)) wordsOf(c.bases, seen);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of classes) {
      if (keptClasses.has(c.start) || c.name === '' || !seen.has(c.name)) continue;
      keptClasses.add(c.start);
      wordsOf(c.bases, seen);
      grew = true;
    }
  }
  // A module-level def or class the window never names is left out of the skeleton altogether
  // (decorators included): nothing in the window can see it, and every rule's walk gets shorter.
  const dropped: { name: string; start: number; end: number; stub: string }[] = [];
  const defs = moduleAndClassDefs(
    tree.rootNode,
    (cls) => keptClasses.has(cls.startIndex) || inUnit(cls),
    (cls, name) => dropped.push({ name, start: outerOf(cls).startIndex, end: outerOf(cls).endIndex, stub: `class ${name}: ...` }),
  );
  const moduleLevelStubs: { name: string; fn: Node; stub: string }[] = [];
  for (const { fn, cls } of defs) {
    const name = fn.childForFieldName('name')?.text;
    if (name === undefined) continue;
    // Functions in the window stay whole, nested defs included.
    if (inUnit(fn)) continue;
    if (fn.child(0)?.type === 'async') {
      const stub = `async def ${name}(*args, **kwargs): ...`;
      if (cls) stubs.push({ start: fn.startIndex, end: fn.endIndex, text: stub });
      else moduleLevelStubs.push({ name, fn, stub });
    } else if (!(ALWAYS_KEPT.has(name) && cls !== undefined && unitClasses.has(cls.startIndex))) syncDefs.push({ name, start: fn.startIndex, end: fn.endIndex, cls, outer: outerOf(fn) });
  }
  const reachable = new Set<string>();
  calledNames(unitText, reachable);
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
  // Every name the skeleton's kept code spells.
  const named = new Set(seen);
  syncDefs.forEach((d, i) => {
    if (kept.has(i)) wordsOf(text.slice(d.start, d.end), named);
  });
  for (const d of dropped) stubs.push({ start: d.start, end: d.end, text: named.has(d.name) ? d.stub : '' });
  for (const { name, fn, stub } of moduleLevelStubs) {
    if (named.has(name)) stubs.push({ start: fn.startIndex, end: fn.endIndex, text: stub });
    else stubs.push({ start: outerOf(fn).startIndex, end: outerOf(fn).endIndex, text: '' });
  }
  syncDefs.forEach((d, i) => {
    if (kept.has(i)) return;
    if (d.cls || named.has(d.name)) stubs.push({ start: d.start, end: d.end, text: `def ${d.name}(*args, **kwargs): ...` });
    else stubs.push({ start: d.outer.startIndex, end: d.outer.endIndex, text: '' });
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

  const fresh: Finding[] = [];
  {
    let oldTree: Tree | undefined;
    if (cache.tree && cache.text !== undefined) {
      editToMatch(cache.tree, cache.text, skeleton);
      oldTree = cache.tree;
    }
    const inSkeleton = units.map((u) => ({ start: map.toSkeleton(u.start), end: map.toSkeleton(u.end) }));
    const focus = { start: Math.min(...inSkeleton.map((u) => u.start)), end: Math.max(...inSkeleton.map((u) => u.end)) };
    let part: PythonAnalysis;
    try {
      part = analyzePython(parser, skeleton, settings, { ...options, oldTree, focus });
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
    try {
      if (cache.tree && units.every((u, i) => sameParse(tree, u, cache.tree!, inSkeleton[i]))) {
        for (const f of part.findings) {
          if (!inSkeleton.some((u) => u.start <= f.start && f.end <= u.end)) continue;
          const moved = moveFinding(f, (o) => map.toOriginal(o), lines);
          if (moved) fresh.push(moved);
        }
      } else {
        // Half-typed code whose error recovery differs in the skeleton (tree-sitter's recovery
        // depends on the text around): the window's findings from the file itself, focused.
        const exact = analyzePython(parser, text, settings, { ...options, oldTree: tree.copy(), focus: { start: Math.min(...units.map((u) => u.start)), end: Math.max(...units.map((u) => u.end)) } });
        try {
          for (const f of exact.findings) if (units.some((u) => u.start <= f.start && f.end <= u.end)) fresh.push(f);
        } finally {
          exact.dispose();
        }
      }
    } finally {
      part.dispose();
    }
  }
  const findings = [...carried, ...fresh].sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  return new PythonAnalysis(parser, text, findings, tree);
}

/** The node spanning exactly `[start, end)`, if the parse has one. */
function nodeSpanning(tree: Tree, start: number, end: number): Node | undefined {
  for (let n: Node | null = tree.rootNode.descendantForIndex(start, Math.max(start, end - 1)); n; n = n.parent) {
    if (n.startIndex === start && n.endIndex === end) return n;
    if (n.startIndex < start || n.endIndex > end) return undefined;
  }
  return undefined;
}

/** Whether the skeleton parsed a window statement as the file did (always, unless error recovery reached it). */
function sameParse(tree: Tree, unit: { start: number; end: number }, skeletonTree: Tree, inSkeleton: { start: number; end: number }): boolean {
  const real = nodeSpanning(tree, unit.start, unit.end);
  const skel = nodeSpanning(skeletonTree, inSkeleton.start, inSkeleton.end);
  if (!real || !skel || real.type !== skel.type) return false;
  if (!real.hasError && !skel.hasError) return true;
  return real.toString() === skel.toString();
}

/** The identifiers `text` spells, added to `into`. */
function wordsOf(text: string, into = new Set<string>()): Set<string> {
  for (const m of text.matchAll(/[A-Za-z_]\w*/g)) into.add(m[0]);
  return into;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
