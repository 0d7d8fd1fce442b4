/**
 * Fix-all to a fixed point, shared by the editor's `source.fixAll.asyncwise` and `asyncwise check
 * --fix`: apply one non-conflicting fix per finding (the analysis' `fixAll`), re-analyse the result
 * (one fix can make room for another, e.g. two fixes inserting at the same point), and stop when a
 * round applies nothing or after a bounded number of rounds. Each round's text already re-parses
 * with no more syntax errors than before (the analysis checks it), so every intermediate text is safe.
 */

/** What the loop needs of an analysis (a `PythonAnalysis`; core does not depend on an engine). */
export interface FixableAnalysis {
  readonly source: string;
  /** What the analysis found: a round after which the same is found again made no progress. */
  readonly findings: readonly { readonly code: string; readonly message: string }[];
  fixAll(allowUnsafe: boolean): { text: string; applied: number };
  dispose(): void;
}

/** Bounds the rounds: fixes that keep enabling each other must not loop for ever. */
export const MAX_FIX_ROUNDS = 5;

/**
 * Runs fix-all from `first` (which the caller keeps and disposes) until nothing more applies.
 * `reanalyze` analyses an intermediate text; its analyses are disposed here.
 */
export function fixToFixedPoint(first: FixableAnalysis, reanalyze: (text: string) => FixableAnalysis, allowUnsafe: boolean, maxRounds = MAX_FIX_ROUNDS): { text: string; applied: number } {
  let before = first;
  let text = first.source;
  let total = 0;
  for (let round = 0; round < maxRounds; round++) {
    const outcome = before.fixAll(allowUnsafe);
    if (outcome.applied === 0) break;
    const after = reanalyze(outcome.text);
    // Every fix removes the finding it fixes: a round after which exactly the same is found made no
    // progress (a fix that re-applies for ever, `, { signal }` added to a call the parser misread).
    // Its edits are dropped and the loop stops, so fix-all always converges.
    const progressed = !sameFindings(before.findings, after.findings);
    if (before !== first) before.dispose();
    before = after;
    if (!progressed) break;
    text = outcome.text;
    total += outcome.applied;
  }
  if (before !== first) before.dispose();
  return { text, applied: total };
}

function sameFindings(a: FixableAnalysis['findings'], b: FixableAnalysis['findings']): boolean {
  if (a.length !== b.length) return false;
  const key = (f: FixableAnalysis['findings'][number]) => `${f.code}\u0000${f.message}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((k, i) => k === right[i]);
}
