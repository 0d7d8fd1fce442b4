/**
 * The tsserver plugin on huge files, in a real tsserver (issue 12, item 10): `geterr` on a file of
 * 20,000 calls with and without the plugin, and one `getCombinedCodeFix` over 5,000 findings.
 *
 *   node out/bench/tsplugin-scale.js [--typescript 5.9|6.0] [--calls 20000] [--fixes 5000] [--runs 3] [--json]
 *
 * The plugin is bundled from src/tsplugin into a private probe folder (not the shared node_modules
 * copy another build may be rewriting) and loaded with VS Code's flags (`--globalPlugins`,
 * `--pluginProbeLocations`). Each measurement is a fresh tsserver: open the file, `geterr`, time to
 * both diagnostic events; then an edit (one line appended) and `geterr` again, as while typing.
 * Two shapes of file: the calls spread over 2,000 async functions (each also holding findings with
 * fixes), and all of them in one function. Target: the plugin's `geterr` within 2x of tsserver's own.
 * tsserver runs without a log, as VS Code runs it by default.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fixIdFor, PLUGIN_NAME } from '../src/tsplugin/codes';
import { TsServer } from '../test/unit/tsserverClient';
import { bundlePlugin } from './tsplugin-bundle';
import { repoRootFrom } from './tsplugin-corpus';

interface Options {
  typescript: '5.9' | '6.0';
  calls: number;
  fixes: number;
  /** Fresh tsservers per measurement, with and without the plugin alternating; medians reported. */
  runs: number;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = { typescript: '5.9', calls: 20_000, fixes: 5_000, runs: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--typescript') {
      const v = argv[++i];
      if (v !== '5.9' && v !== '6.0') throw new Error('--typescript: 5.9 or 6.0');
      opts.typescript = v;
    } else if (arg === '--calls') opts.calls = Number(argv[++i]);
    else if (arg === '--fixes') opts.fixes = Number(argv[++i]);
    else if (arg === '--runs') opts.runs = Math.max(1, Number(argv[++i]));
    else if (arg === '--json') opts.json = true;
    else throw new Error(`unknown option ${arg} (expected --typescript 5.9|6.0, --calls N, --fixes N, --runs N, --json)`);
  }
  return opts;
}

/** `calls` calls over async functions of ten calls each; every function holds an AW201 and an AW404 finding. */
export function spreadCalls(calls: number): string {
  const out = ["import * as fs from 'node:fs';", 'declare function helper(n: number): number;', ''];
  for (let f = 0; f * 10 < calls; f++) {
    out.push(`export async function f${f}(signal: AbortSignal): Promise<number> {`);
    out.push(`  const text = fs.readFileSync('in${f}.txt', 'utf8');`);
    out.push(`  await fetch('https://example.invalid/${f}');`);
    for (let c = 2; c < 10; c++) out.push(`  helper(${c});`);
    out.push('  return text.length;', '}');
  }
  return out.join('\n') + '\n';
}

/** `calls` calls in one async function. */
export function oneFunction(calls: number): string {
  const out = ['declare function helper(n: number): number;', 'export async function big(): Promise<void> {'];
  for (let c = 0; c < calls; c++) out.push(`  helper(${c});`);
  out.push('}');
  return out.join('\n') + '\n';
}

/** `n` AW201 findings, each with its safe fix (`await fs.promises.readFile`). */
export function manyFixes(n: number): string {
  const out = ["import * as fs from 'node:fs';", ''];
  for (let i = 0; i < n; i++) out.push(`export async function r${i}(): Promise<string> {`, `  return fs.readFileSync('f${i}.txt', 'utf8');`, '}');
  return out.join('\n') + '\n';
}

