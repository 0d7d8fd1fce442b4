/**
 * The shape of a rule file: metadata, docs and messages (core's `RuleMeta`) plus a detector per
 * language. Registration is one line in `src/core/catalog.ts`.
 */
import type { RuleMeta } from '../core/rule';
import type { PythonContext } from '../python/context';
import type { TsContext } from '../typescript/context';

export interface Rule extends RuleMeta {
  /** Reports through `ctx.report`; runs only when the rule is enabled for the file. */
  readonly python?: (ctx: PythonContext) => void;
  /** The TS/JS detector (`src/typescript`): same contract, over the TypeScript compiler's AST. */
  readonly typescript?: (ctx: TsContext) => void;
  /**
   * What the TS/JS detector cannot report without: it reports nothing in a file whose text lacks a
   * word of the list or fails one of its tests (`['async', 'finally']`: a `finally` in an async
   * function). The engine skips the rule there, and the CLI does not even parse a file that no
   * enabled rule can report on. A necessary condition only (comments may sit between any two
   * tokens), linear in the text; a finding that may come from types alone has no list.
   */
  readonly typescriptNeeds?: readonly (string | ((text: string) => boolean))[];
}

export function defineRule<const R extends Rule>(rule: R): R {
  return rule;
}
