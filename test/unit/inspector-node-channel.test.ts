/**
 * The WebSocket CDP channel against a real `node --inspect` program: big messages (a 64-bit frame
 * length), protocol errors, per-request timeouts, the end of the connection rejecting what is in
 * flight, and connection failures that reject instead of hanging.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CdpError, WebSocketCdpChannel } from '../../src/inspector/node/cdp';
import { spawnInspected } from '../../src/inspector/node/spawn';
import { repoRoot } from './helpers';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'inspector', 'node', 'pending.js');

describe('WebSocket CDP channel (real node --inspect)', { timeout: 60_000 }, () => {
  it('carries big messages, reports protocol errors and times out slow requests', async () => {
    const program = await spawnInspected(FIXTURE);
    try {
      const { channel } = program;
      const big = await channel.send<{ result: { value: string } }>('Runtime.evaluate', { expression: `'x'.repeat(5_000_000)`, returnByValue: true });
      assert.equal(big.result.value.length, 5_000_000);
      // A request above 64 KiB goes out in a 64-bit-length frame too.
      const echo = await channel.send<{ result: { value: number } }>('Runtime.evaluate', { expression: `${JSON.stringify('y'.repeat(200_000))}.length`, returnByValue: true });
      assert.equal(echo.result.value, 200_000);

      await assert.rejects(channel.send('No.suchMethod'), (e: Error) => e instanceof CdpError && e.code === -32601 && /^No\.suchMethod: /.test(e.message));
      await assert.rejects(
        channel.send('Runtime.evaluate', { expression: 'const end = Date.now() + 400; while (Date.now() < end);' }, 50),
        /Runtime\.evaluate: no answer after 50 ms/,
      );
      // The late answer is dropped; the channel still works.
      const after = await channel.send<{ result: { value: number } }>('Runtime.evaluate', { expression: '6 * 7', returnByValue: true });
      assert.equal(after.result.value, 42);
    } finally {
      await program.stop();
    }
  });

  it('rejects requests in flight and fires onClose once when the program dies', async () => {
    const program = await spawnInspected(FIXTURE);
    const reasons: string[] = [];
    program.channel.onClose((r) => reasons.push(r));
    const inFlight = program.channel.send('Runtime.evaluate', { expression: 'new Promise(() => {})', awaitPromise: true }, 30_000);
    program.child.kill('SIGKILL');
    await assert.rejects(inFlight, /connection closed/);
    assert.equal(reasons.length, 1);
    await assert.rejects(program.channel.send('Runtime.evaluate', { expression: '1' }), /connection closed/);
    let late = 0;
    program.channel.onClose(() => late++);
    assert.equal(late, 1, 'a listener added after the close is told at once');
    await program.stop();
  });

  it('a refused or silent endpoint rejects instead of hanging', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(WebSocketCdpChannel.connect(`ws://127.0.0.1:${port}/x`, 2000), /WebSocket connection to .* failed/);

    const silent = net.createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const p = (silent.address() as net.AddressInfo).port;
      await assert.rejects(WebSocketCdpChannel.connectToProxy({ host: '127.0.0.1', port: p, path: 'abc' }, 300), /handshake with ws:\/\/127\.0\.0\.1:\d+\/abc timed out after 300 ms/);
    } finally {
      silent.close();
    }
  });
});
