/**
 * The file hand-shake between the editor suite (in the extension host) and the runner that drives
 * the browser (runCodeServer.ts). The runner sets ASYNCWISE_E2E_DIR on code-server, the extension
 * host inherits it; the suite writes into that folder and the runner polls it. Files, not sockets:
 * both sides survive each other's crashes and a reviewer can read what happened afterwards.
 *
 *   <dir>/suite.log                  suite → runner: progress lines, printed live by the runner
 *   <dir>/results.json               suite → runner: the final tally (SuiteResults)
 *   <dir>/screenshots/<name>.request suite → runner: "take a screenshot now" (ScreenshotRequest)
 *   <dir>/screenshots/<name>.done    runner → suite: the PNG was written (ScreenshotDone)
 */
export const E2E_DIR_ENV = 'ASYNCWISE_E2E_DIR';

export const SUITE_LOG = 'suite.log';
export const RESULTS = 'results.json';
export const SCREENSHOTS = 'screenshots';

/** Screenshot names become file names under test-artifacts/vscode/. */
export const SCREENSHOT_NAME = /^[a-z0-9][a-z0-9-]{0,60}$/;

/** suite → runner */
export interface ScreenshotRequest {
  readonly name: string;
  /** What the picture must show, for the runner's log. */
  readonly caption: string;
  /** Before the shot, drag the side bar's edge until it is this wide (CSS px). */
  readonly sideBarWidth?: number;
  /** Before the shot, click the first webview element matching this CSS selector (a row to show its details). */
  readonly clickInWebview?: string;
  /** Before the shot (after any click), focus the webview element matching `focusInWebview` and press these keys. */
  readonly focusInWebview?: string;
  readonly keys?: readonly string[];
  /** Only the side bar (the Loop Inspector lives there), not the whole workbench. */
  readonly sideBarOnly?: boolean;
}

/** runner → suite */
export interface ScreenshotDone {
  readonly ok: boolean;
  /** Absolute path of the PNG when ok, the error otherwise. */
  readonly path?: string;
  readonly error?: string;
  /** The side bar's width when the shot was taken. */
  readonly sideBarWidth?: number;
}

export interface TestResult {
  readonly title: string;
  readonly state: 'passed' | 'failed' | 'pending';
  readonly durationMs: number;
  readonly error?: string;
}

/** suite → runner */
export interface SuiteResults {
  readonly passed: number;
  readonly failed: number;
  readonly pending: number;
  readonly durationMs: number;
  readonly tests: readonly TestResult[];
}
