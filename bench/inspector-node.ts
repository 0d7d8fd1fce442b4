/**
 * What each tier of the Node loop inspector costs a busy program. A script, not a test: it prints a
 * table (or, with `--json`, one JSON object) and asserts nothing.
 *
 *   node esbuild.js --tests && node out/bench/inspector-node.js [--n 10000] [--runs 3] [--json] [--verbose]
 *
 * `--verbose` prints each phase's time (to stderr).
 *
 * The program (`test/fixtures/inspector/node/many.js`) holds N suspended async functions (parent
 * awaits worker awaits a pending promise) and N/2 more pending promises, and measures its own stall:
 * a 1 ms interval records the largest gap between its ticks. Per tier and run: the snapshot's wall time
 * as the panel sees it, the stall the backend measured in the program (`programStallMs`, a 1 ms
 * `monitorEventLoopDelay`), and the program's own largest tick gap during the snapshot. Tier 1 runs
 * first with timers re-read every time (the worst case), then as polled (`1c`: timers cached).
 */
import * as path from 'node:path';
import { NodeBackend } from '../src/inspector/node/backend';
import { spawnInspected } from '../src/inspector/node/spawn';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function repoRoot(): string {
  // out/bench/inspector-node.js or bench/inspector-node.ts: the root is two levels up or one.
  const up = path.resolve(__dirname, '..');
  return path.basename(up) === 'out' ? path.dirname(up) : up;
}

interface Row {
  tier: 1 | 2;
  /** Tier 1 as polled: timers read once, then served from the backend's cache (re-read sparingly). */
  timersCached?: boolean;
  run: number;
  wallMs: number;
  costs: { tier: number; durationMs: number; programStallMs?: number }[];
  programMaxGapMs: number;
  asyncFunctions?: number;
  pendingPromises?: number;
  resolvedAwaitLines?: number;
}

async function main(): Promise<void> {
  const n = arg('n', 10_000);
  const runs = arg('runs', 3);
  const json = process.argv.includes('--json');
  const program = await spawnInspected(path.join(repoRoot(), 'test', 'fixtures', 'inspector', 'node', 'many.js'), { env: { N: String(n) }, timeoutMs: 60_000 });
  const rows: Row[] = [];
  try {
    await program.waitForLine(/^READY/, 60_000);
    const verbose = process.argv.includes('--verbose');
    const backend = new NodeBackend(program.channel, { heapSnapshotTimeoutMs: 300_000, timerRefreshMs: 0, log: verbose ? (l) => console.error(`  ${l}`) : undefined });
    const takeGap = async () =>
      (await program.channel.send<{ result: { value: number } }>('Runtime.evaluate', { expression: '__takeMaxGap()', returnByValue: true }, 10_000)).result.value;
    await backend.snapshot({ tier: 1 }); // installs the loop-health monitor: not part of the figures
    for (const tier of [1, 2] as const) {
      for (let run = 1; run <= runs; run++) {
        await new Promise((r) => setTimeout(r, 200));
        await takeGap();
        const start = performance.now();
        const s = await backend.snapshot({ tier });
        const wallMs = performance.now() - start;
        rows.push({
          tier,
          run,
          wallMs: Math.round(wallMs),
          costs: s.costs.map((c) => ({ ...c })),
          programMaxGapMs: Math.round(await takeGap()),
          ...(tier === 2
            ? {
                asyncFunctions: s.counts['async-function'],
                pendingPromises: s.counts.promise,
                resolvedAwaitLines: s.items.filter((i) => i.kind === 'async-function' && i.location).length,
              }
            : {}),
        });
      }
    }
    // Tier 1 as the panel polls it: a backend with default options reads timers once, then reuses them.
    const polling = new NodeBackend(program.channel, { heapSnapshotTimeoutMs: 300_000 });
    await polling.snapshot({ tier: 1 });
    for (let run = 1; run <= runs; run++) {
      await new Promise((r) => setTimeout(r, 200));
      await takeGap();
      const start = performance.now();
      const s = await polling.snapshot({ tier: 1 });
      rows.push({ tier: 1, timersCached: true, run, wallMs: Math.round(performance.now() - start), costs: s.costs.map((c) => ({ ...c })), programMaxGapMs: Math.round(await takeGap()) });
    }
    polling.dispose();
    backend.dispose();
  } finally {
    await program.stop();
  }
  if (json) {
    console.log(JSON.stringify({ node: process.version, n, runs, rows }, null, 2));
    return;
  }
  console.log(`Node ${process.version}, ${n} suspended async functions + ${n / 2} more pending promises; ${runs} runs per tier`);
  console.log('tier 1c: tier 1 as polled, timers served from the cache (they are re-read when their number changes, at most 5% of the time)');
  console.log('tier   run  wall ms  tier-1 ms (stall)  tier-2 ms (stall)  program max gap ms  async fns  pending promises  await lines resolved');
  for (const r of rows) {
    const c1 = r.costs.find((c) => c.tier === 1);
    const c2 = r.costs.find((c) => c.tier === 2);
    const cost = (c?: { durationMs: number; programStallMs?: number }) => (c ? `${Math.round(c.durationMs)} (${c.programStallMs === undefined ? '?' : Math.round(c.programStallMs)})` : '-');
    console.log(
      [`${r.tier}${r.timersCached ? 'c' : ''}`.padEnd(5), String(r.run).padEnd(3), String(r.wallMs).padStart(7), cost(c1).padStart(17), cost(c2).padStart(17),
        String(r.programMaxGapMs).padStart(18), String(r.asyncFunctions ?? '-').padStart(9), String(r.pendingPromises ?? '-').padStart(16),
        String(r.resolvedAwaitLines ?? '-').padStart(20)].join('  '),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
