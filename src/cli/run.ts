/**
 * The CLI's top level: parse the command line, run the command, map the outcome to an exit code
 * (0 nothing found, 1 problems found, 2 usage or internal error). Takes its streams and working
 * directory as arguments so nothing here reaches for process globals.
 */
import * as path from 'node:path';
import { version } from '../../package.json';
import { CATALOG } from '../core/catalog';
import { parseArgs, settingsFromFlags, USAGE, UsageError, type CheckCommand } from './args';
import { type FileResult, type Problem } from './check';
import { checkAll, workerCount } from './pool';
import { renderJson, renderRulesJson, renderRulesText, renderText, wantsColor } from './report';
import { collectFiles, MissingPathError } from './walk';

export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export const EXIT = { clean: 0, problems: 1, error: 2 } as const;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = parseArgs(argv);
    switch (command.kind) {
      case 'help':
        io.stdout.write(`${USAGE[command.topic ?? 'overview']}\n`);
        return EXIT.clean;
      case 'version':
        io.stdout.write(`asyncwise ${version}\n`);
        return EXIT.clean;
      case 'rules':
        io.stdout.write(command.format === 'json' ? renderRulesJson(CATALOG) : renderRulesText(CATALOG, { color: wantsColor(io.stdout, io.env) }));
        return EXIT.clean;
      case 'check':
        return await check(command, io);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`asyncwise: ${error.message}\nRun \`asyncwise ${error.topic ? `${error.topic} ` : ''}--help\` for usage.\n`);
      return EXIT.error;
    }
    io.stderr.write(`asyncwise: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return EXIT.error;
  }
}

async function check(command: CheckCommand, io: CliIo): Promise<number> {
  // Validates the flags up front (a bad rule code is a usage error); each worker derives the same settings.
  settingsFromFlags(command, CATALOG);
  let files;
  try {
    files = collectFiles(command.paths, io.cwd);
  } catch (error) {
    if (error instanceof MissingPathError) throw new UsageError(error.message, 'check');
    throw error;
  }
  const display = (file: string) => path.relative(io.cwd, file) || path.basename(file);
  for (const s of files.skipped) io.stderr.write(`asyncwise: skipped ${display(s.path)}: ${s.reason}\n`);
  if (files.files.length === 0 && files.skipped.length === 0) io.stderr.write(`asyncwise: no Python files found in ${command.paths.join(', ')}\n`);

  // One thread per core on large runs (pool.ts); each file's result is plain data.
  const job = { command, roots: command.paths.map((p) => path.resolve(io.cwd, p)), files: files.files.map((file) => ({ path: file, display: display(file) })) };
  const results: FileResult[] = await checkAll(job, workerCount(job.files.length, io.env));

  const problems: Problem[] = [];
  let internalErrors = 0;
  for (const result of results) {
    if (result.kind === 'skipped') {
      io.stderr.write(`asyncwise: skipped ${result.file}: ${result.reason}\n`);
      continue;
    }
    problems.push(...result.problems);
    for (const e of result.ruleErrors) {
      internalErrors++;
      io.stderr.write(`asyncwise: internal error: rule ${e.rule} failed on ${result.file}: ${e.detail}\n`);
    }
  }
  io.stdout.write(command.format === 'json' ? renderJson(problems) : renderText(problems, { color: wantsColor(io.stdout, io.env) }));
  // A crashed rule may have hidden problems: never let that pass as a clean run.
  if (internalErrors) return EXIT.error;
  return problems.length ? EXIT.problems : EXIT.clean;
}
