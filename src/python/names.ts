/**
 * Name resolution for one Python file: which qualified name each local name stands for, through
 * every import spelling, and which names the file itself binds (so `open` defined in the file is not
 * the builtin). Scope-insensitive by design: a name imported anywhere in the file resolves
 * everywhere, which matches how real code imports (at module level, or locally just before use).
 */
import type { Node } from 'web-tree-sitter';
import type { PythonParser } from './parser';

/** Names the file binds itself; they shadow builtins. */
const BINDINGS = `
(function_definition name: (identifier) @bound)
(class_definition name: (identifier) @bound)
(assignment left: (identifier) @bound)
(augmented_assignment left: (identifier) @bound)
(parameters (identifier) @bound)
(default_parameter name: (identifier) @bound)
(typed_parameter (identifier) @bound)
(typed_default_parameter name: (identifier) @bound)
(for_statement left: (identifier) @bound)
(as_pattern_target (identifier) @bound)
(global_statement (identifier) @bound)
`;

export const PYTHON_BUILTINS = new Set([
  'open', 'input', 'print', 'len', 'range', 'exec', 'eval', 'compile', 'BaseException', 'Exception',
  'KeyboardInterrupt', 'SystemExit', 'GeneratorExit', 'TimeoutError', 'ExceptionGroup', 'BaseExceptionGroup',
]);

export class Names {
  /** Local name → qualified name (`t` → `time`, `nap` → `time.sleep`). */
  readonly imports = new Map<string, string>();
  private bound: Set<string> | undefined;

  constructor(
    private readonly parser: PythonParser,
    private readonly root: Node,
    /** The file's `import` and `from … import` statements, in source order (structure.ts). */
    imports: readonly Node[],
  ) {
    for (const node of imports) {
      if (node.type === 'import_statement') this.addImport(node);
      else this.addFromImport(node);
    }
  }

  /** Names the file binds itself; computed on the first builtin lookup (most files never need it). */
  private get boundLocally(): Set<string> {
    if (!this.bound) {
      this.bound = new Set();
      for (const capture of this.parser.query(BINDINGS).captures(this.root)) this.bound.add(capture.node.text);
    }
    return this.bound;
  }

  private addImport(node: Node): void {
    for (const child of node.childrenForFieldName('name')) {
      if (!child) continue;
      if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text;
        const alias = child.childForFieldName('alias')?.text;
        if (name && alias) this.imports.set(alias, clean(name));
      } else if (child.type === 'dotted_name') {
        // `import os.path` binds `os`; `os.path.exists` then resolves through attribute access.
        const first = clean(child.text).split('.')[0];
        if (!this.imports.has(first)) this.imports.set(first, first);
      }
    }
  }

  private addFromImport(node: Node): void {
    const moduleNode = node.childForFieldName('module_name');
    if (!moduleNode) return;
    // Relative imports name project modules; they keep their leading dots so they never match stdlib names.
    const module = clean(moduleNode.text);
    for (const child of node.childrenForFieldName('name')) {
      if (!child) continue;
      if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text;
        const alias = child.childForFieldName('alias')?.text;
        if (name && alias) this.imports.set(alias, join(module, clean(name)));
      } else if (child.type === 'dotted_name') {
        const name = clean(child.text);
        this.imports.set(name, join(module, name));
      }
    }
  }

  /**
   * The qualified name an expression denotes (`t.sleep` → `time.sleep`), or undefined. Walks down an
   * attribute chain in a loop: a chain can be arbitrarily long (`a.b.b…` 100k deep in a generated
   * file), and recursion on it would overflow the stack.
   */
  resolve(node: Node | null | undefined): string | undefined {
    const attributes: string[] = [];
    let base = node;
    for (;;) {
      if (!base) return undefined;
      if (base.type === 'attribute') {
        const attribute = base.childForFieldName('attribute')?.text;
        if (!attribute) return undefined;
        attributes.push(attribute);
        base = base.childForFieldName('object');
      } else if (base.type === 'parenthesized_expression') base = base.namedChild(0);
      else break;
    }
    if (base.type !== 'identifier') return undefined;
    const root = this.resolveIdentifier(base.text);
    if (root === undefined || attributes.length === 0) return root;
    return `${root}.${attributes.reverse().join('.')}`;
  }

  private resolveIdentifier(name: string): string | undefined {
    const imported = this.imports.get(name);
    if (imported !== undefined) return imported;
    if (PYTHON_BUILTINS.has(name) && !this.boundLocally.has(name)) return `builtins.${name}`;
    return undefined;
  }

  /**
   * How the file can spell a qualified name right now (`asyncio.sleep` → `aio.sleep` after
   * `import asyncio as aio`), or undefined when it needs an import.
   */
  spell(qualified: string): string | undefined {
    for (const [local, target] of this.imports) {
      if (target === qualified) return local;
    }
    for (const [local, target] of this.imports) {
      if (qualified.startsWith(target + '.') && !target.startsWith('.')) return local + qualified.slice(target.length);
    }
    return undefined;
  }
}

function clean(text: string): string {
  return text.replace(/\s+/g, '');
}

function join(module: string, name: string): string {
  return module.endsWith('.') ? module + name : `${module}.${name}`;
}
