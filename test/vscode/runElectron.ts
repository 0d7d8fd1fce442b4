/**
 * Runs the editor suite (suite/index.ts) with the conventional runner, @vscode/test-electron: it
 * downloads a desktop VS Code into .vscode-test/ and starts it with this repository as the
 * extension under development and the demo workspace (a scratch copy of demo/) open. For machines that can reach VS Code's
 * download servers; where they cannot, `npm run test:vscode` runs the same suite in code-server.
 *
 *   npm run test:electron                     (ASYNCWISE_VSCODE_VERSION=1.90.0 to pin; default stable)
 *
 * Screenshots need the browser-driving runner: under Electron those tests report as skipped.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

function findRepoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'extension'))) return dir;
    if (dir === path.dirname(dir)) throw new Error('repository root not found above ' + __dirname);
  }
}

async function main(): Promise<number> {
  const root = findRepoRoot();
  // The scratch copy of demo/ that `npm run demo` opens (scripts/demo-workspace.js): the tracked files stay as they are.
  const { prepareDemoWorkspace, DEFAULT_PARENT } = createRequire(__filename)(path.join(root, 'scripts', 'demo-workspace.js')) as { prepareDemoWorkspace: (parent?: string) => string; DEFAULT_PARENT: string };
  fs.mkdirSync(DEFAULT_PARENT, { recursive: true });
  const workspaceParent = fs.mkdtempSync(path.join(DEFAULT_PARENT, 'electron-'));
  const demo = prepareDemoWorkspace(workspaceParent);
  const extensionTestsPath = path.join(root, 'out', 'test', 'vscode', 'suite', 'index.js');
  if (!fs.existsSync(extensionTestsPath)) throw new Error('out/test/vscode/suite/index.js is missing: run "node esbuild.js --tests" first');
  // A throwaway profile: the user's own settings and extensions must not leak into the run.
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncwise-electron-'));
  try {
    return await runTests({
      version: process.env.ASYNCWISE_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath,
      launchArgs: [demo, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', `--user-data-dir=${userDataDir}`],
    });
  } finally {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fs.rmSync(workspaceParent, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`editor suite (Electron) failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
