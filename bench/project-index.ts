/**
 * Measures the project index (src/python/project.ts): how long summarising every module of some
 * projects takes, eagerly (the worst case: the CLI summarises lazily, only modules a lookup reaches),
 * and how much the summaries hold. Each folder argument is one project.
 *
 *   node --expose-gc out/bench/project-index.js /tmp/corpus/aiohttp /tmp/corpus/uvicorn …
 *
 * Also prints the time of parsing alone, so the summaries' own share is visible.
 */
import { performance } from 'node:perf_hooks';
import { collectFiles, readSource } from '../src/cli/walk';
import { PythonParser } from '../src/python/parser';
import { ProjectIndex } from '../src/python/project';

/** Heap figures mean something only after a collection (run with --expose-gc). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(roots: readonly string[]): Promise<void> {
  const parser = await PythonParser.load();
  let totalMs = 0;
  let totalLines = 0;
  let totalFiles = 0;
  for (const root of roots) {
    const files = collectFiles([root], root).files;
    const texts = new Map<string, string>();
    let lines = 0;
    for (const f of files) {
      const read = readSource(f);
      if (!read.ok) continue;
      texts.set(f, read.text);
      lines += read.text.split('\n').length;
    }
    // Reading is outside the timing: the CLI reads each file once for its own check anyway.
    const index = new ProjectIndex(parser, { roots: [root], read: (f) => texts.get(f) });
    for (const f of texts.keys()) index.add(f);
    const parseStart = performance.now();
    for (const text of texts.values()) parser.parse(text).delete();
    const parseMs = performance.now() - parseStart;
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    const built = index.buildAll();
    const ms = performance.now() - start;
    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    let functions = 0;
    let calls = 0;
    for (const f of index.files) {
      const s = index.summaryOf(f);
      if (!s) continue;
      for (const fn of s.functions.values()) calls += fn.calls.length;
      functions += s.functions.size;
      for (const c of s.classes.values()) {
        functions += c.methods.size;
        for (const m of c.methods.values()) calls += m.calls.length;
      }
    }
    console.log(`${root}: ${built} modules, ${lines} lines, ${functions} functions, ${calls} call sites: ${ms.toFixed(0)} ms (${((lines / ms) * 1000).toFixed(0)} lines/s; parsing alone ${parseMs.toFixed(0)} ms), ~${((heapAfter - heapBefore) / 1024 / 1024).toFixed(1)} MiB of summaries`);
    totalMs += ms;
    totalLines += lines;
    totalFiles += built;
  }
  if (roots.length > 1) console.log(`total: ${totalFiles} modules, ${totalLines} lines in ${totalMs.toFixed(0)} ms`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
