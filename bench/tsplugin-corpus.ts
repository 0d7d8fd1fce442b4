/**
 * The TS/JS benchmark corpus: real TypeScript sources shipped in node_modules packages (no network).
 * By default the Microsoft Authentication Library's sources as published on npm — msal-node,
 * msal-common and msal-browser, about 520 files and 94,000 lines of async-heavy Node and browser
 * code — which `npm ci` installs as a dependency of @vscode/vsce.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_TS_ROOTS = ['@azure/msal-node/src', '@azure/msal-common/src', '@azure/msal-browser/src'];

export function tsCorpusRoots(repoRoot: string, roots: readonly string[]): string[] {
  const resolved = (roots.length ? roots : DEFAULT_TS_ROOTS.map((r) => path.join(repoRoot, 'node_modules', r))).map((r) => path.resolve(r));
  for (const r of resolved) if (!fs.existsSync(r)) throw new Error(`corpus folder ${r} is missing (run npm ci, or pass --corpus DIR)`);
  return resolved;
}

/** Every .ts/.tsx/.mts/.cts source (no declarations, no tests) under the roots, sorted. */
export function tsFiles(roots: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'test' && entry.name !== '__tests__') walk(full);
      } else if (/\.(?:[cm]?ts|tsx)$/.test(entry.name) && !/\.d\.[cm]?ts$/.test(entry.name) && !/\.(?:spec|test)\.ts$/.test(entry.name)) out.push(full);
    }
  };
  for (const root of roots) walk(root);
  return out.sort();
}

export function countLines(files: readonly string[]): number {
  let lines = 0;
  for (const f of files) lines += fs.readFileSync(f, 'utf8').split('\n').length;
  return lines;
}

export function repoRootFrom(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'src', 'core'))) return d;
    if (d === path.dirname(d)) throw new Error('repository root not found');
  }
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
}
