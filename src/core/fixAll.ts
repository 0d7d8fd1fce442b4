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
  let { text, applied } = first.fixAll(allowUnsafe);
  let total = applied;
  for (let round = 1; applied > 0 && round < maxRounds; round++) {
    const next = reanalyze(text);
    try {
      ({ text, applied } = next.fixAll(allowUnsafe));
      total += applied;
    } finally {
      next.dispose();
    }
  }
  return { text, applied: total };
}
