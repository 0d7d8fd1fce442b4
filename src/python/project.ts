/**
 * The project index: a small summary of every Python module of a project, so rules can follow calls
 * into the project's own functions (AW202 blocking chains, AW301 coroutine functions of other
 * modules). Independent of VS Code and of the file system: files are registered by path and read
 * through a callback when first needed.
 *
 * A summary is plain data (names, flags, call targets as strings) built from one query over one
 * parse; the tree is disposed at once. Summaries are cached by content hash, so re-registering an
 * unchanged file costs a hash. Module names come from the paths: the dotted package path through
 * `__init__.py` folders, and also the path relative to each project root (minus a `src/` folder),
 * so `from pkg import x` resolves in both regular and namespace-package layouts.
 *
 * Call targets in a summary are one of:
 *   `time.sleep`, `.helpers.load` qualified (relative imports keep their dots; resolved on lookup)
 *   `local:load_config`             a module-level def or class of the same module (`local:Cls.make`)
 *   `self:_load`                    a method of the enclosing class (`self.x()` / `cls.x()`)
 *   `super:_load`                   a method of a base class (`super().x()`)
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { ancestors } from './ancestors';
import { fsPath } from '../core/files';
import * as path from 'node:path';
import type { Node, QueryMatch } from 'web-tree-sitter';
import type { PythonParser } from './parser';
import { headerEnd, outline, type Segment } from './outline';
import type { Scope, Scopes } from './scopes';

/** One call a sync function makes. */
export interface CallSite {
  readonly target: string;
  /** The callee as written (`self._load`, `json.load`), for messages. */
  readonly text: string;
  /** The call names a file of the package itself (see `packagePathNames`): `open(HERE / "x.lua")`. */
  readonly packageFile?: true;
}

export interface FunctionSummary {
  readonly name: string;
  readonly async: boolean;
  /** 0-based row of the `def`. */
  readonly line: number;
  /** Decorators, resolved when they name an import (`functools.lru_cache`), else as written. */
  readonly decorators: readonly string[];
  /** Sync functions only: the calls the body makes (not nested defs or lambdas), in source order. */
  readonly calls: readonly CallSite[];
  /** Sync functions only: methods called on receivers of unknown type (`p.read_text()` → `read_text`). */
  readonly methods: readonly string[];
  /** Sync functions only: such methods called on a file of the package itself (`(HERE / "x.lua").read_text()`). */
  readonly packageFileMethods: readonly string[];
}

export interface ClassSummary {
  readonly name: string;
  readonly line: number;
  /** Base classes as call targets (`local:Base`, `.base.Client`, `abc.ABC`). */
  readonly bases: readonly string[];
  readonly methods: ReadonlyMap<string, FunctionSummary>;
}

export interface ModuleSummary {
  /** Content hash of the text it was built from. */
  readonly hash: string;
  /** Local name → qualified name of every import binding (relative ones keep their leading dots). */
  readonly imports: ReadonlyMap<string, string>;
  readonly functions: ReadonlyMap<string, FunctionSummary>;
  readonly classes: ReadonlyMap<string, ClassSummary>;
}

/** A function or method found by `lookup`. */
export interface FunctionRef {
  readonly qualifiedName: string;
  /** The module it is defined in. */
  readonly module: string;
  readonly className?: string;
  readonly summary: FunctionSummary;
}

/**
 * Says whether a resolved call blocks (AW201's catalog): `qualifiedName` for resolved callees,
 * `method` alone for a method on a receiver of unknown type; `packageFile` when the call names a
 * file of the package itself (`packagePathNames`).
 */
export type BlockingTest = (qualifiedName: string | undefined, method?: string, packageFile?: boolean) => unknown;

/**
 * A blocking chain: the calls from a function down to a blocking one (`['load_config', 'open']`),
 * and `origin`, which identifies that blocking call (the function making it and the call), so that
 * chains reaching it from different entry points can be told to share one root cause.
 */
export interface Chain {
  readonly steps: readonly string[];
  readonly origin: string;
  /** The functions the chain goes through, in order: `hops[i]` makes the call `steps[i]`. */
  readonly hops: readonly ChainHop[];
}

/** A function of a blocking chain: where it is defined (editors show each hop as a location). */
export interface ChainHop {
  readonly module: string;
  /** `Class.method` or `function`. */
  readonly name: string;
  /** 0-based row of its `def`. */
  readonly line: number;
}

function hopOf(ref: FunctionRef): ChainHop {
  return { module: ref.module, name: ref.className ? `${ref.className}.${ref.summary.name}` : ref.summary.name, line: ref.summary.line };
}

/** Decorators that leave a function's calling behaviour alone; any other one may change it (run it in a thread, make it a task). */
const TRANSPARENT_DECORATORS = new Set([
  'staticmethod', 'classmethod', 'functools.wraps', 'functools.lru_cache', 'functools.cache', 'lru_cache', 'cache',
  'abc.abstractmethod', 'abstractmethod', 'typing.overload', 'overload',
  'typing.final', 'typing.override', 'typing_extensions.override', 'typing_extensions.final', 'override', 'final',
]);

/** Files that mark a project root. */
export const PROJECT_MARKERS = ['pyproject.toml', 'setup.py', 'setup.cfg'];

/** How deep a blocking chain is followed: deeper ones are rarely real and costly to explain. */
export const MAX_CHAIN_DEPTH = 6;

const SUMMARY_QUERY = `
(function_definition "async"? @async name: (identifier) @name body: (block) @body) @def
(class_definition name: (identifier) @name body: (block) @body) @class
(lambda body: (_) @body) @lambda
(call function: [(identifier) (attribute)] @callee) @call
(import_statement) @import
(import_from_statement) @from
(assignment left: (identifier) @var right: (call function: [(identifier) (attribute)] @ctor))
(with_item value: (as_pattern (call function: [(identifier) (attribute)] @ctor) alias: (as_pattern_target (identifier) @var)))
(if_statement condition: (_) @cond) @if
(elif_clause condition: (_) @cond) @elif
`;

/**
 * A branch on an argument's type (`if isinstance(fp, io.IOBase): … else: open(fp)`): which branch
 * runs depends on what the caller passes, and callers in async code usually pass the kind that does
 * not block (a buffer rather than a path). Calls in such an `if` statement are not followed.
 */
