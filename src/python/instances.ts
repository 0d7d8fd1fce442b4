/**
 * What an expression is an instance of, following how it was made: `sqlite3.connect(p)` is a
 * connection, `conn.cursor()` on it a cursor, `pool.submit(f)` on an executor a future. Syntactic and
 * local: a name's bindings in its function (then the module), `self.x`'s assignments in its class.
 * Conservative by design: a name with several bindings of different or unknown kinds (a parameter
 * without an annotation, a loop variable, a second assignment from something else) has no type, so
 * a rule never flags a method call on a guess.
 *
 * The rule supplies the vocabulary: which callables return which type (`factories`), which methods
 * of a type return another (`returns`). Annotations naming a type (`conn: sqlite3.Connection`) count
 * when the annotation is itself a known type or factory.
 */
import type { Node } from 'web-tree-sitter';
import { ancestors } from './ancestors';
import type { PythonContext } from './context';
import type { Scope } from './scopes';

export interface InstanceVocabulary {
  /** Qualified callable (or class used as an annotation) → the type of what it returns. */
  readonly factories: ReadonlyMap<string, string>;
  /** `<type>.<method>` → the type the method returns. */
  readonly returns: ReadonlyMap<string, string>;
  /** `<type>.<method>` → the type of the first element of the tuple it returns (`sock.accept()`). */
  readonly returnsPairOf?: ReadonlyMap<string, string>;
}

/** Every way a function binds a name; an entry without a value or annotation makes the name unknown. */
const BINDINGS = `
(assignment left: (identifier) @name right: (_) @value)
(assignment left: (identifier) @name type: (type (_) @annotation) !right)
(assignment left: (pattern_list . (identifier) @name) right: (_) @pair)
(assignment left: (tuple_pattern . (identifier) @name) right: (_) @pair)
(pattern_list (_) . (identifier) @name)
(tuple_pattern (_) . (identifier) @name)
(for_in_clause left: (identifier) @name)
(augmented_assignment left: (identifier) @name)
(named_expression name: (identifier) @name value: (_) @value)
(with_item value: (as_pattern (_) @value alias: (as_pattern_target (identifier) @name)))
(for_statement left: (identifier) @name)
(parameters (identifier) @name)
(default_parameter name: (identifier) @name)
(typed_parameter (identifier) @name type: (type (_) @annotation))
(typed_default_parameter name: (identifier) @name type: (type (_) @annotation))
(global_statement (identifier) @name)
(nonlocal_statement (identifier) @name)
`;

const ATTRIBUTE_BINDINGS = `
(assignment left: (attribute) @target right: (_) @value)
(assignment left: (attribute) @target type: (type (_) @annotation) !right)
`;

/** One binding of a name: how to type it. `unknown` when it is bound some other way. */
type Binding = { value: Node } | { pair: Node } | { annotation: Node } | 'unknown';

const MAX_DEPTH = 6;

export class Instances {
  /** Scope body start (or -1 for the module) → name → its bindings there. */
  private readonly scopeBindings = new Map<number, Map<string, Binding[]>>();
  /** Class node start → `self.x` text → its assignments in the class. */
  private readonly classBindings = new Map<number, Map<string, Binding[]>>();

  constructor(
    private readonly ctx: PythonContext,
    private readonly vocabulary: InstanceVocabulary,
  ) {}

  /** The type of the value an expression evaluates to, or undefined when it cannot be known. */
  typeOf(node: Node, depth = 0): string | undefined {
    if (depth > MAX_DEPTH) return undefined;
    switch (node.type) {
      case 'parenthesized_expression': {
        const inner = node.namedChild(0);
        return inner ? this.typeOf(inner, depth + 1) : undefined;
      }
      case 'call': {
        const fn = node.childForFieldName('function');
        if (!fn) return undefined;
        const q = this.ctx.resolve(fn);
        if (q) return this.vocabulary.factories.get(q);
        if (fn.type !== 'attribute') return undefined;
        const object = fn.childForFieldName('object');
        const method = fn.childForFieldName('attribute')?.text;
        const t = object && method ? this.typeOf(object, depth + 1) : undefined;
        return t ? this.vocabulary.returns.get(`${t}.${method}`) : undefined;
      }
      case 'identifier':
        // A module or a function imported by name is not an instance.
        if (this.ctx.names.imports.has(node.text)) return undefined;
        return this.typeOfName(node, depth);
      case 'attribute': {
        if (this.ctx.resolve(node)) return undefined;
        const object = node.childForFieldName('object');
        if (object?.type !== 'identifier' || (object.text !== 'self' && object.text !== 'cls')) return undefined;
        return this.typeOfAttribute(node, depth);
      }
      default:
        return undefined;
    }
  }

