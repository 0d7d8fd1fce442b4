/**
 * Is this expression an asyncio event loop? Shared by the task-lifetime rules: `loop.create_task`
 * drops a task like `asyncio.create_task` does (AW302), `loop.run_until_complete` re-enters a
 * running loop (AW303). A TaskGroup, an anyio task group or a trio nursery also has task-spawning
 * methods, so the answer must be precise rather than "anything with a `create_task` method":
 *
 * - a call of a loop factory (`asyncio.get_event_loop()`, `get_running_loop()`, `new_event_loop()`);
 * - a name or attribute spelled as a loop (`loop`, `_loop`, `event_loop`, `self.loop`,
 *   `self.bot.loop`): nobody names a TaskGroup `loop`, and asyncio code names its loop that way;
 * - a local name assigned from a loop factory, or a parameter annotated as an event loop.
 */
import type { Node } from 'web-tree-sitter';
import type { PythonContext } from './context';

const LOOP_FACTORIES = new Set([
  'asyncio.get_event_loop',
  'asyncio.get_running_loop',
  'asyncio.new_event_loop',
  'asyncio.events.get_event_loop',
  'asyncio.events.get_running_loop',
  'asyncio.events.new_event_loop',
  'uvloop.new_event_loop',
]);

const LOOP_TYPES = new Set([
  'asyncio.AbstractEventLoop',
  'asyncio.BaseEventLoop',
  'asyncio.SelectorEventLoop',
  'asyncio.ProactorEventLoop',
  'asyncio.events.AbstractEventLoop',
  'asyncio.base_events.BaseEventLoop',
  'uvloop.Loop',
]);

/** `loop`, `_loop`, `event_loop`, `main_loop`: the way asyncio code names its loop. */
const LOOP_NAME = /(?:^|_)loop$/i;

const LOCAL_BINDINGS = `
(assignment left: (identifier) @name right: (call function: (_) @factory))
(typed_parameter (identifier) @name type: (type (_) @annotation))
(typed_default_parameter name: (identifier) @name type: (type (_) @annotation))
`;

export function isEventLoop(ctx: PythonContext, node: Node): boolean {
  switch (node.type) {
    case 'call': {
      const q = ctx.resolve(node.childForFieldName('function'));
      return q !== undefined && LOOP_FACTORIES.has(q);
    }
    case 'parenthesized_expression': {
      const inner = node.namedChild(0);
      return inner !== null && isEventLoop(ctx, inner);
    }
    case 'attribute':
      // A resolvable attribute (`asyncio.loop`) is a module member, not an instance.
      if (ctx.resolve(node)) return false;
      return LOOP_NAME.test(node.childForFieldName('attribute')?.text ?? '');
    case 'identifier':
      if (ctx.names.imports.has(node.text)) return false;
      return LOOP_NAME.test(node.text) || boundToLoop(ctx, node);
    default:
      return false;
  }
}

/** `ev = asyncio.get_running_loop()` or `def f(ev: asyncio.AbstractEventLoop)` in the enclosing function. */
function boundToLoop(ctx: PythonContext, name: Node): boolean {
  const fn = ctx.scopes.functionAt(name.startIndex);
  for (const match of ctx.matches(LOCAL_BINDINGS, fn ? fn.node : ctx.root)) {
    const bound = match.captures.find((c) => c.name === 'name')?.node;
    if (!bound || bound.text !== name.text) continue;
    const factory = match.captures.find((c) => c.name === 'factory')?.node;
    // An assignment counts only in this very function, not in a nested one.
    if (factory && ctx.scopes.functionAt(bound.startIndex) === fn) {
      const q = ctx.resolve(factory);
      if (q && LOOP_FACTORIES.has(q)) return true;
    }
    const annotation = match.captures.find((c) => c.name === 'annotation')?.node;
    if (annotation) {
      const q = ctx.resolve(annotation);
      if (q && LOOP_TYPES.has(q)) return true;
    }
  }
  return false;
}