const TYPE_DISPATCH = /\b(?:isinstance|issubclass|hasattr|callable)\s*\(/;

const BUILTINS = new Set(['open', 'input', 'print', 'exec', 'eval', 'compile', 'breakpoint', 'super']);

const DOTTED = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;

export function contentHash(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

interface RawScope {
  kind: 'def' | 'class' | 'lambda';
  node: Node;
  name: string;
  isAsync: boolean;
  start: number;
  end: number;
  parent?: RawScope;
  /** Set for the scopes that get a summary: module-level defs, methods of module-level classes. */
  fn?: { summary: FunctionSummary & CallLists; className?: string; vars: Map<string, string> };
  cls?: ClassSummary & { methods: Map<string, FunctionSummary> };
}

/** What a slice of a module (one top-level definition, see outline.ts) is summarised against. */
interface SliceContext {
  /** The module's imports (its statements other than definitions). */
  readonly imports: ReadonlyMap<string, string>;
  /** Every top-level def and class name of the module. */
  readonly moduleNames: ReadonlySet<string>;
  /** Row of the slice's first line in the module. */
  readonly rowOffset: number;
  /** The slice is one method, dedented: its top-level defs are methods of this class (`self.x()`). */
  readonly className?: string;
  /** The module's package paths (from its whole text: a slice lacks the module-level names). */
  readonly packagePaths?: PackagePaths;
}

/**
 * Summarises one parsed module with one query. Does not keep or dispose the tree; `text` must be
 * the tree's source (for the hash). With `slice`, the tree is one top-level definition of a module
 * and its names resolve against the module's imports and definitions; the hash is left empty.
 */
export function summarizeTree(parser: PythonParser, root: Node, text: string, slice?: SliceContext): ModuleSummary {
  const matches = parser.query(SUMMARY_QUERY).matches(root);
  const imports = new Map<string, string>(slice?.imports);
  const rowOffset = slice?.rowOffset ?? 0;
  const scopes: RawScope[] = [];
  const calls: { call: Node; callee: Node }[] = [];
  const constructions: { variable: Node; ctor: Node }[] = [];
  const conditions: { statement: Node; condition: Node }[] = [];
  for (const match of matches) collect(match, imports, scopes, calls, constructions, conditions);

  scopes.sort((a, b) => a.start - b.start || b.end - a.end);
  const stack: RawScope[] = [];
  for (const s of scopes) {
    while (stack.length && !(stack[stack.length - 1].start <= s.start && s.end <= stack[stack.length - 1].end)) stack.pop();
    s.parent = stack[stack.length - 1];
    stack.push(s);
  }

  const functions = new Map<string, FunctionSummary>();
  const classes = new Map<string, ClassSummary & { methods: Map<string, FunctionSummary> }>();
  const moduleNames = new Set<string>(slice?.moduleNames);
  for (const s of scopes) {
    if (s.parent || s.kind === 'lambda') continue;
    // A dedented method is no module-level name.
    if (!slice?.className) moduleNames.add(s.name);
    if (s.kind === 'class') {
      s.cls = { name: s.name, line: s.node.startPosition.row + rowOffset, bases: [], methods: new Map() };
      classes.set(s.name, s.cls);
    }
  }
  const resolveText = (callee: string, fn?: RawScope['fn']): string | undefined => resolveCallee(callee, imports, moduleNames, fn);
  for (const s of scopes) {
    if (s.kind !== 'def') continue;
    const owner = s.parent;
    if (owner && !(owner.kind === 'class' && !owner.parent)) continue;
    const summary = {
      name: s.name,
      async: s.isAsync,
      line: s.node.startPosition.row + rowOffset,
      decorators: decoratorsOf(s.node, imports),
      calls: [] as CallSite[],
      methods: [] as string[],
      packageFileMethods: [] as string[],
    };
    s.fn = { summary, className: owner ? owner.name : slice?.className, vars: new Map() };
    if (owner) owner.cls!.methods.set(s.name, summary);
    else functions.set(s.name, summary);
  }
  for (const s of scopes) {
    if (!s.cls) continue;
    const bases = s.node.childForFieldName('superclasses');
    if (!bases) continue;
    for (const b of bases.namedChildren) {
      if (!b || (b.type !== 'identifier' && b.type !== 'attribute')) continue;
      const target = resolveText(clean(b.text));
      if (target) (s.cls.bases as string[]).push(target);
    }
  }

  const at = (offset: number): RawScope | undefined => innermost(scopes, offset);
  const owner = (offset: number) => {
    const fn = at(offset)?.fn;
    return fn && !fn.summary.async ? fn : undefined;
  };
  // Only conditions inside summarised sync functions are read (their text crosses into wasm).
  const dispatch = typeDispatchRanges(conditions.filter((c) => owner(c.statement.startIndex)));
  const paths = slice ? slice.packagePaths : packagePaths(text, imports);
  addCalls(calls.filter((c) => !inRanges(dispatch, c.call.startIndex)), constructions, owner, imports, moduleNames, paths);
  return { hash: slice ? '' : contentHash(text), imports, functions, classes };
}

/** Says whether a call names a file of the package itself. */
export type PackagePaths = (call: Node) => boolean;

/** Where a path of the package itself comes from: the module's own file, or the resource APIs. */
const PACKAGE_ROOTS = /\b__file__\b|\bimportlib[._]resources\b|\bpkg_resources\b|\bpkgutil\b/;
const PACKAGE_MODULES = /^(importlib\.resources|importlib_resources|pkg_resources|pkgutil)(\.|$)/;
/** `NAME =`, `self.NAME =`, `NAME: T =` at the start of a line (not `==`). */
const ASSIGNMENT_START = /^([ \t]*)((?:self\.)?[A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)/gm;

/**
 * Paths of the package itself — files that ship next to the module (`Path(__file__).parent / "x.lua"`,
 * `importlib.resources.files(pkg) / "schema.json"`): a test for calls that name one, directly or
 * through a name bound to such a path (`HERE = os.path.dirname(__file__)`, then
 * `SCRIPTS = os.path.join(HERE, "lua")`, transitively; at module level, as `self.x`, or in the
 * calling function). Undefined when the module has none (the common case: one regex over the text).
 *
 * Text-level on purpose: a summary is built from one query, and these names are rare.
 */
export function packagePaths(text: string, imports: ReadonlyMap<string, string>): PackagePaths | undefined {
  const seeds = [...imports].filter(([, target]) => PACKAGE_MODULES.test(target)).map(([local]) => local);
  if (!PACKAGE_ROOTS.test(text) && seeds.length === 0) return undefined;
  const moduleNames = derivedNames(text, seeds, (indent, name) => indent === '' || name.startsWith('self.'));
  const mentions = mentionTest([...seeds, ...moduleNames]);
  // By the function's text: slices of one module are parsed apart, so offsets repeat across them.
  const perFunction = new Map<string, (t: string) => boolean>();
  return (call: Node): boolean => {
    const text = call.text;
    if (mentions(text)) return true;
    // Names bound in the calling function (`here = os.path.dirname(__file__)` inside it).
    let fn: Node | undefined;
    for (const n of ancestors(call)) {
      if (n.type !== 'function_definition') continue;
      fn = n;
      break;
    }
    if (!fn) return false;
    const body = fn.text;
    let local = perFunction.get(body);
    if (!local) {
      const names = derivedNames(body, [...seeds, ...moduleNames], () => true);
      perFunction.set(body, (local = mentionTest([...names].filter((n) => !moduleNames.has(n)))));
    }
    return local(text);
  };
}

/** Names assigned (where `keep` allows) from an expression that mentions a package root or an earlier such name. */
function derivedNames(text: string, seeds: readonly string[], keep: (indent: string, name: string) => boolean): Set<string> {
  const assignments: { name: string; value: string }[] = [];
  for (const m of text.matchAll(ASSIGNMENT_START)) {
    if (keep(m[1], m[2])) assignments.push({ name: m[2], value: rightHandSide(text, m.index + m[0].length) });
  }
  const names = new Set<string>();
  // A few passes reach a fixed point: each pass adds the names built on the previous ones.
  for (let changed = true, pass = 0; changed && pass < 5; pass++) {
    changed = false;
    const mentions = mentionTest([...seeds, ...names]);
    for (const a of assignments) {
      if (!names.has(a.name) && mentions(a.value)) {
        names.add(a.name);
        changed = true;
      }
    }
  }
  return names;
}

/** Whether a text mentions a package root or one of the names (`self.x` as such, not `other.self.x`). */
function mentionTest(names: readonly string[]): (text: string) => boolean {
  const alternatives = names.map((n) => n.replace(/\./g, '\\.'));
  const named = alternatives.length ? new RegExp(`(?<![\\w.])(?:${alternatives.join('|')})(?!\\w)`) : undefined;
  return (text) => PACKAGE_ROOTS.test(text) || (named?.test(text) ?? false);
}

/** The assigned expression from `start` to the end of its logical line (brackets may span lines). */
function rightHandSide(text: string, start: number): string {
  let depth = 0;
  let i = start;
  for (; i < text.length && i < start + 500; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
    else if (ch === '\n' && depth === 0 && text[i - 1] !== '\\') break;
  }
  return text.slice(start, i);
}

/** What a sync function's body calls, as collected. */
interface CallLists {
  calls: CallSite[];
  methods: string[];
  packageFileMethods: string[];
}

interface CallCollector {
  readonly summary: CallLists;
  readonly className?: string;
  readonly vars: Map<string, string>;
}

/** Files the calls (and the constructed locals they use) under the sync function `owner` finds for them. */
function addCalls(
  calls: readonly { call: Node; callee: Node }[],
  constructions: readonly { variable: Node; ctor: Node }[],
  owner: (offset: number) => CallCollector | undefined,
  imports: ReadonlyMap<string, string>,
  moduleNames: ReadonlySet<string>,
  paths: PackagePaths | undefined,
): void {
  // Constructed locals first, so `s = requests.Session(); s.get()` resolves to `requests.Session.get`.
  for (const { variable, ctor } of constructions) {
    const fn = owner(variable.startIndex);
    if (!fn) continue;
    const type = resolveCallee(clean(ctor.text), imports, moduleNames);
    if (type && !type.startsWith('self:') && !type.startsWith('super:')) fn.vars.set(variable.text, type);
  }
  for (const { call, callee } of calls) {
    const fn = owner(call.startIndex);
    if (!fn) continue;
    const text = clean(callee.text);
    const target = resolveCallee(text, imports, moduleNames, fn);
    const packageFile = paths?.(call) === true;
    if (target) fn.summary.calls.push(packageFile ? { target, text: shorten(text), packageFile } : { target, text: shorten(text) });
    else if (callee.type === 'attribute') {
      const method = /\.\s*([A-Za-z_]\w*)$/.exec(text)?.[1];
      const list = packageFile ? fn.summary.packageFileMethods : fn.summary.methods;
      if (method && !list.includes(method)) list.push(method);
    }
  }
}

/** What a function body's calls need: the calls, the constructed locals, the type-dispatch branches. */
const BODY_QUERY = `
(call function: [(identifier) (attribute)] @callee) @call
(assignment left: (identifier) @var right: (call function: [(identifier) (attribute)] @ctor))
(with_item value: (as_pattern (call function: [(identifier) (attribute)] @ctor) alias: (as_pattern_target (identifier) @var)))
(if_statement condition: (_) @cond) @if
(elif_clause condition: (_) @cond) @elif
`;

/** The `if` statements (whole, with their elif/else branches) that dispatch on a type; sorted by start. */
function typeDispatchRanges(conditions: readonly { statement: Node; condition: Node }[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const { statement, condition } of conditions) {
    if (TYPE_DISPATCH.test(condition.text)) out.push({ start: statement.startIndex, end: statement.endIndex });
  }
  return out.sort((a, b) => a.start - b.start);
}

function inRanges(ranges: readonly { start: number; end: number }[], offset: number): boolean {
  for (const r of ranges) {
    if (r.start > offset) return false;
    if (offset < r.end) return true;
  }
  return false;
}

/**
 * The summary of the file being analysed, from what its analysis already computed (scopes and
 * imports): no query over the whole file. A sync function's calls are collected on first use by a
 * query over that function alone, so only the few functions a blocking chain passes through cost
 * anything. Reads the tree lazily: use it only while the tree lives (it is never stored in an index).
 */
export function summarizeFromScopes(parser: PythonParser, scopes: Scopes, imports: ReadonlyMap<string, string>, text: string): ModuleSummary {
  const functions = new Map<string, FunctionSummary>();
  const classes = new Map<string, ClassSummary & { methods: Map<string, FunctionSummary> }>();
  const moduleNames = new Set<string>();
  const classNames = new Map<Scope, string>();
  // The module's package paths: a text scan, done when a function's calls are first collected.
  let paths: PackagePaths | null | undefined;
  for (const s of scopes.all) {
    if (s.parent || s.kind === 'lambda') continue;
    const name = s.node.childForFieldName('name')?.text;
    if (!name) continue;
    moduleNames.add(name);
    if (s.kind === 'class') classNames.set(s, name);
  }
  for (const [s, name] of classNames) {
    const bases: string[] = [];
    for (const b of s.node.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (!b || (b.type !== 'identifier' && b.type !== 'attribute')) continue;
      const target = resolveCallee(clean(b.text), imports, moduleNames);
      if (target) bases.push(target);
    }
    classes.set(name, { name, line: s.node.startPosition.row, bases, methods: new Map() });
  }
  for (const s of scopes.all) {
    if (s.kind !== 'function' && s.kind !== 'async-function') continue;
    const owner = s.parent;
    const className = owner ? classNames.get(owner) : undefined;
    if (owner && !className) continue;
    const name = s.node.childForFieldName('name')?.text;
    if (!name) continue;
    const summary = new LazyFunctionSummary(name, s.kind === 'async-function', s.node.startPosition.row, decoratorsOf(s.node, imports), () => {
      const collector: CallCollector = { summary: { calls: [], methods: [], packageFileMethods: [] }, className, vars: new Map() };
      if (s.kind === 'function') {
        const { calls, constructions, conditions } = bodyCalls(parser, s.node);
        const own = (offset: number) => (scopes.functionAt(offset) === s ? collector : undefined);
        const dispatch = typeDispatchRanges(conditions.filter((c) => own(c.statement.startIndex)));
        paths ??= packagePaths(text, imports) ?? null;
        addCalls(calls.filter((c) => !inRanges(dispatch, c.call.startIndex)), constructions, own, imports, moduleNames, paths ?? undefined);
      }
      return collector.summary;
    });
    if (className) classes.get(className)!.methods.set(name, summary);
    else functions.set(name, summary);
  }
  return { hash: contentHash(text), imports, functions, classes };
}

/**
 * A module's summary from its outline (outline.ts): one parse of the statements that are not
 * top-level definitions (imports, assignments, `if`/`try` blocks with the definitions inside them),
 * and each top-level `def` or `class` parsed alone when a lookup first asks for it. Most lookups
 * reach one or two definitions of a module, so most of its text is never parsed. Undefined when
 * the outline is unsure or the statements do not parse cleanly: the caller parses the whole module.
 */
export function summarizeOutlined(parser: PythonParser, text: string, whole: () => ModuleSummary): ModuleSummary | undefined {
  const segments = outline(text);
  if (!segments) return undefined;
  const parts: string[] = [];
  const defs = new Map<string, Segment>();
  const classDefs = new Map<string, Segment>();
  for (const seg of segments) {
    if (seg.kind === 'other') parts.push(text.slice(seg.start, seg.end));
    else {
      // The definition's lines stay as empty lines, so rows in the rest keep their numbers.
      parts.push('\n'.repeat(countNewlines(text, seg.start, seg.end)));
      (seg.kind === 'def' ? defs : classDefs).set(seg.name!, seg);
    }
  }
  const rest = parts.join('');
  const tree = parser.parse(rest);
  let outer: ModuleSummary;
  try {
    if (tree.rootNode.hasError) return undefined;
    // Definitions in the rest (under `if TYPE_CHECKING:`) may name the top-level ones (base classes).
    outer = summarizeTree(parser, tree.rootNode, rest, { imports: new Map(), moduleNames: new Set([...defs.keys(), ...classDefs.keys()]), rowOffset: 0 });
  } finally {
    tree.delete();
  }
  const moduleNames = new Set<string>([...outer.functions.keys(), ...outer.classes.keys(), ...defs.keys(), ...classDefs.keys()]);
  const paths = packagePaths(text, outer.imports);
  const context = (seg: Segment): SliceContext => ({ imports: outer.imports, moduleNames, rowOffset: seg.row, packagePaths: paths });
  // A definition that does not parse alone (the outline misread the module) sends every lookup to the whole parse.
  let fallback: ModuleSummary | undefined;
  const sliceSummary = (seg: Segment): ModuleSummary | undefined => {
    if (fallback) return undefined;
    const source = text.slice(seg.start, seg.end);
    const t = parser.parse(source);
    try {
      if (!t.rootNode.hasError) return summarizeTree(parser, t.rootNode, source, context(seg));
    } finally {
      t.delete();
    }
    fallback = whole();
    return undefined;
  };
  const functions = new LazyDefinitions<FunctionSummary>(outer.functions, defs, (name, seg) => {
    const found = sliceSummary(seg)?.functions.get(name);
    if (!found && !fallback) fallback = whole();
    return fallback ? fallback.functions.get(name) : found;
  });
  const wholeClass = (name: string, seg: Segment) => sliceSummary(seg)?.classes.get(name);
  const method = (className: string, seg: Segment, indent: string, name: string): FunctionSummary | undefined => {
    // Dedented to the module level; a line indented less than the body is in a string: parse the class whole.
    const lines = text.slice(seg.start, seg.end).split('\n');
    for (let k = 0; k < lines.length; k++) {
      if (lines[k].startsWith(indent)) lines[k] = lines[k].slice(indent.length);
      else if (/^[ \t\f]*\r?$/.test(lines[k])) lines[k] = '';
      else return wholeClass(className, classDefs.get(className)!)?.methods.get(name);
    }
    const source = lines.join('\n');
    const t = parser.parse(source);
    try {
      const found = t.rootNode.hasError ? undefined : summarizeTree(parser, t.rootNode, source, { ...context(seg), className }).functions.get(name);
      return found ?? wholeClass(className, classDefs.get(className)!)?.methods.get(name);
    } finally {
      t.delete();
    }
  };
  /** A class: its header and body statements other than methods at once, each method when first asked for. */
  const outlinedClass = (name: string, seg: Segment): ClassSummary | undefined => {
    const colon = headerEnd(text, seg.keyword, seg.end);
    const nl = colon < 0 ? -1 : text.indexOf('\n', colon);
    // `class A: pass` on one line, or no body line: small, parse it whole.
    if (nl < 0 || nl >= seg.end || !/^[ \t\f]*(#.*)?\r?$/.test(text.slice(colon, nl))) return wholeClass(name, seg);
    const bodyStart = nl + 1;
    const indent = /^[ \t\f]*/.exec(text.slice(bodyStart, seg.end).split('\n').find((l) => /\S/.test(l) && !/^\s*#/.test(l)) ?? '')![0];
    const bodyRow = seg.row + countNewlines(text, seg.start, bodyStart);
    const body = indent ? outline(text, bodyStart, seg.end, indent, bodyRow) : undefined;
    if (!body) return wholeClass(name, seg);
    const parts = [text.slice(seg.start, bodyStart)];
    const methods = new Map<string, Segment>();
    for (const b of body) {
      if (b.kind !== 'def') parts.push(text.slice(b.start, b.end));
      else {
        parts.push('\n'.repeat(countNewlines(text, b.start, b.end)));
        methods.set(b.name!, b);
      }
    }
    parts.push(`${indent}pass\n`);
    const source = parts.join('');
    const t = parser.parse(source);
    let cls: ClassSummary | undefined;
    try {
      if (!t.rootNode.hasError) cls = summarizeTree(parser, t.rootNode, source, context(seg)).classes.get(name);
    } finally {
      t.delete();
    }
    if (!cls) return wholeClass(name, seg);
    return { ...cls, methods: new LazyDefinitions<FunctionSummary>(cls.methods, methods, (m, mseg) => method(name, mseg, indent, m)) };
  };
  const classes = new LazyDefinitions<ClassSummary>(outer.classes, classDefs, (name, seg) => {
    const found = outlinedClass(name, seg);
    if (!found && !fallback) fallback = whole();
    return fallback ? fallback.classes.get(name) : found;
  });
  return { hash: contentHash(text), imports: outer.imports, functions, classes };
}

function countNewlines(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', start); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/**
 * The functions (or classes) of an outlined module: those inside other statements known at once,
 * top-level ones summarised on first `get`. Iterating summarises them all.
 */
class LazyDefinitions<V> implements ReadonlyMap<string, V> {
  private readonly done = new Map<string, V | undefined>();

  constructor(
    private readonly eager: ReadonlyMap<string, V>,
    private readonly segments: ReadonlyMap<string, Segment>,
    private readonly build: (name: string, segment: Segment) => V | undefined,
  ) {}

  get(name: string): V | undefined {
    const seg = this.segments.get(name);
    if (!seg) return this.eager.get(name);
    if (!this.done.has(name)) this.done.set(name, this.build(name, seg));
    return this.done.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  get size(): number {
    return [...this.keys()].length;
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  *entries(): MapIterator<[string, V]> {
    const names = new Set([...this.eager.keys(), ...this.segments.keys()]);
    for (const name of names) {
      const value = this.get(name);
      if (value !== undefined) yield [name, value];
    }
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) callback(v, k, this);
  }
}

function bodyCalls(parser: PythonParser, fn: Node) {
  const calls: { call: Node; callee: Node }[] = [];
  const constructions: { variable: Node; ctor: Node }[] = [];
  const conditions: { statement: Node; condition: Node }[] = [];
  for (const match of parser.query(BODY_QUERY).matches(fn)) {
    const by: Record<string, Node> = {};
    for (const c of match.captures) by[c.name] = c.node;
    if (by.cond) {
      const statement = by.if ?? by.elif?.parent;
      if (statement) conditions.push({ statement, condition: by.cond });
    } else if (by.call && by.callee) calls.push({ call: by.call, callee: by.callee });
    else if (by.var && by.ctor) constructions.push({ variable: by.var, ctor: by.ctor });
  }
  return { calls, constructions, conditions };
}

/** A function summary whose calls are collected when first read. */
class LazyFunctionSummary implements FunctionSummary {
  private body: CallLists | undefined;
  constructor(
    readonly name: string,
    readonly async: boolean,
    readonly line: number,
    readonly decorators: readonly string[],
    private readonly collect: () => CallLists,
  ) {}
  get calls(): readonly CallSite[] {
    return (this.body ??= this.collect()).calls;
  }
  get methods(): readonly string[] {
    return (this.body ??= this.collect()).methods;
  }
  get packageFileMethods(): readonly string[] {
    return (this.body ??= this.collect()).packageFileMethods;
  }
}

function collect(
  match: QueryMatch,
  imports: Map<string, string>,
  scopes: RawScope[],
  calls: { call: Node; callee: Node }[],
  constructions: { variable: Node; ctor: Node }[],
  conditions: { statement: Node; condition: Node }[],
): void {
  const by: Record<string, Node> = {};
  for (const c of match.captures) by[c.name] = c.node;
  if (by.cond) {
    const statement = by.if ?? by.elif?.parent;
    if (statement) conditions.push({ statement, condition: by.cond });
  } else if (by.import) addImport(by.import, imports);
  else if (by.from) addFromImport(by.from, imports);
  else if (by.call && by.callee) calls.push({ call: by.call, callee: by.callee });
  else if (by.var && by.ctor) constructions.push({ variable: by.var, ctor: by.ctor });
  else if (by.body) {
    const node = by.def ?? by.class ?? by.lambda;
    if (!node) return;
    const kind = by.def ? 'def' : by.class ? 'class' : 'lambda';
    scopes.push({ kind, node, name: by.name?.text ?? '', isAsync: Boolean(by.async), start: by.body.startIndex, end: by.body.endIndex });
  }
}

/** The innermost scope whose body holds the offset (scopes sorted by start, parents linked). */
function innermost(scopes: readonly RawScope[], offset: number): RawScope | undefined {
  let lo = 0;
  let hi = scopes.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (scopes[mid].start <= offset) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let s: RawScope | undefined = scopes[best]; s; s = s.parent) if (s.start <= offset && offset < s.end) return s;
  return undefined;
}

/**
 * A call target for a callee written as `text` (whitespace removed), or undefined when it names
 * nothing the index can follow (a local variable, a method of an unknown object).
 */
function resolveCallee(text: string, imports: ReadonlyMap<string, string>, moduleNames: ReadonlySet<string>, fn?: { className?: string; vars: ReadonlyMap<string, string> }): string | undefined {
  if (text.startsWith('super().')) {
    const rest = text.slice('super().'.length);
    return fn?.className && DOTTED.test(rest) && !rest.includes('.') ? `super:${rest}` : undefined;
  }
  if (!DOTTED.test(text)) return undefined;
  const dot = text.indexOf('.');
  const head = dot < 0 ? text : text.slice(0, dot);
  const rest = dot < 0 ? '' : text.slice(dot);
  if ((head === 'self' || head === 'cls') && fn?.className) return rest.lastIndexOf('.') === 0 ? `self:${rest.slice(1)}` : undefined;
  const local = fn?.vars.get(head);
  if (local !== undefined && rest) return local + rest;
  const imported = imports.get(head);
  if (imported !== undefined) return joinName(imported, rest.slice(1));
  if (moduleNames.has(head)) return `local:${text}`;
  if (!rest && BUILTINS.has(head)) return `builtins.${head}`;
  return undefined;
}

function decoratorsOf(def: Node, imports: ReadonlyMap<string, string>): string[] {
  const parent = def.parent;
  if (parent?.type !== 'decorated_definition') return [];
  const out: string[] = [];
  for (const d of parent.namedChildren) {
    if (!d || d.type !== 'decorator') continue;
    let text = clean(d.text.replace(/^@/, ''));
    const paren = text.indexOf('(');
    if (paren >= 0) text = text.slice(0, paren);
    const dot = text.indexOf('.');
    const head = dot < 0 ? text : text.slice(0, dot);
    const imported = imports.get(head);
    out.push(imported !== undefined ? joinName(imported, dot < 0 ? '' : text.slice(dot + 1)) : text);
  }
  return out;
}

function addImport(node: Node, imports: Map<string, string>): void {
  for (const child of node.childrenForFieldName('name')) {
    if (!child) continue;
    if (child.type === 'aliased_import') {
      const name = child.childForFieldName('name')?.text;
      const alias = child.childForFieldName('alias')?.text;
      if (name && alias) imports.set(alias, clean(name));
    } else if (child.type === 'dotted_name') {
      // `import a.b` binds `a`; `a.b.f()` then resolves through the attribute path.
      const first = clean(child.text).split('.')[0];
      if (!imports.has(first)) imports.set(first, first);
    }
  }
}

function addFromImport(node: Node, imports: Map<string, string>): void {
  const moduleNode = node.childForFieldName('module_name');
  if (!moduleNode) return;
  const module = clean(moduleNode.text);
  for (const child of node.childrenForFieldName('name')) {
    if (!child) continue;
    if (child.type === 'aliased_import') {
      const name = child.childForFieldName('name')?.text;
      const alias = child.childForFieldName('alias')?.text;
      if (name && alias) imports.set(alias, joinName(module, clean(name)));
    } else if (child.type === 'dotted_name') {
      const name = clean(child.text);
      imports.set(name, joinName(module, name));
    }
  }
}

function clean(text: string): string {
  return text.replace(/\s+/g, '');
}

function shorten(text: string): string {
  return text.length <= 40 ? text : `…${text.slice(-39)}`;
}

function joinName(module: string, name: string): string {
  if (!name) return module;
  return module.endsWith('.') ? module + name : `${module}.${name}`;
}

/**
 * The absolute name of a relative one (`..util.f` from module `pkg.sub.mod` → `pkg.util.f`); a
 * package's `__init__` counts as the package itself. Undefined when it climbs above the top.
 */
export function absoluteName(name: string, fromModule: string, fromIsPackage: boolean): string | undefined {
  if (!name.startsWith('.')) return name;
  const dots = /^\.+/.exec(name)![0].length;
  const parts = fromModule ? fromModule.split('.') : [];
  if (!fromIsPackage) parts.pop();
  for (let i = 1; i < dots; i++) {
    if (parts.length === 0) return undefined;
    parts.pop();
  }
  const rest = name.slice(dots);
  if (!rest) return parts.length ? parts.join('.') : undefined;
  return [...parts, rest].join('.');
}

/** The nearest folder at or above `file`'s folder holding pyproject.toml, setup.py or setup.cfg. */
export function findProjectRoot(file: string, exists: (p: string) => boolean = fs.existsSync): string | undefined {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (PROJECT_MARKERS.some((m) => exists(path.join(dir, m)))) return dir;
    if (dir === path.dirname(dir)) return undefined;
  }
}

interface Entry {
  summary?: ModuleSummary;
  /** Text given by `update` but not summarised yet (summaries are built on first use). */
  pending?: string;
  /** True once reading failed: not retried until the file is registered again. */
  unreadable?: boolean;
}

export interface ProjectIndexOptions {
  /** Project roots (folders); module names are also computed relative to each (a `src/` folder dropped). */
  readonly roots?: readonly string[];
  /** Reads a registered file that has no text yet; default: from disk as UTF-8. */
  readonly read?: (file: string) => string | undefined;
}

/** A module's summary with what relative imports need. */
interface ModuleRecord {
  readonly name: string;
  readonly file: string;
  readonly isPackage: boolean;
  readonly summary: ModuleSummary;
}

/** Blocking chains already computed, per function (null: does not block). */
export type ChainMemo = Map<FunctionSummary, Chain | null>;

/** A module summary that stands in for the index's copy of one file (the text being analysed). */
export interface Overlay {
  readonly file?: string;
  readonly module: string;
  readonly isPackage: boolean;
  readonly summary: ModuleSummary;
}

export class ProjectIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly roots: string[];
  private readonly read: (file: string) => string | undefined;
  private byName: Map<string, string[]> | undefined;
  private chains = new WeakMap<BlockingTest, ChainMemo>();
  /** Bumped on every change; cached chains are from one generation. */
  private generation = 0;
  private chainGeneration = 0;

  constructor(
    private readonly parser: PythonParser,
    options: ProjectIndexOptions = {},
  ) {
    this.roots = (options.roots ?? []).map((r) => path.resolve(r));
    this.read = options.read ?? readUtf8;
  }

  /** Registered files (absolute paths). */
  get files(): string[] {
    return [...this.entries.keys()];
  }

  /** Registers a file whose text is read when a lookup first needs it. */
  add(file: string): void {
    const key = path.resolve(file);
    if (this.entries.has(key)) return;
    this.entries.set(key, {});
    // Scanned with the others, or now if the others already were.
    if (this.scans) {
      this.scans.set(key, scanDefinitions(this.read(key) ?? ''));
      this.scanned = undefined;
    }
    this.changed(true);
  }

  /**
   * Gives a file's current text (an edit in the editor). Returns true when the file is new or its
   * summary changed (a change other modules' findings may depend on), false for an edit inside a
   * function body that changes no call, no name and no flag.
   */
  update(file: string, text: string): boolean {
    const key = path.resolve(file);
    // The given text, not the file on disk, is what the name scan must see (unsaved edits).
    this.scans ??= this.scanAll();
    this.scans.set(key, scanDefinitions(text));
    this.scanned = undefined;
    const entry = this.entries.get(key);
    if (!entry) {
      this.entries.set(key, { pending: text });
      this.changed(true);
      return true;
    }
    if (entry.summary?.hash === contentHash(text)) return false;
    const before = entry.summary ?? (entry.pending !== undefined ? this.summarize(entry.pending) : undefined);
    const after = this.summarize(text);
    entry.summary = after;
    entry.pending = undefined;
    entry.unreadable = false;
    if (before && sameShape(before, after)) return false;
    this.changed(false);
    return true;
  }

  /** Drops a file's cached summary: the next lookup reads it again (changed on disk). */
  invalidate(file: string): void {
    const entry = this.entries.get(path.resolve(file));
    if (!entry) return;
    entry.summary = undefined;
    entry.pending = undefined;
    entry.unreadable = false;
    if (this.scans) {
      this.scans.set(path.resolve(file), scanDefinitions(this.read(path.resolve(file)) ?? ''));
      this.scanned = undefined;
    }
    this.changed(false);
  }

  remove(file: string): void {
    if (this.scans?.delete(path.resolve(file))) this.scanned = undefined;
    if (this.entries.delete(path.resolve(file))) this.changed(true);
  }

  /** Summarises every registered file now (the CLI's eager build; mostly for measuring). */
  buildAll(): number {
    let built = 0;
    for (const file of this.entries.keys()) if (this.summaryOf(file)) built++;
    return built;
  }

  /** The module's summary, built on first use. */
  summaryOf(file: string): ModuleSummary | undefined {
    const entry = this.entries.get(path.resolve(file));
    if (!entry) return undefined;
    if (entry.summary) return entry.summary;
    if (entry.unreadable) return undefined;
    const text = entry.pending ?? this.read(path.resolve(file));
    entry.pending = undefined;
    if (text === undefined) {
      entry.unreadable = true;
      return undefined;
    }
    // Lookups need a definition or two of a module: parse those (and the imports) only.
    entry.summary = summarizeOutlined(this.parser, text, () => this.summarize(text)) ?? this.summarize(text);
    return entry.summary;
  }

  /**
   * Names of every `async def` in the project's registered files, from a scan of their text (no
   * parse): a call whose name is not here cannot be a project coroutine, so AW301 skips the lookup.
   * Read once; `update` and `remove` keep it current for the files they touch.
   */
  asyncDefNames(): ReadonlySet<string> {
    return this.scan().async;
  }

  /**
   * Whether some registered file defines `name` (`def`, `async def`, `class`) or imports something
   * as `name`, by the same text scan: lookups of other names end before parsing any module (a method
   * of a library base class, `self.model_dump()`, is no project function).
   */
  mayDefine(name: string): boolean {
    return this.scan().names.has(name);
  }

  private scans: Map<string, Definitions> | undefined;
  private scanned: { async: Set<string>; names: Set<string> } | undefined;

  private scanAll(): Map<string, Definitions> {
    const scans = new Map<string, Definitions>();
    for (const [file, entry] of this.entries) {
      const text = entry.pending ?? (entry.unreadable ? undefined : this.read(file));
      scans.set(file, scanDefinitions(text ?? ''));
    }
    return scans;
  }

  private scan(): { async: Set<string>; names: Set<string> } {
    if (!this.scans) {
      this.scans = this.scanAll();
      this.scanned = undefined;
    }
    if (!this.scanned) {
      this.scanned = { async: new Set(), names: new Set() };
      for (const d of this.scans.values()) {
        for (const n of d.async) this.scanned.async.add(n);
        for (const n of d.names) this.scanned.names.add(n);
      }
    }
    return this.scanned;
  }

  /** The file's summary if it was built from exactly this text (by hash). */
  hasCurrent(file: string, hash: string): ModuleSummary | undefined {
    const summary = this.entries.get(path.resolve(file))?.summary;
    return summary?.hash === hash ? summary : undefined;
  }

  /**
   * The module names of a file, the import-system one first: the dotted path through `__init__.py`
   * folders (registered ones), then the path relative to each root holding it, without `src/`.
   */
  moduleNames(file: string): string[] {
    const abs = path.resolve(file);
    const names: string[] = [];
    const stem = path.basename(abs, '.py');
    const parts = stem === '__init__' ? [] : [stem];
    let dir = path.dirname(abs);
    while (this.entries.has(path.join(dir, '__init__.py'))) {
      parts.unshift(path.basename(dir));
      if (dir === path.dirname(dir)) break;
      dir = path.dirname(dir);
    }
    if (parts.length) names.push(parts.join('.'));
    for (const root of this.roots) {
      const rel = path.relative(root, abs);
      if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) continue;
      let segments = rel.replace(/\.py$/, '').split(path.sep);
      if (segments[0] === 'src' && segments.length > 1) segments = segments.slice(1);
      if (segments[segments.length - 1] === '__init__') segments.pop();
      if (segments.length && segments.every((s) => /^[A-Za-z_]\w*$/.test(s))) {
        const name = segments.join('.');
        if (!names.includes(name)) names.push(name);
      }
    }
    return names;
  }

  /** The import-system name of a file's module (see `moduleNames`); its stem as a last resort. */
  moduleName(file: string): string {
    return this.moduleNames(file)[0] ?? path.basename(file, '.py');
  }

  /** Files whose module has this name. */
  filesOf(module: string): readonly string[] {
    if (!this.byName) {
      this.byName = new Map();
      for (const file of this.entries.keys()) {
        for (const name of this.moduleNames(file)) {
          const list = this.byName.get(name);
          if (list) list.push(file);
          else this.byName.set(name, [file]);
        }
      }
    }
    return this.byName.get(module) ?? [];
  }

  /** The function or method a qualified name denotes in the project (following re-exports), or undefined. */
  lookup(qualifiedName: string, overlay?: Overlay): FunctionRef | undefined {
    return this.find(qualifiedName, overlay, 0);
  }

  /**
   * The blocking chain of a project function: its name, the calls leading to a blocking one, and
   * that call (`['refresh', 'load_config', 'open']`), or undefined when it does not block (or is
   * async, or has a decorator that may change how it runs). Follows sync project functions up to
   * `MAX_CHAIN_DEPTH` calls deep; recursion is cut.
   */
  blockingChain(qualifiedName: string, isBlocking: BlockingTest, overlay?: Overlay): string[] | undefined {
    const ref = this.lookup(qualifiedName, overlay);
    if (!ref) return undefined;
    const inner = this.chainOf(ref, isBlocking, overlay);
    return inner ? [ref.className ? `${ref.className}.${ref.summary.name}` : ref.summary.name, ...inner.steps] : undefined;
  }

  /** The calls from `ref` down to a blocking one (`['load_config', 'open']`) and that call's origin, or undefined. */
  chainOf(ref: FunctionRef, isBlocking: BlockingTest, overlay?: Overlay, memo?: ChainMemo): Chain | undefined {
    // An overlay changes what names mean: its chains are cached by the caller (one view), not here.
    return this.walk(ref, isBlocking, overlay, overlay ? (memo ?? new Map()) : this.memoFor(isBlocking), new Set(), 0).chain;
  }

  private memoFor(isBlocking: BlockingTest): ChainMemo {
    if (this.chainGeneration !== this.generation) {
      this.chainGeneration = this.generation;
      this.chains = new WeakMap();
    }
    let memo = this.chains.get(isBlocking);
    if (!memo) this.chains.set(isBlocking, (memo = new Map()));
    return memo;
  }

  private walk(
    ref: FunctionRef,
    isBlocking: BlockingTest,
    overlay: Overlay | undefined,
    memo: ChainMemo,
    visiting: Set<FunctionSummary>,
    depth: number,
  ): { chain: Chain | undefined; cut: boolean } {
    const fn = ref.summary;
    if (!followable(fn)) return { chain: undefined, cut: false };
    const known = memo.get(fn);
    if (known !== undefined) return { chain: known ?? undefined, cut: false };
    if (visiting.has(fn) || depth >= MAX_CHAIN_DEPTH) return { chain: undefined, cut: true };
    // The shortest explanation first: a blocking call made directly beats one through a helper.
    const found = (step: string): { chain: Chain; cut: boolean } => {
      const chain = { steps: [step], origin: `${ref.qualifiedName} ${step}`, hops: [hopOf(ref)] };
      memo.set(fn, chain);
      return { chain, cut: false };
    };
    for (const call of fn.calls) {
      const target = this.absolute(call.target, ref, overlay);
      if (target && isBlocking(target, undefined, call.packageFile === true)) return found(call.text);
    }
    for (const method of fn.methods) if (isBlocking(undefined, method)) return found(`.${method}`);
    for (const method of fn.packageFileMethods) if (isBlocking(undefined, method, true)) return found(`.${method}`);
    visiting.add(fn);
    let cut = false;
    try {
      for (const call of fn.calls) {
        const callee = this.resolveTarget(call.target, ref, overlay);
        if (!callee) continue;
        const sub = this.walk(callee, isBlocking, overlay, memo, visiting, depth + 1);
        cut ||= sub.cut;
        if (sub.chain) {
          const chain = { steps: [call.text, ...sub.chain.steps], origin: sub.chain.origin, hops: [hopOf(ref), ...sub.chain.hops] };
          memo.set(fn, chain);
          return { chain, cut: false };
        }
      }
    } finally {
      visiting.delete(fn);
    }
    // A negative answer reached through a cut cycle or depth limit may be wrong from another entry point.
    if (!cut) memo.set(fn, null);
    return { chain: undefined, cut };
  }

  /**
   * The function a call target inside `from` denotes: `local:`, `self:` and `super:` targets, and
   * qualified names of project modules (a class stands for its `__init__`).
   */
  resolveTarget(target: string, from: Pick<FunctionRef, 'module' | 'className'>, overlay?: Overlay): FunctionRef | undefined {
    if (target.startsWith('self:') || target.startsWith('super:')) {
      if (!from.className) return undefined;
      const method = target.slice(target.indexOf(':') + 1);
      if (!this.definable(method, overlay)) return undefined;
      const cls = this.findClass(`${from.module}.${from.className}`, overlay, 0);
      if (!cls) return undefined;
      if (target.startsWith('self:')) return this.method(cls, method, overlay, 0);
      for (const base of cls.summary.bases) {
        const found = this.findClass(this.absolute(base, { module: cls.module }, overlay) ?? '', overlay, 0);
        const m = found && this.method(found, method, overlay, 0);
        if (m) return m;
      }
      return undefined;
    }
    const absolute = this.absolute(target, from, overlay);
    return absolute ? this.lookup(absolute, overlay) : undefined;
  }

  /** A target made absolute (relative imports and `local:` names); `self:`/`super:` stay undefined. */
  absolute(target: string, from: Pick<FunctionRef, 'module'>, overlay?: Overlay): string | undefined {
    if (target.startsWith('local:')) return from.module ? `${from.module}.${target.slice(6)}` : target.slice(6);
    if (target.startsWith('self:') || target.startsWith('super:')) return undefined;
    if (!target.startsWith('.')) return target;
    const record = this.record(from.module, overlay);
    return absoluteName(target, from.module, record?.isPackage ?? false);
  }

  /**
   * Files whose findings may depend on `file`: the modules importing it, transitively (only modules
   * summarised so far: the others have not been analysed against it).
   */
  dependents(file: string): string[] {
    const changed = new Set(this.moduleNames(file));
    const out: string[] = [];
    const seen = new Set<string>([path.resolve(file)]);
    let frontier = [...changed];
    while (frontier.length) {
      const next: string[] = [];
      for (const [other, entry] of this.entries) {
        if (seen.has(other) || !entry.summary) continue;
        const names = this.moduleNames(other);
        const from = { module: names[0] ?? '', isPackage: path.basename(other) === '__init__.py' };
        const uses = [...entry.summary.imports.values()].some((target) => {
          const abs = absoluteName(target, from.module, from.isPackage);
          return abs !== undefined && frontier.some((m) => abs === m || abs.startsWith(`${m}.`) || m.startsWith(`${abs}.`));
        });
        if (!uses) continue;
        seen.add(other);
        out.push(other);
        next.push(...names);
      }
      frontier = next;
    }
    return out;
  }

  private find(name: string, overlay: Overlay | undefined, depth: number): FunctionRef | undefined {
    if (depth > 4) return undefined;
    const parts = name.split('.');
    if (!this.definable(parts[parts.length - 1], overlay)) return undefined;
    for (let cut = parts.length - 1; cut >= 1; cut--) {
      const module = parts.slice(0, cut).join('.');
      // A name no project file defines needs no module parsed (the current one is always at hand).
      if (overlay?.module !== module && !this.definable(parts[cut], overlay)) continue;
      const record = this.record(module, overlay);
      if (!record) continue;
      const [first, second, ...more] = parts.slice(cut);
      const fn = record.summary.functions.get(first);
      if (fn && second === undefined) return { qualifiedName: `${module}.${first}`, module, summary: fn };
      const cls = record.summary.classes.get(first);
      if (cls) {
        if (more.length) return undefined;
        const found = { qualifiedName: `${module}.${first}`, module, summary: cls };
        // Calling a class runs its `__init__`.
        return this.method(found, second ?? '__init__', overlay, 0);
      }
      const imported = record.summary.imports.get(first);
      if (imported !== undefined) {
        const target = absoluteName(imported, module, record.isPackage);
        if (target && target !== name) return this.find([target, ...parts.slice(cut + 1)].join('.'), overlay, depth + 1);
      }
      return undefined;
    }
    return undefined;
  }

  /** Whether a project file (or the text being analysed) defines or imports-as this name. */
  private definable(name: string, overlay: Overlay | undefined): boolean {
    if (this.mayDefine(name)) return true;
    const own = overlay?.summary;
    return own !== undefined && (own.functions.has(name) || own.classes.has(name) || own.imports.has(name) || [...own.classes.values()].some((c) => c.methods.has(name)));
  }

  private findClass(name: string, overlay: Overlay | undefined, depth: number): { module: string; summary: ClassSummary } | undefined {
    if (depth > 4 || !name) return undefined;
    const parts = name.split('.');
    for (let cut = parts.length - 1; cut >= 1; cut--) {
      const module = parts.slice(0, cut).join('.');
      if (overlay?.module !== module && !this.definable(parts[cut], overlay)) continue;
      const record = this.record(module, overlay);
      if (!record) continue;
      if (cut !== parts.length - 1) return undefined;
      const last = parts[cut];
      const cls = record.summary.classes.get(last);
      if (cls) return { module, summary: cls };
      const imported = record.summary.imports.get(last);
      const target = imported !== undefined ? absoluteName(imported, module, record.isPackage) : undefined;
      return target && target !== name ? this.findClass(target, overlay, depth + 1) : undefined;
    }
    return undefined;
  }

  /** A method of a class or of its project base classes. */
  private method(cls: { module: string; summary: ClassSummary }, name: string, overlay: Overlay | undefined, depth: number): FunctionRef | undefined {
    const own = cls.summary.methods.get(name);
    if (own) return { qualifiedName: `${cls.module}.${cls.summary.name}.${name}`, module: cls.module, className: cls.summary.name, summary: own };
    if (depth > 4) return undefined;
    for (const base of cls.summary.bases) {
      const target = this.absolute(base, { module: cls.module }, overlay);
      const found = target ? this.findClass(target, overlay, 0) : undefined;
      const m = found && this.method(found, name, overlay, depth + 1);
      if (m) return m;
    }
    return undefined;
  }

  private record(module: string, overlay: Overlay | undefined): ModuleRecord | undefined {
    if (overlay && overlay.module === module) return { name: module, file: overlay.file ?? '', isPackage: overlay.isPackage, summary: overlay.summary };
    for (const file of this.filesOf(module)) {
      // The overlay replaces its own file under every name the file has.
      if (overlay?.file && path.resolve(overlay.file) === file) return { name: module, file, isPackage: overlay.isPackage, summary: overlay.summary };
      const summary = this.summaryOf(file);
      if (summary) return { name: module, file, isPackage: path.basename(file) === '__init__.py', summary };
    }
    return undefined;
  }

  private summarize(text: string): ModuleSummary {
    const tree = this.parser.parse(text);
    try {
      return summarizeTree(this.parser, tree.rootNode, text);
    } finally {
      tree.delete();
    }
  }

  private changed(namesChanged: boolean): void {
    this.generation++;
    if (namesChanged) this.byName = undefined;
  }
}

interface Definitions {
  readonly async: readonly string[];
  /** Every def, async def and class name, and every `import … as` alias. */
  readonly names: readonly string[];
}

function scanDefinitions(text: string): Definitions {
  const async: string[] = [];
  const names: string[] = [];
  for (const m of text.matchAll(/\b(async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)|\bas[ \t]+([A-Za-z_]\w*)/g)) {
    const name = m[2] ?? m[3];
    names.push(name);
    if (m[1]) async.push(name);
  }
  return { async, names };
}

/** Whether a function's body runs as written when it is called (no decorator that may wrap it differently). */
export function followable(fn: FunctionSummary): boolean {
  return fn.decorators.every((d) => TRANSPARENT_DECORATORS.has(d));
}

/** Whether two summaries say the same to other modules (hash aside). */
function sameShape(a: ModuleSummary, b: ModuleSummary): boolean {
  return JSON.stringify(shape(a)) === JSON.stringify(shape(b));
}

function shape(s: ModuleSummary): unknown {
  const fn = (f: FunctionSummary) => [f.name, f.async, f.decorators, f.calls, f.methods, f.packageFileMethods];
  return [
    [...s.imports],
    [...s.functions.values()].map(fn),
    [...s.classes.values()].map((c) => [c.name, c.bases, [...c.methods.values()].map(fn)]),
  ];
}

function readUtf8(file: string): string | undefined {
  try {
    // A name that is not UTF-8 holds escaped bytes (core/files): read by its bytes.
    const stat = fs.statSync(fsPath(file));
    // Generated or vendored code; the CLI skips it too.
    if (!stat.isFile() || stat.size > 2 * 1024 * 1024) return undefined;
    return fs.readFileSync(fsPath(file), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The project as one file being analysed sees it: its own summary (built from the current tree, so
 * unsaved edits count and no index is needed for same-file functions) over the index's other
 * modules. Rules get it from `moduleView(ctx)`.
 */
export class ModuleView {
  private readonly memo: ChainMemo = new Map();
  private readonly localNames: ReadonlySet<string>;

  constructor(
    readonly index: ProjectIndex,
    /** The current module; `overlay` is undefined when the index's own summary of the file is current. */
    readonly module: string,
    readonly summary: ModuleSummary,
    private readonly overlay: Overlay | undefined,
  ) {
    this.localNames = new Set([...summary.functions.keys(), ...summary.classes.keys()]);
  }

  /**
   * The call target of a callee written as `calleeText` in this module, inside a method of
   * `className` when given (for `self.x` and `super().x`).
   */
  target(calleeText: string, className?: string): string | undefined {
    return resolveCallee(clean(calleeText), this.summary.imports, this.localNames, className ? { className, vars: new Map() } : undefined);
  }

  /** The project function a call target denotes, seen from this module. */
  resolve(target: string, className?: string): FunctionRef | undefined {
    return this.index.resolveTarget(target, { module: this.module, className }, this.overlay);
  }

  /** Absolute form of a target (`local:f` → `pkg.mod.f`, relative imports resolved). */
  absolute(target: string): string | undefined {
    return this.index.absolute(target, { module: this.module }, this.overlay);
  }

  /** Calls from a project function down to a blocking one, or undefined. */
  blockingChain(ref: FunctionRef, isBlocking: BlockingTest): Chain | undefined {
    return this.index.chainOf(ref, isBlocking, this.overlay, this.memo);
  }
}

/** What `moduleView` needs of an analysis context (kept structural so this file does not import it). */
export interface ViewSource {
  readonly parser: PythonParser;
  readonly source: string;
  readonly scopes: Scopes;
  readonly names: { readonly imports: ReadonlyMap<string, string> };
  readonly project?: ProjectIndex;
  readonly filePath?: string;
}

const views = new WeakMap<ViewSource, ModuleView>();

/** The module view of an analysis, built on first use (one query over the tree) and memoised. */
export function moduleView(ctx: ViewSource): ModuleView {
  let view = views.get(ctx);
  if (view) return view;
  const hash = contentHash(ctx.source);
  const index = ctx.project ?? new ProjectIndex(ctx.parser);
  const file = ctx.filePath ? path.resolve(ctx.filePath) : undefined;
  const module = moduleNameOf(ctx);
  const isPackage = file !== undefined && path.basename(file) === '__init__.py';
  let summary = file && ctx.project ? ctx.project.hasCurrent(file, hash) : undefined;
  if (summary) view = new ModuleView(index, module, summary, undefined);
  else {
    summary = summarizeFromScopes(ctx.parser, ctx.scopes, ctx.names.imports, ctx.source);
    view = new ModuleView(index, module, summary, { file, module, isPackage, summary });
  }
  views.set(ctx, view);
  return view;
}

/** The module name of the file being analysed: from the index when there is one, else the file's stem. */
export function moduleNameOf(ctx: Pick<ViewSource, 'project' | 'filePath'>): string {
  if (ctx.filePath && ctx.project) return ctx.project.moduleName(ctx.filePath);
  if (ctx.filePath) return path.basename(ctx.filePath).replace(/\.pyi?$/, '');
  return '__main__';
}

/**
 * The class whose method holds `offset`: the innermost function there must be defined directly in a
 * module-level class body (the only methods the index summarises). Used for `self.x()` targets.
 */
export function enclosingClassName(scopes: Scopes, offset: number): string | undefined {
  const fn = scopes.functionAt(offset);
  const cls = fn?.parent;
  if (!fn || fn.kind === 'lambda' || cls?.kind !== 'class' || cls.parent) return undefined;
  return cls.node.childForFieldName('name')?.text;
}

/** Names a function binds itself (parameters, assignments, loop targets, local imports and defs). */
const LOCAL_BINDINGS = `
(parameters (identifier) @bound)
(default_parameter name: (identifier) @bound)
(typed_parameter (identifier) @bound)
(typed_default_parameter name: (identifier) @bound)
(list_splat_pattern (identifier) @bound)
(dictionary_splat_pattern (identifier) @bound)
(assignment left: (identifier) @bound)
(assignment left: (pattern_list (identifier) @bound))
(for_statement left: (identifier) @bound)
(as_pattern_target (identifier) @bound)
(aliased_import alias: (identifier) @bound)
(import_from_statement name: (dotted_name . (identifier) @bound))
(function_definition name: (identifier) @bound)
(class_definition name: (identifier) @bound)
`;

/**
 * Whether `name` is bound inside the function enclosing `offset` or one enclosing it, so it does
 * not denote the module-level definition of that name. Runs a query over those functions only:
 * call it for the few calls about to be reported.
 */
export function boundLocally(parser: PythonParser, scopes: Scopes, offset: number, name: string): boolean {
  for (let s = scopes.functionAt(offset); s; s = s.parent && scopes.functionAt(s.node.startIndex)) {
    for (const c of parser.query(LOCAL_BINDINGS).captures(s.node)) {
      if (c.node.text === name && !c.node.equals(s.node.childForFieldName('name') ?? c.node.parent!)) return true;
    }
  }
  return false;
}
