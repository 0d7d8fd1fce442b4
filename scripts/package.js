// `npm run package`: builds the production bundles (npm script) then packs asyncwise-<version>.vsix.
// Everything the extension runs is bundled into dist/, so no node_modules ship (--no-dependencies);
// .vscodeignore lists what goes in. Prints the packaged file list for review.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const pkg = require('../package.json');

const vsce = path.join(__dirname, '..', 'node_modules', '@vscode', 'vsce', 'vsce');
const out = `${pkg.name}-${pkg.version}.vsix`;
const run = (args) => execFileSync(process.execPath, [vsce, ...args], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
run(['ls', '--no-dependencies']);
run(['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', out]);
// tsserver loads the plugin from the extension's node_modules, which vsce leaves out: add it.
execFileSync(process.execPath, [path.join(__dirname, 'package-tsplugin.js'), out], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
console.log(`packaged ${out}`);
