/**
 * Fix safety at scale: applies one rule's fixes to every Python file of a tree (safe fixes, then
 * separately safe + unsafe), writes the changed files to an output folder, checks each parses with
 * Python's own parser, and re-runs the rule on the result to count what is still fixable.
 *
 *   npx esbuild scripts/fix-safety.ts --bundle --platform=node --outfile=.cache/fix-safety.js \
 *     --define:import.meta.url=__u "--banner:js=var __u=require('url').pathToFileURL(__filename).href;"
 *   cp dist/*.wasm .cache/ && node .cache/fix-safety.js --select AW401 --target-version 3.11 --out /tmp/fixed /tmp/corpus
 *
 * Prints one JSON object per mode: files analysed, findings, fixes applied, files changed, files
 * that no longer parse (with names), and findings still fixable after one pass. A third mode,
 * `each`, applies every fix of every finding on its own (the alternatives fix-all never picks) and
 * checks each result parses and leaves no finding where the fix applied.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG } from '../src/core/catalog';
import { applyEdits } from '../src/core/finding';
import { DEFAULT_SETTINGS, parseSettings } from '../src/core/settings';
import { analyzePython } from '../src/python/analyze';
import { PythonParser } from '../src/python/parser';
import { ProjectIndexes } from '../src/cli/projects';

const SKIP_DIRS = new Set(['.git', 'node_modules', '__pycache__', '.tox', '.venv', 'venv', 'site-packages']);

function pythonFiles(root: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) pythonFiles(full, out);
    } else if (entry.isFile() && entry.name.endsWith('.py')) out.push(full);
  }
  return out;
}

/** Files Python refuses to parse, checked in one python3 process. */
function unparsable(files: readonly string[]): string[] {
  if (files.length === 0) return [];
  const script = "import ast,sys\nfor p in sys.stdin.read().split(\"\\n\"):\n  if not p: continue\n  try:\n    ast.parse(open(p, encoding=\"utf-8\").read())\n  except SyntaxError:\n    print(p)\n";
  const out = execFileSync('python3', ['-c', script], { input: files.join('\n'), encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.split('\n').filter(Boolean);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  const code = take('--select') ?? 'AW401';
  const target = take('--target-version') ?? '3.11';
  const outDir = take('--out') ?? '/tmp/asyncwise-fixed';
  const roots = args;
  const rule = CATALOG.find((r) => r.code === code);
  if (!rule || roots.length === 0) throw new Error('usage: fix-safety --select CODE [--target-version 3.X] [--out DIR] PATH...');
  const settings = parseSettings({ python: { targetVersion: target }, rules: { [code]: rule.severity } }, CATALOG, (w) => console.error(w), DEFAULT_SETTINGS);
  const parser = await PythonParser.load(path.join(__dirname));
  const files = roots.flatMap((r) => pythonFiles(r));
  // As the CLI does: each file's project index, for cross-file rules (AW202, AW301). A fixed text is
  // re-analysed at the original path, so it resolves its imports as before.
  const projects = new ProjectIndexes(parser, roots.map((r) => path.resolve(r)));
  const where = (file: string) => ({ project: projects.of(file), filePath: file });

  for (const unsafe of [false, true]) {
    const mode = unsafe ? 'unsafe' : 'safe';
    let findings = 0;
    let applied = 0;
    let stillFixable = 0;
    const changed: string[] = [];
    for (const file of files) {
      const source = fs.readFileSync(file, 'utf8');
      const analysis = analyzePython(parser, source, settings, { rules: [rule], ...where(file) });
      findings += analysis.findings.length;
      const result = analysis.fixAll(unsafe);
      analysis.dispose();
      if (result.applied === 0) continue;
      applied += result.applied;
      const dest = path.join(outDir, mode, path.relative('/', file));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, result.text);
      changed.push(dest);
      const again = analyzePython(parser, result.text, settings, { rules: [rule], ...where(file) });
      stillFixable += again.findings.filter((f) => again.validFixes(f).some((x) => unsafe || x.safety === 'safe')).length;
      again.dispose();
    }
    const broken = unparsable(changed);
    console.log(JSON.stringify({ rule: code, mode, target, files: files.length, findings, fixesApplied: applied, filesChanged: changed.length, filesNotParsing: broken.length, broken, stillFixableAfterOnePass: stillFixable }));
  }

  let fixes = 0;
  let leftFinding = 0;
  const written: string[] = [];
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    const analysis = analyzePython(parser, source, settings, { rules: [rule], ...where(file) });
    for (const finding of analysis.findings) {
      for (const fix of analysis.validFixes(finding)) {
        const text = applyEdits(source, fix.edits);
        const dest = path.join(outDir, 'each', `${path.relative('/', file)}.${++fixes}.py`);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.writeFileSync(dest, text);
        written.push(dest);
        // The rewrite is the last edit (earlier ones add imports): nothing of the rule may remain there.
        const sorted = [...fix.edits].sort((a, b) => a.start - b.start);
        const main = sorted[sorted.length - 1];
        const start = main.start + sorted.slice(0, -1).reduce((n, e) => n + e.newText.length - (e.end - e.start), 0);
        const again = analyzePython(parser, text, settings, { rules: [rule], ...where(file) });
        if (again.findings.some((f) => f.start >= start && f.start < start + main.newText.length)) leftFinding++;
        again.dispose();
      }
    }
    analysis.dispose();
  }
  const broken = unparsable(written);
  console.log(JSON.stringify({ rule: code, mode: 'each', target, fixes, filesNotParsing: broken.length, broken, findingLeftWhereFixed: leftFinding }));
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
