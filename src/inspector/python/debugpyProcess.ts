/**
 * Starts a Python program under debugpy (`python -m debugpy --listen … --wait-for-client`) and
 * attaches a `SocketDapChannel` to it: how tests and the benchmark drive the Python backend against
 * real programs, without VS Code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SocketDapChannel, attachDebugpy, launchDebugpy, type AttachOptions } from '../dap';

export interface DebugpyProgram {
  readonly channel: SocketDapChannel;
  readonly process: ChildProcess;
  /** Everything the program wrote to stdout and stderr so far (the adapter's own output included). */
  output(): string;
  /** Resolves when the program exits, with its exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** Closes the channel and kills the program if it still runs. */
  dispose(): Promise<void>;
}

export interface StartOptions extends AttachOptions {
  /** Python interpreter with debugpy importable; default Debian's `/usr/bin/python3`. */
  readonly python?: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** A port that was free a moment ago (debugpy's `--listen` cannot report a port 0 choice back). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const DEBIAN_DIST_PACKAGES = '/usr/lib/python3/dist-packages';

/**
 * A directory to put on PYTHONPATH so another interpreter (pyenv's 3.8–3.13) imports Debian's
 * debugpy and the packages Debian unvendored from it, and nothing else of Debian's. Undefined when
 * Debian's debugpy is not installed.
 */
export function debianDebugpyPath(): string | undefined {
  if (!fs.existsSync(path.join(DEBIAN_DIST_PACKAGES, 'debugpy'))) return undefined;
  const dir = path.join(os.tmpdir(), `asyncwise-debugpy-${process.getuid?.() ?? 0}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['debugpy', 'bytecode', 'typing_extensions.py']) {
    const target = path.join(DEBIAN_DIST_PACKAGES, name);
    const link = path.join(dir, name);
    if (fs.existsSync(target) && !fs.existsSync(link)) {
      try {
        fs.symlinkSync(target, link);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }
  return dir;
}

export async function startDebugpy(program: string, options: StartOptions = {}): Promise<DebugpyProgram> {
  const port = await freePort();
  const python = options.python ?? '/usr/bin/python3';
  const child = spawn(python, ['-X', 'frozen_modules=off', '-m', 'debugpy', '--listen', `127.0.0.1:${port}`, '--wait-for-client', program, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYDEVD_DISABLE_FILE_VALIDATION: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => { output += d; });
  child.stderr?.on('data', (d) => { output += d; });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (e) => resolve(`spawn error: ${e.message}`));
  });
  const dispose = async (): Promise<void> => {
    channel?.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  let channel: SocketDapChannel | undefined;
  try {
    const timeoutMs = options.timeoutMs ?? 20_000;
    channel = await Promise.race([
      SocketDapChannel.connect('127.0.0.1', port, timeoutMs),
      exited.then((code) => { throw new Error(`python exited (${code}) before debugpy listened: ${output.slice(-2000)}`); }),
    ]);
    await attachDebugpy(channel, { ...options, timeoutMs });
  } catch (e) {
    await dispose();
    throw e;
  }
  const connected = channel;
  return { channel: connected, process: child, output: () => output, exited, dispose };
}

export interface LaunchedProgram {
  readonly channel: SocketDapChannel;
  /** The adapter's process (the program is its grandchild, through debugpy's launcher). */
  readonly adapter: ChildProcess;
  /** The adapter's log and the program's output (`output` events). */
  output(): string;
  /** Resolves with the program's exit code from the `exited` event, or 'terminated' / 'closed'. */
  readonly exited: Promise<number | string>;
  dispose(): Promise<void>;
}

/**
 * Launches `program` the way the editor does: `python -m debugpy.adapter` as a debug server and a DAP
 * `launch` request (`launch` lets the adapter take options `attach` ignores, such as
 * `onTerminate: "KeyboardInterrupt"`, what the Stop button then sends).
 */
export async function launchUnderAdapter(program: string, options: { python?: string; launch?: Record<string, unknown>; timeoutMs?: number } = {}): Promise<LaunchedProgram> {
  const port = await freePort();
  const python = options.python ?? '/usr/bin/python3';
  const adapter = spawn(python, ['-m', 'debugpy.adapter', '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  adapter.stdout?.on('data', (d) => { output += d; });
  adapter.stderr?.on('data', (d) => { output += d; });
  let settle: (v: number | string) => void = () => undefined;
  const exited = new Promise<number | string>((resolve) => { settle = resolve; });
  let channel: SocketDapChannel | undefined;
  const dispose = async (): Promise<void> => {
    if (channel) {
      await channel.request('disconnect', { terminateDebuggee: true }, 5000).catch(() => undefined);
      channel.close();
    }
    if (adapter.exitCode === null && adapter.signalCode === null) {
      const gone = new Promise((r) => adapter.once('exit', r));
      adapter.kill('SIGKILL');
      await gone;
    }
  };
  try {
    channel = await SocketDapChannel.connect('127.0.0.1', port, options.timeoutMs ?? 20_000);
    channel.onEvent((event, body) => {
      if (event === 'output' && typeof body?.output === 'string' && body.category !== 'telemetry') output += body.output;
      if (event === 'exited') settle(typeof body?.exitCode === 'number' ? body.exitCode : 'exited');
      if (event === 'terminated') setTimeout(() => settle('terminated'), 200);
    });
    channel.onClose(() => settle('closed'));
    await launchDebugpy(channel, { program, python: [python], console: 'internalConsole', justMyCode: true, ...options.launch }, options.timeoutMs);
  } catch (e) {
    await dispose();
    throw e;
  }
  const connected = channel;
  return { channel: connected, adapter, output: () => output, exited, dispose };
}
