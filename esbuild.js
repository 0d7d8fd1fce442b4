// @ts-check
/**
 * Builds every bundle of asyncwise. Type checking is separate (`npm run check-types`).
 *
 *   node esbuild.js               extension + CLI + tools into dist/, grammar wasm copied beside them
 *   node esbuild.js --production  minified, no source maps (what the VSIX ships)
 *   node esbuild.js --watch       rebuild on change
 *   node esbuild.js --tests       also the unit tests, editor suite and benchmark into out/
 */
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');
const IMPORT_META_SHIM = 'var __asyncwiseImportMetaUrl = require("url").pathToFileURL(__filename).href;';

/** Copies the WebAssembly the Python engine loads at run time next to the bundles. */
function copyWasm(outdir) {
  fs.mkdirSync(outdir, { recursive: true });
  const files = [
    require.resolve('web-tree-sitter/tree-sitter.wasm'),
    require.resolve('tree-sitter-python/tree-sitter-python.wasm'),
  ];
  for (const file of files) fs.copyFileSync(file, path.join(outdir, path.basename(file)));
}

/**
 * The tsserver plugin is loaded by package name from the extension's folder (tsserver resolves
 * `<extension>/node_modules/<name>`), so the build writes it as a package there: a package.json and
 * the bundle. The VSIX carries the same folder (scripts/package.js).
 */
const TSPLUGIN_NAME = 'asyncwise-tsserver-plugin';
const TSPLUGIN_DIR = path.join('node_modules', TSPLUGIN_NAME);
function writeTsPluginPackage() {
  fs.mkdirSync(TSPLUGIN_DIR, { recursive: true });
  const version = require('./package.json').version;
  const manifest = { name: TSPLUGIN_NAME, version, private: true, description: 'asyncwise TS/JS rules inside tsserver (built from src/tsplugin)', main: 'index.js' };
  fs.writeFileSync(path.join(TSPLUGIN_DIR, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
}

/** Prints errors in the format of VS Code's esbuild problem matcher. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => { if (watch) console.log('[watch] build started'); });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [problemMatcher],
  // web-tree-sitter's ESM build reads import.meta.url, which a CommonJS bundle lacks.
  define: { 'import.meta.url': '__asyncwiseImportMetaUrl' },
  banner: { js: IMPORT_META_SHIM },
  // The Python inspector's snapshot script ships as text inside the bundle.
  loader: { '.py': 'text' },
};

function listTests(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTests(full));
    else if (/\.test\.ts$/.test(entry.name)) out.push(full);
  }
  return out;
}

async function main() {
  /** @type {import('esbuild').BuildOptions[]} */
  const configs = [
    { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
    { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node\n' + IMPORT_META_SHIM } },
    { ...common, entryPoints: ['src/tools/docs.ts'], outfile: 'dist/tools/docs.js' },
    // Runs inside tsserver with the `typescript` module tsserver hands it: it bundles none of its own.
    { ...common, entryPoints: ['src/tsplugin/index.ts'], outfile: path.join(TSPLUGIN_DIR, 'index.js'), external: ['typescript'] },
  ];
  // The loop inspector's webview: a browser bundle and its stylesheet, loaded from dist/media by the view.
  configs.push({ ...common, platform: 'browser', format: 'iife', target: 'es2022', define: {}, banner: {}, entryPoints: ['media/src/inspector.ts'], outfile: 'dist/media/inspector.js' });
  fs.mkdirSync('dist/media', { recursive: true });
  fs.copyFileSync('media/inspector.css', 'dist/media/inspector.css');
  copyWasm('dist');
  writeTsPluginPackage();
  if (tests) {
    const unit = listTests('test/unit');
    // The TS/JS engine's tests load both TypeScript versions at run time rather than bundling them.
    configs.push({ ...common, minify: false, sourcemap: true, entryPoints: unit, outdir: 'out/test/unit', outbase: 'test/unit', external: ['typescript', 'typescript-6.0'] });
    const vscodeEntries = ['test/vscode/suite/index.ts', 'test/vscode/runCodeServer.ts', 'test/vscode/runElectron.ts'].filter((f) => fs.existsSync(f));
    if (vscodeEntries.length) configs.push({ ...common, minify: false, sourcemap: true, entryPoints: vscodeEntries, outdir: 'out/test/vscode', outbase: 'test/vscode', external: ['vscode', 'playwright-core', 'mocha', '@vscode/test-electron'] });
    if (fs.existsSync('bench/inspector-python.ts')) configs.push({ ...common, minify: false, entryPoints: ['bench/inspector-python.ts'], outfile: 'out/bench/inspector-python.js' });
    if (fs.existsSync('bench/bench.ts')) configs.push({ ...common, minify: false, entryPoints: ['bench/bench.ts'], outfile: 'out/bench/bench.js', external: ['@astral-sh/ruff-wasm-nodejs'] });
    if (fs.existsSync('bench/cli-scale.ts')) configs.push({ ...common, minify: false, entryPoints: ['bench/cli-scale.ts'], outfile: 'out/bench/cli-scale.js', external: ['@astral-sh/ruff-wasm-nodejs'] });
    if (fs.existsSync('bench/ecosystem.ts')) configs.push({ ...common, minify: false, entryPoints: ['bench/ecosystem.ts'], outfile: 'out/bench/ecosystem.js' });
    // Stage by stage, both engines: `typescript` is the profiled project's own, else ours.
    if (fs.existsSync('bench/profile.ts')) configs.push({ ...common, minify: false, entryPoints: ['bench/profile.ts'], outfile: 'out/bench/profile.js', external: ['typescript'] });
    if (fs.existsSync('bench/server.ts')) configs.push({ ...common, minify: false, entryPoints: ['bench/server.ts'], outfile: 'out/bench/server.js' });
    if (fs.existsSync('bench/inspector-node.ts')) configs.push({ ...common, minify: false, entryPoints: ['bench/inspector-node.ts'], outfile: 'out/bench/inspector-node.js' });
    // TS/JS benchmarks: the plugin's overhead in a LanguageService, the CLI next to ESLint (eslint.ts) and
    // next to oxlint, Biome and ESLint as whole processes (peers.ts).
    // The plugin in a real tsserver on huge files; the fuzz harness (`npm run fuzz`).
    for (const entry of ['bench/tsplugin.ts', 'bench/eslint.ts', 'bench/tsplugin-scale.ts', 'bench/fuzz.ts', 'bench/peers.ts'].filter((f) => fs.existsSync(f))) {
      configs.push({ ...common, minify: false, entryPoints: [entry], outfile: path.join('out', entry.replace(/\.ts$/, '.js')), external: ['typescript', 'typescript-6.0', 'eslint', 'typescript-eslint', 'eslint-plugin-n', 'esbuild'] });
    }
    copyWasm('out/test/unit');
    copyWasm('out/test/vscode');
    copyWasm('out/bench');
  }
  if (watch) {
    const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
    await Promise.all(contexts.map((c) => c.watch()));
  } else {
    await Promise.all(configs.map((c) => esbuild.build(c)));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