function project(root: string, name: string, text: string): { dir: string; file: string } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `asyncwise-tsscale-${name}-`)));
  const tsconfig = { compilerOptions: { target: 'es2022', module: 'commonjs', strict: true, types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')], lib: ['es2022', 'dom'] }, include: ['*.ts'] };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const file = path.join(dir, `${name}.ts`);
  fs.writeFileSync(file, text);
  return { dir, file };
}

/** Extra flags for each tsserver's node (`ASYNCWISE_TSSERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"` to profile it). */
const NODE_ARGS = (process.env.ASYNCWISE_TSSERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

interface GeterrTiming {
  firstMs: number;
  afterEditMs: number;
  diagnostics: number;
}

async function timeGeterr(typescriptDir: string, probe: string | undefined, proj: { dir: string; file: string }): Promise<GeterrTiming> {
  const server = new TsServer({ typescriptDir, log: false, nodeArgs: NODE_ARGS, ...(probe ? { globalPlugins: [PLUGIN_NAME], pluginProbeLocations: [probe] } : {}) });
  try {
    server.open(proj.file, proj.dir);
    let t = performance.now();
    let d = await server.diagnostics(proj.file, 600_000);
    const firstMs = performance.now() - t;
    const lines = fs.readFileSync(proj.file, 'utf8').split('\n').length;
    server.notify('change', { file: proj.file, line: lines, offset: 1, endLine: lines, endOffset: 1, insertString: '// edited\n' });
    t = performance.now();
    d = await server.diagnostics(proj.file, 600_000);
    const afterEditMs = performance.now() - t;
    return { firstMs, afterEditMs, diagnostics: d.semantic.length + d.suggestion.length };
  } finally {
    await server.close();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Each figure's median over the runs (a loaded 2-core machine moves one run by a third). */
function medianTiming(runs: readonly GeterrTiming[]): GeterrTiming {
  return { firstMs: median(runs.map((r) => r.firstMs)), afterEditMs: median(runs.map((r) => r.afterEditMs)), diagnostics: runs[0].diagnostics };
}

async function timeCombinedFix(typescriptDir: string, probe: string, proj: { dir: string; file: string }): Promise<{ geterrMs: number; fixMs: number; edits: number }> {
  const server = new TsServer({ typescriptDir, log: false, nodeArgs: NODE_ARGS, globalPlugins: [PLUGIN_NAME], pluginProbeLocations: [probe] });
  try {
    server.open(proj.file, proj.dir);
    let t = performance.now();
    await server.diagnostics(proj.file, 600_000);
    const geterrMs = performance.now() - t;
    t = performance.now();
    const body = await server.request<{ changes: { textChanges: unknown[] }[] }>('getCombinedCodeFix', { scope: { type: 'file', args: { file: proj.file } }, fixId: fixIdFor('AW201') }, 600_000);
    const fixMs = performance.now() - t;
    return { geterrMs, fixMs, edits: body.changes.reduce((n, c) => n + c.textChanges.length, 0) };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const root = repoRootFrom(__dirname);
  const typescriptDir = path.join(root, 'node_modules', opts.typescript === '5.9' ? 'typescript' : 'typescript-6.0');
  const probe = bundlePlugin(root, fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-tsscale-plugin-')));
  const projects = [project(root, 'spread', spreadCalls(opts.calls)), project(root, 'single', oneFunction(opts.calls))];
  const fixProject = project(root, 'fixes', manyFixes(opts.fixes));
  const result: Record<string, unknown> = { typescript: opts.typescript, calls: opts.calls, fixes: opts.fixes };
  try {
    for (const p of projects) {
      const name = path.basename(p.file, '.ts');
      const withoutRuns: GeterrTiming[] = [];
      const withRuns: GeterrTiming[] = [];
      for (let r = 0; r < opts.runs; r++) {
        withoutRuns.push(await timeGeterr(typescriptDir, undefined, p));
        withRuns.push(await timeGeterr(typescriptDir, probe, p));
      }
      const without = medianTiming(withoutRuns);
      const withPlugin = medianTiming(withRuns);
      result[name] = {
        withoutPlugin: without,
        withPlugin,
        ratioFirst: Number((withPlugin.firstMs / without.firstMs).toFixed(2)),
        ratioAfterEdit: Number((withPlugin.afterEditMs / without.afterEditMs).toFixed(2)),
      };
      if (!opts.json) {
        console.log(`geterr, ${opts.calls} calls (${name}), median of ${opts.runs}: tsserver alone ${without.firstMs.toFixed(0)} ms (after an edit ${without.afterEditMs.toFixed(0)} ms); with the plugin ${withPlugin.firstMs.toFixed(0)} ms (after an edit ${withPlugin.afterEditMs.toFixed(0)} ms, ${withPlugin.diagnostics - without.diagnostics} findings): ${(withPlugin.firstMs / without.firstMs).toFixed(2)}x, ${(withPlugin.afterEditMs / without.afterEditMs).toFixed(2)}x`);
      }
    }
    const fix = await timeCombinedFix(typescriptDir, probe, fixProject);
    result.combinedFix = fix;
    if (!opts.json) console.log(`getCombinedCodeFix over ${opts.fixes} AW201 findings: ${fix.fixMs.toFixed(0)} ms, ${fix.edits} edits (geterr before it ${fix.geterrMs.toFixed(0)} ms)`);
    else console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const p of [...projects, fixProject]) fs.rmSync(p.dir, { recursive: true, force: true });
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
