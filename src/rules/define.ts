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
}

export function defineRule<const R extends Rule>(rule: R): R {
  return rule;
}
