/**
 * The package's own metadata: `npm ci` on the Node that runs the tests (CI's, a newcomer's) must not
 * warn EBADENGINE, so every locked package's `engines.node` admits it, as does our own `engines`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers';

const ROOT = repoRoot();
// semver is in the tree through @vscode/test-electron and others; loaded at run time, not bundled.
const semver = createRequire(path.join(ROOT, 'package.json'))('semver') as { satisfies(version: string, range: string): boolean };

interface LockEntry {
  readonly version?: string;
  readonly optional?: boolean;
  readonly engines?: { readonly node?: string } | readonly string[];
}

describe('package metadata', () => {
  it('every locked package admits the Node running the tests (no EBADENGINE on npm ci)', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const node = process.versions.node;
    const refused = Object.entries(lock.packages)
      .filter(([name, entry]) => name && entry.engines && !Array.isArray(entry.engines) && (entry.engines as { node?: string }).node)
      .filter(([, entry]) => !semver.satisfies(node, (entry.engines as { node: string }).node))
      .map(([name, entry]) => `${name.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
    assert.deepEqual(refused, [], `on Node ${node}`);
  });

  it('package.json engines.node admits the Node running the tests', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.ok(semver.satisfies(process.versions.node, pkg.engines.node), `engines.node ${pkg.engines.node} refuses ${process.versions.node}`);
  });
});
