/**
 * The tsserver plugin bundled from this checkout's sources into a private probe folder, for the
 * benchmarks that start a real tsserver: the copy the build writes under node_modules may be shared
 * with other checkouts and rewritten while a benchmark runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLUGIN_NAME } from '../src/tsplugin/codes';

/** The plugin bundled from this checkout's sources into `<dir>/node_modules/<plugin>`; returns `dir`. */
export function bundlePlugin(root: string, dir: string): string {
  // At run time, from the checkout's own esbuild (the benchmark is not bundled with it).
  const esbuild = require(path.join(root, 'node_modules', 'esbuild')) as typeof import('esbuild');
  const pkg = path.join(dir, 'node_modules', PLUGIN_NAME);
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: PLUGIN_NAME, version: '0.0.0', private: true, main: 'index.js' }));
  esbuild.buildSync({
    entryPoints: [path.join(root, 'src', 'tsplugin', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: path.join(pkg, 'index.js'),
    external: ['typescript'],
    logLevel: 'warning',
    loader: { '.py': 'text' },
    define: { 'import.meta.url': '__u' },
    banner: { js: 'var __u = require("url").pathToFileURL(__filename).href;' },
  });
  return dir;
}

