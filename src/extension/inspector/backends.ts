/**
 * Connects a debug session to its backend: Node through js-debug's CDP proxy, Python through the
 * session's own DAP connection (customRequest + tracker events).
 */
import * as vscode from 'vscode';
import type { CdpChannel, InspectorBackend } from '../../inspector/channel';
import type { BackendFactory } from './controller';
import type { DapChannels } from './dapChannel';

/** js-debug answers on the concrete child session only; the parent never does, so this always times out. */
export async function requestCdpProxy(session: vscode.DebugSession, timeoutMs = 5000): Promise<{ host: string; port: number; path?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`js-debug did not hand out a CDP proxy within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const proxy = await Promise.race([Promise.resolve(vscode.commands.executeCommand<{ host: string; port: number; path?: string }>('extension.js-debug.requestCDPProxy', session.id)), timeout]);
    if (!proxy || typeof proxy.host !== 'string' || typeof proxy.port !== 'number') throw new Error(`js-debug returned no CDP proxy for "${session.name}"`);
    return proxy;
  } finally {
    clearTimeout(timer);
  }
}

export interface BackendConstructors {
  readonly connectCdp: (proxy: { host: string; port: number; path?: string }) => Promise<CdpChannel>;
  readonly node: (channel: CdpChannel) => InspectorBackend;
  readonly python: (channel: import('../../inspector/channel').DapChannel) => InspectorBackend;
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
      return make.node(channel);
    } catch (error) {
      channel.close();
      throw error;
    }
  };
}

/** The real backends (src/inspector/node, src/inspector/python). */
export const DEFAULT_BACKENDS: BackendConstructors = {
  connectCdp: () => Promise.reject(new Error('the Node backend is not in this build yet')),
  node: () => {
    throw new Error('the Node backend is not in this build yet');
  },
  python: () => {
    throw new Error('the Python backend is not in this build yet');
  },
};