  private typeOfName(name: Node, depth: number): string | undefined {
    // The innermost function that binds the name decides (Python's own scoping, minus `global`).
    for (let scope = this.ctx.scopes.functionAt(name.startIndex); ; scope = scope.parent && this.ctx.scopes.functionAt(scope.parent.start)) {
      const bindings = this.bindingsIn(scope).get(name.text);
      if (bindings) return this.agree(bindings, depth);
      if (!scope) return undefined;
    }
  }

  private typeOfAttribute(node: Node, depth: number): string | undefined {
    let cls: Scope | undefined = this.ctx.scopes.at(node.startIndex);
    while (cls && cls.kind !== 'class') cls = cls.parent;
    if (!cls) return undefined;
    let byTarget = this.classBindings.get(cls.start);
    if (!byTarget) {
      byTarget = new Map();
      for (const match of this.ctx.matches(ATTRIBUTE_BINDINGS, cls.node)) {
        const target = match.captures.find((c) => c.name === 'target')?.node;
        if (!target) continue;
        const key = target.text.replace(/^cls\./, 'self.');
        const list = byTarget.get(key) ?? [];
        list.push(toBinding(match.captures));
        byTarget.set(key, list);
      }
      this.classBindings.set(cls.start, byTarget);
    }
    const bindings = byTarget.get(node.text.replace(/^cls\./, 'self.'));
    return bindings ? this.agree(bindings, depth) : undefined;
  }

  /** One type when every binding gives the same known type; otherwise none. */
  private agree(bindings: readonly Binding[], depth: number): string | undefined {
    let type: string | undefined;
    for (const b of bindings) {
      const t = this.typeOfBinding(b, depth);
      if (!t || (type && t !== type)) return undefined;
      type = t;
    }
    return type;
  }

  private typeOfBinding(b: Binding, depth: number): string | undefined {
    if (b === 'unknown') return undefined;
    if ('value' in b) return this.typeOf(b.value, depth + 1);
    if ('annotation' in b) {
      const q = this.ctx.resolve(b.annotation);
      return q ? this.vocabulary.factories.get(q) : undefined;
    }
    // `conn, addr = sock.accept()`
    const call = b.pair;
    const fn = call.type === 'call' ? call.childForFieldName('function') : null;
    if (fn?.type !== 'attribute') return undefined;
    const object = fn.childForFieldName('object');
    const t = object ? this.typeOf(object, depth + 1) : undefined;
    return t ? this.vocabulary.returnsPairOf?.get(`${t}.${fn.childForFieldName('attribute')?.text}`) : undefined;
  }

  /** The bindings a function (or, for undefined, the module) makes itself, by name. */
  private bindingsIn(scope: Scope | undefined): Map<string, Binding[]> {
    const key = scope ? scope.start : -1;
    let byName = this.scopeBindings.get(key);
    if (byName) return byName;
    byName = new Map();
    if (scope) {
      for (const match of this.ctx.matches(BINDINGS, scope.node)) {
        const name = match.captures.find((c) => c.name === 'name')?.node;
        if (!name || this.ownerOf(name) !== scope) continue;
        add(byName, name.text, toBinding(match.captures));
      }
    } else {
      // Module level: only top-level statements (a query here would walk the whole file).
      for (const statement of this.ctx.root.namedChildren) {
        if (statement?.type !== 'expression_statement') continue;
        const assignment = statement.namedChild(0);
        if (assignment?.type !== 'assignment') continue;
        const left = assignment.childForFieldName('left');
        if (left?.type !== 'identifier') continue;
        const right = assignment.childForFieldName('right');
        const type = assignment.childForFieldName('type')?.namedChild(0);
        add(byName, left.text, right ? { value: right } : type ? { annotation: type } : 'unknown');
      }
    }
    this.scopeBindings.set(key, byName);
    return byName;
  }

  /** The function whose local a bound name is: parameters belong to their def, not the enclosing one. */
  private ownerOf(name: Node): Scope | undefined {
    for (const n of ancestors(name)) {
      if (n.type === 'parameters' || n.type === 'lambda_parameters') {
        const def = n.parent;
        return def ? this.ctx.scopes.functionAt(def.childForFieldName('body')?.startIndex ?? def.endIndex) : undefined;
      }
      if (n.type === 'block' || n.type === 'module') break;
    }
    return this.ctx.scopes.functionAt(name.startIndex);
  }
}

function add(map: Map<string, Binding[]>, name: string, binding: Binding): void {
  const list = map.get(name);
  if (list) list.push(binding);
  else map.set(name, [binding]);
}

function toBinding(captures: readonly { name: string; node: Node }[]): Binding {
  const value = captures.find((c) => c.name === 'value')?.node;
  if (value) return { value };
  const pair = captures.find((c) => c.name === 'pair')?.node;
  if (pair) return { pair };
  const annotation = captures.find((c) => c.name === 'annotation')?.node;
  if (annotation) return { annotation };
  return 'unknown';
}
