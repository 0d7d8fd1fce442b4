#!/usr/bin/env node
// The scratch copy of demo/ that `npm run demo` and the editor suite open, so that nothing a user or
// a test does in the editor (code-server's browser default `files.autoSave: afterDelay` saves every
// applied quick fix) reaches the tracked demo files.
//
//   node scripts/demo-workspace.js [PARENT]   copies demo/ afresh to PARENT/demo (default
//                                             .cache/demo-workspace/demo) and prints that path
//
// The copy stays inside the repository (under the git-ignored .cache/), so the demo's TS/JS project
// finds @types/node in the repository's node_modules the way TypeScript looks for types by default,
// up the folders; and everything is copied, the demo's rule configuration (python/pyproject.toml,
// node-service/package.json) included.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DEMO = path.join(ROOT, 'demo');
const DEFAULT_PARENT = path.join(ROOT, '.cache', 'demo-workspace');

/** Replaces PARENT/demo with a fresh copy of demo/ and returns its path. */
function prepareDemoWorkspace(parent = DEFAULT_PARENT) {
  const target = path.join(path.resolve(parent), 'demo');
  const relative = path.relative(ROOT, target);
  const inDemo = relative === 'demo' || relative.startsWith(`demo${path.sep}`);
  if (relative.startsWith('..') || path.isAbsolute(relative) || inDemo) {
    throw new Error(`the demo workspace must be a copy inside the repository, not ${target}`);
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(DEMO, target, { recursive: true, preserveTimestamps: true });
  return target;
}

module.exports = { prepareDemoWorkspace, DEMO, DEFAULT_PARENT };

if (require.main === module) {
  try {
    process.stdout.write(`${prepareDemoWorkspace(process.argv[2])}\n`);
  } catch (error) {
    process.stderr.write(`[demo] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
