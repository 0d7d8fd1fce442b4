/**
 * The per-file time budget: an analysis that runs past it is abandoned, with one log line or one
 * reported file error, instead of holding up the run (CLI), the editor's diagnostics (extension) or
 * tsserver (plugin). Input that nests or repeats deeply enough can make a rule's cost grow faster
 * than the file (walking up from every node of a 2,000-deep `await await …` chain took 100 s); the
 * budget bounds what is left of that after the rules' own linear-time work.
 *
 * Cooperative: the engines call `check()` at the places where time goes (the parse, each rule,
 * each query match and finding), and it throws `TimeBudgetExceeded` once the deadline has passed.
 */

/** Seconds a file's analysis may take by default (`time-budget` in the configuration). */
export const DEFAULT_TIME_BUDGET_SECONDS = 5;

export class TimeBudgetExceeded extends Error {
  constructor(readonly seconds: number) {
    super(`analysis abandoned after ${formatSeconds(seconds)} (the per-file time budget; raise \`time-budget\` to wait longer)`);
    this.name = 'TimeBudgetExceeded';
  }
}

export function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(3))} s`;
}

export class Deadline {
  private readonly at: number;

  /** `seconds` from now; 0 or less (or not finite) means no deadline. */
  constructor(readonly seconds: number) {
    this.at = seconds > 0 && Number.isFinite(seconds) ? performance.now() + seconds * 1000 : Infinity;
  }

  get passed(): boolean {
    return performance.now() > this.at;
  }

  /** Throws `TimeBudgetExceeded` once the deadline has passed. */
  check(): void {
    if (performance.now() > this.at) throw new TimeBudgetExceeded(this.seconds);
  }

  /**
   * For a long native call that polls (a tree-sitter query's progress callback): true once the
   * deadline has passed. Undefined without a deadline, so such calls pay nothing.
   */
  get poll(): (() => boolean) | undefined {
    const at = this.at;
    return at === Infinity ? undefined : () => performance.now() > at;
  }

  private ticks = 0;

  /** `check()` every 64th call: for loops over every node, where reading the clock each time would show. */
  tick(): void {
    if ((++this.ticks & 63) === 0) this.check();
  }

  /** A deadline that never passes. */
  static readonly NONE = new Deadline(0);
}

export function isTimeBudgetExceeded(error: unknown): error is TimeBudgetExceeded {
  return error instanceof TimeBudgetExceeded;
}
