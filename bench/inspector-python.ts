/**
 * Benchmark of the Python loop inspector: snapshot time and the debugged program's loop stall, per
 * path (tier 1 no-pause, tier 2 pause), with N pending asyncio tasks under Debian's debugpy.
 *
 *   node esbuild.js --tests && node out/bench/inspector-python.js [--tasks 10000] [--runs 5] [--max-items 2000]
 *
 * The stall is measured inside the program (a 2 ms ticker prints how late the loop came back), not
 * estimated: it is the worst lateness seen from the snapshot's start to 300 ms after its end.
 */
import * as path from 'node:path';
import { PythonBackend } from '../src/inspector/python/backend';
import { startDebugpy } from '../src/inspector/python/debugpyProcess';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Worst loop lateness (ms) the program reported with a timestamp in [fromEpochMs, toEpochMs]. */
function worstStall(output: string, fromEpochMs: number, toEpochMs: number): number {
  let worst = 0;
  for (const match of output.matchAll(/^STALL ([\d.]+) ([\d.]+)$/gm)) {
    const at = Number(match[2]) * 1000;
    if (at >= fromEpochMs && at <= toEpochMs) worst = Math.max(worst, Number(match[1]));
  }
  return worst;
}

async function main(): Promise<void> {
  const tasks = arg('tasks', 10_000);
  const runs = arg('runs', 5);
  const maxItems = process.argv.includes('--max-items') ? arg('max-items', 2000) : undefined;
  const program = path.resolve(__dirname, '../../test/fixtures/inspector/python/many_tasks.py');
  const debuggee = await startDebugpy(program, { args: [String(tasks)], timeoutMs: 60_000 });
  try {
    const readyDeadline = Date.now() + 120_000;
    while (!debuggee.output().includes(`READY ${tasks}`)) {
      if (Date.now() > readyDeadline) throw new Error(`program not ready: ${debuggee.output().slice(-1000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const backend = new PythonBackend(debuggee.channel, { timeoutMs: 60_000, maxItems });
    console.log(`Python inspector, ${tasks} pending tasks (+ main, monitor), rows ${maxItems ?? 'default'}, ${runs} runs per path, median (max)`);
    console.log('path                 | snapshot ms     | loop stall ms (in program) | stall ms (reported) | rows');
    for (const tier of [1, 2] as const) {
      const durations: number[] = [];
      const stalls: number[] = [];
      const reported: number[] = [];
      let rows = 0;
      for (let run = 0; run < runs; run++) {
        const from = Date.now();
        const snapshot = await backend.snapshot({ tier });
        const to = Date.now();
        await new Promise((r) => setTimeout(r, 300));
        durations.push(snapshot.costs[0].durationMs);
        reported.push(snapshot.costs[0].programStallMs ?? NaN);
        stalls.push(worstStall(debuggee.output(), from, to + 300));
        rows = snapshot.items.length;
        if (snapshot.counts.task !== tasks + 2) throw new Error(`expected ${tasks + 2} tasks, got ${snapshot.counts.task}`);
      }
      const name = tier === 1 ? 'tier 1 (no pause)' : 'tier 2 (pause)';
      const cell = (v: number[]): string => `${median(v).toFixed(0)} (${Math.max(...v).toFixed(0)})`;
      console.log(`${name.padEnd(20)} | ${cell(durations).padEnd(15)} | ${cell(stalls).padEnd(26)} | ${cell(reported).padEnd(19)} | ${rows}`);
    }
    backend.dispose();
  } finally {
    await debuggee.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
