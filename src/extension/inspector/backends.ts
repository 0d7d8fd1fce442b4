/**
 * Connects a debug session to its backend: Node through js-debug's CDP proxy, Python through the
 * session's own DAP connection (customRequest + tracker events).
 */
import * as vscode from 'vscode';
import type { CdpChannel, InspectorBackend } from '../../inspector/channel';
import { NodeBackend } from '../../inspector/node/backend';
import { WebSocketCdpChannel } from '../../inspector/node/cdp';
import { PythonBackend } from '../../inspector/python/backend';
import type { Log } from '../log';
import type { BackendFactory } from './controller';
import type { DapChannels, SessionDapChannel } from './dapChannel';

type CdpProxy = { host: string; port: number; path?: string };

const isProxy = (v: unknown): v is CdpProxy => !!v && typeof (v as CdpProxy).host === 'string' && typeof (v as CdpProxy).port === 'number';

/**
 * Asks js-debug for a CDP proxy to the session's target. It answers on the concrete child session
 * only (the parent never does, hence the timeout), and right after the session starts it may answer
 * nothing yet: ask again until the deadline.
 */
export async function requestCdpProxy(session: vscode.DebugSession, timeoutMs = 8000): Promise<CdpProxy> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now()));
    });
    try {
      last = await Promise.race([Promise.resolve(vscode.commands.executeCommand<unknown>('extension.js-debug.requestCDPProxy', session.id)), timeout]);
      // The command answers nothing until js-debug's own tracker knows the session; the DAP request
      // it forwards to works as soon as the target is attached.
      if (!isProxy(last) && last !== 'timeout') last = await Promise.race([Promise.resolve(session.customRequest('requestCDPProxy')), timeout]);
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
    }
    if (isProxy(last)) return last;
    if (last === 'timeout') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`js-debug gave no CDP proxy for "${session.name}" within ${timeoutMs} ms (last answer: ${JSON.stringify(last)})`);
}

export interface BackendConstructors {
  readonly connectCdp: (proxy: CdpProxy) => Promise<CdpChannel>;
  /** `dap` is the same session seen through DAP: it knows whether the program is paused. */
  readonly node: (channel: CdpChannel, dap: SessionDapChannel) => InspectorBackend;
  readonly python: (channel: SessionDapChannel) => InspectorBackend;
}

export function backendFactory(dap: DapChannels, make: BackendConstructors): BackendFactory {
  return async (session, runtime, signal) => {
    if (runtime === 'python') return make.python(dap.channelFor(session));
    const proxy = await requestCdpProxy(session);
    const channel = await make.connectCdp(proxy);
    if (signal.aborted) {
      channel.close();
      throw new Error('the session changed while connecting');
    }
    try {
      return make.node(channel, dap.channelFor(session));
    } catch (error) {
      channel.close();
      throw error;
    }
  };
}

/** The real backends (src/inspector/node, src/inspector/python), logging to the output channel. */
export function defaultBackends(log: Log): BackendConstructors {
  return {
    connectCdp: async (proxy) => {
      const channel = await WebSocketCdpChannel.connectToProxy(proxy);
      channel.onClose((reason) => log.info(`inspector (node): CDP proxy connection closed: ${reason}`));
      return channel;
    },
    node: (channel, dap) =>
      new NodeBackend(channel, {
        // Opt-in: promise creation stacks cost promise-heavy programs ~100x; read when a session starts.
        creationStacks: vscode.workspace.getConfiguration('asyncwise').get<boolean>('inspector.node.creationStacks', false),
        isPaused: () => dap.stoppedThreadId !== undefined,
        log: (m) => log.info(`inspector (node): ${m}`),
      }),
    // A session already stopped at a breakpoint is inspected in place, never resumed by us.
    python: (channel) =>
      new PythonBackend(channel, {
        stoppedThreadId: channel.stoppedThreadId,
        // Rows per snapshot: more rows, a longer stall of the program's loop while they are read.
        maxItems: vscode.workspace.getConfiguration('asyncwise').get<number>('inspector.python.maxTasks', 2000),
        log: (m) => log.info(`inspector (python): ${m}`),
      }),
  };
}
