/**
 * Stage timings for bench/profile.ts. The engines take one optionally and add the milliseconds of
 * each stage under its name; without one they read no clock. The clock is the benchmark's choice:
 * CPU time stays meaningful on a loaded machine, where wall time also counts the wait for a core.
 */
export interface StageProfile {
  /** Stage name → milliseconds, summed over the files analysed. */
  readonly stages: Map<string, number>;
  /** The clock, in milliseconds. */
  readonly now: () => number;
}
