/** Entry point of the `asyncwise` command (bundled to dist/cli.js). See `run.ts`. */
import { runWorkerIfAsked } from './pool';
import { runServerEngineIfAsked } from '../server/engine';
import { startServer } from '../server/server';
import { run } from './run';

// The same bundle runs the worker threads of a large check (see pool.ts).
if (!runWorkerIfAsked() && !runServerEngineIfAsked()) {
  // A report that cannot be written (a closed pipe, a full disk, /dev/full) is an error of the run,
  // said once on stderr, not an unhandled 'error' event.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.stderr.write(`asyncwise: could not write the report: ${error.code ?? error.message}\n`);
    process.exit(2);
  });
  const readStdin = async (): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin,
    cwd: process.cwd(),
    env: process.env,
    // The language server owns stdin and stdout; its analyses run on a thread of this same bundle.
    serve: () => startServer({ input: process.stdin, output: process.stdout, engineScript: __filename }),
  }).then(
    (code) => {
      // exitCode, not exit(): lets a large report finish flushing to a pipe.
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`asyncwise: internal error: ${String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
