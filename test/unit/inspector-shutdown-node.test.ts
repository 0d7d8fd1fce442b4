/**
 * The Node backend's shutdown view against a real `node --inspect` program that hangs on SIGTERM: a
 * dropped interval and a connection `server.close()` waits for. "Simulate shutdown" sends SIGTERM;
 * the snapshots after it mark the ref'd handles and timers keeping the loop alive, at their lines,
 * with AW306 on the interval. Variants that shut down well, or have no SIGTERM listener, just exit.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { LoopSnapshot } from '../../src/inspector/model';
import { NodeBackend } from '../../src/inspector/node/backend';
import { spawnInspected } from '../../src/inspector/node/spawn';
import { repoRoot } from './helpers';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'inspector', 'node', 'hang-on-sigterm.js');
const SOURCE = fs.readFileSync(FIXTURE, 'utf8').split('\n');
function line(mark: string): number {
  const i = SOURCE.findIndex((l) => l.includes(`// MARK:${mark}`));
  assert.ok(i >= 0, `no MARK:${mark} in the fixture`);
  return i + 1;
}
const describeItems = (s: LoopSnapshot) => s.items.map((i) => `${i.kind} ${i.label} ${i.state}${i.blocksExit ? ' BLOCKS' : ''} @${i.location?.line}`).join('\n');

function exited(child: import('node:child_process').ChildProcess, ms: number): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(`exited ${child.exitCode ?? child.signalCode}`);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running'), ms);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve(`exited ${code ?? signal}`); });
  });
}

describe('node shutdown view (real node --inspect programs that hang on SIGTERM)', { timeout: 120_000 }, () => {
  it('a dropped interval and an open connection: both marked, at their lines, AW306 on the interval', async () => {
    const program = await spawnInspected(FIXTURE);
    const backend = new NodeBackend(program.channel);
    try {
      const [, port] = await program.waitForLine(/^READY (\d+)$/);
      const before = await backend.snapshot({ tier: 1 });
      assert.equal(before.shutdown, undefined);
      assert.ok(!before.items.some((i) => i.blocksExit));
      const state = await backend.shutdown();
      assert.equal(state.how, 'SIGTERM sent to a program with 1 SIGTERM listener');
      await program.waitForLine(/^SIGTERM: closing$/);
      await new Promise((r) => setTimeout(r, 500));
      const report = await backend.snapshot({ tier: 1 });
      assert.deepEqual(report.shutdown, state);
      const blockers = report.items.filter((i) => i.blocksExit);
      const interval = blockers.find((i) => i.kind === 'timer');
      assert.ok(interval, describeItems(report));
      assert.equal(interval.label, 'setInterval 200 ms');
      assert.equal(interval.rule, 'AW306');
      assert.equal(interval.location?.file, FIXTURE);
      assert.equal(interval.location?.line, line('interval'));
      const socket = blockers.find((i) => i.kind === 'socket');
      assert.ok(socket, describeItems(report));
      assert.match(socket.label, new RegExp(`^TCP 127\\.0\\.0\\.1:${port} → `), 'the server side of the connection');
      assert.equal(socket.location?.file, FIXTURE, 'located at the request handler of its server');
      assert.equal(socket.location?.line, line('handler'));
      assert.equal(socket.rule, undefined, 'no static rule for an open connection');
      assert.equal(blockers.length, 2, describeItems(report));
      assert.ok(!report.items.some((i) => i.kind === 'server'), 'the server stopped listening');
      assert.ok(report.items.some((i) => /^stdout/.test(i.label) && !i.blocksExit), 'stdio is listed, not blamed');
      backend.dispose(); // no debugger left to wait for: only the program's own handles hold it now
      assert.equal(await exited(program.child, 1500), 'still running', 'it hangs, as it would in production');
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('a SIGTERM from outside (the Stop of a polite launch): markShutdown, the same two blockers', async () => {
    const program = await spawnInspected(FIXTURE);
    const backend = new NodeBackend(program.channel);
    try {
      await program.waitForLine(/^READY \d+$/);
      const requestedAt = Date.now();
      program.child.kill('SIGTERM');
      backend.markShutdown({ requestedAt, how: 'Stop pressed' });
      await program.waitForLine(/^SIGTERM: closing$/);
      await new Promise((r) => setTimeout(r, 500));
      const report = await backend.snapshot({ tier: 1 });
      assert.deepEqual(report.shutdown, { requestedAt, how: 'Stop pressed' });
      assert.deepEqual(report.items.filter((i) => i.blocksExit).map((i) => `${i.kind} ${i.rule} ${i.location?.line}`).sort(), [`socket undefined ${line('handler')}`, `timer AW306 ${line('interval')}`], describeItems(report));
    } finally {
      backend.dispose();
      await program.stop();
    }
  });

  it('a program whose SIGTERM listener clears everything exits; one without a listener exits at once', async () => {
    for (const [env, how] of [[{ HANG: 'none' }, 'SIGTERM sent to a program with 1 SIGTERM listener'], [{ NO_HANDLER: '1' }, 'SIGTERM sent; the program has no SIGTERM listener, so Node exits at once']] as const) {
      const program = await spawnInspected(FIXTURE, { env });
      const backend = new NodeBackend(program.channel);
      try {
        await program.waitForLine(/^READY \d+$/);
        assert.equal((await backend.shutdown()).how, how);
        // A finished program with a debugger attached waits for it to disconnect (Node's "Waiting for
        // the debugger to disconnect..."): the editor ends the session then; here the test lets go.
        await new Promise((r) => setTimeout(r, 1000));
        backend.dispose();
        assert.match(await exited(program.child, 10_000), /^exited (0|SIGTERM)$/, JSON.stringify(env));
      } finally {
        backend.dispose();
        await program.stop();
      }
    }
  });
});
