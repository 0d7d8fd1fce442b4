/**
 * Every message between the extension and the loop inspector webview, and their validation. Both
 * sides import this file (the webview bundle too), and both validate what they receive: the webview
 * is a browser page that anything with a reference to it could post to, and a malformed snapshot
 * must show as an error, never as a half-drawn table or an exception.
 */
import { ITEM_KINDS, SHUTDOWN_RULES, type ItemKind, type LoopItem, type LoopSnapshot, type SourceLocation } from '../inspector/model';

/** A debug session the panel can follow (shown in the picker when several run). */
export interface SessionInfo {
  readonly id: string;
  readonly name: string;
  readonly runtime: 'node' | 'python';
}

/** What the panel says above the table when there is no fresh snapshot to show. */
export type PanelState =
  | 'no-session' // no supported debug session runs
  | 'connecting' // a session was picked; its backend is being set up
  | 'live' // snapshots arrive
  | 'ended' // the session ended, restarted or detached; the last snapshot stays visible, marked stale
  | 'error'; // the last request failed (message says why); the next refresh tries again

/** extension → webview */
export type ExtensionMessage =
  | { readonly type: 'sessions'; readonly sessions: readonly SessionInfo[]; readonly activeId?: string }
  | { readonly type: 'state'; readonly state: PanelState; readonly message?: string }
  | { readonly type: 'snapshot'; readonly sessionId: string; readonly snapshot: LoopSnapshot }
  | { readonly type: 'busy'; readonly tier?: 1 | 2 }
  | { readonly type: 'cancelResult'; readonly id: string; readonly ok: boolean; readonly message?: string }
  /** After Simulate shutdown: the request was sent (ok) and a report follows after the grace period, or it failed. */
  | { readonly type: 'shutdownResult'; readonly ok: boolean; readonly message?: string };

/** webview → extension */
export type WebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'refresh'; readonly tier: 1 | 2 }
  | { readonly type: 'selectSession'; readonly id: string }
  | { readonly type: 'openLocation'; readonly location: SourceLocation }
  | { readonly type: 'cancelTask'; readonly id: string }
  | { readonly type: 'setAutoRefresh'; readonly enabled: boolean }
  /** The Simulate shutdown button: ask the program to stop, then report what keeps it alive. */
  | { readonly type: 'simulateShutdown' }
  /** A rule link on a shutdown blocker: open that rule's docs (`asyncwise.showRuleDocs`). */
  | { readonly type: 'showRule'; readonly code: string }
  /** After drawing a snapshot: how many rows the view model has and how many DOM rows it drew (virtualized). */
  | {
    readonly type: 'rendered';
    readonly takenAt: number;
    readonly rows: number;
    readonly drawn: number;
    readonly ms: number;
    /** The rows' width in CSS px, whether the two-line compact layout is on, and how many drawn labels are cut. */
    readonly width?: number;
    readonly compact?: boolean;
    readonly cutLabels?: number;
    /** A few of the cut texts, for a failing test's message. */
    readonly cutSamples?: readonly string[];
    /** The item selected (by click or keyboard), shown in the details pane. */
    readonly selectedId?: string;
    /** After a shutdown request: the blocker cards drawn, and how many of their lines overflow their box (text cut or scrolled sideways). */
    readonly whyCards?: number;
    readonly whyCut?: number;
  };

// ---------------------------------------------------------------------------------------------
// Validation. Hand-written (no schema library in the webview bundle); each check returns the
// typed value or undefined, and `why` collects the first reason for the log.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 10_000): v is string => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isOptStr = (v: unknown, max?: number) => v === undefined || isStr(v, max);
const isOptNum = (v: unknown) => v === undefined || isNum(v);
const isTier = (v: unknown): v is 1 | 2 => v === 1 || v === 2;
const KINDS = new Set<string>(ITEM_KINDS);
const STATES = new Set<PanelState>(['no-session', 'connecting', 'live', 'ended', 'error']);

/** The most rows a snapshot may carry across the boundary; the backends truncate before this. */
export const MAX_ITEMS = 50_000;

export function isSourceLocation(v: unknown): v is SourceLocation {
  return isObj(v) && isStr(v.file, 4096) && v.file.length > 0 && isNum(v.line) && v.line >= 0 && isOptNum(v.column) && isOptStr(v.function, 1000);
}

function isStrArray(v: unknown, max = 10_000): v is string[] {
  return Array.isArray(v) && v.length <= max && v.every((x) => isStr(x, 1000));
}

export function isLoopItem(v: unknown): v is LoopItem {
  if (!isObj(v)) return false;
  if (!isStr(v.id, 1000) || !KINDS.has(v.kind as string) || !isStr(v.label) || !isStr(v.state, 200)) return false;
  if (v.location !== undefined && !isSourceLocation(v.location)) return false;
  if (v.stack !== undefined && !(Array.isArray(v.stack) && v.stack.length <= 1000 && v.stack.every(isSourceLocation))) return false;
  if (!isOptStr(v.waitsOn) || !isOptNum(v.ageMs) || !isOptNum(v.cancelling)) return false;
  if (v.awaits !== undefined && !isStrArray(v.awaits)) return false;
  if (v.awaitedBy !== undefined && !isStrArray(v.awaitedBy)) return false;
  if (v.ignoringCancellation !== undefined && typeof v.ignoringCancellation !== 'boolean') return false;
  if (v.cancellable !== undefined && typeof v.cancellable !== 'boolean') return false;
  if (v.cancellationSwallowedAt !== undefined && !isSourceLocation(v.cancellationSwallowedAt)) return false;
  if (v.blocksExit !== undefined && typeof v.blocksExit !== 'boolean') return false;
  if (v.rule !== undefined && !(isStr(v.rule, 20) && Object.hasOwn(SHUTDOWN_RULES, v.rule))) return false;
  if (v.details !== undefined) {
    if (!isObj(v.details)) return false;
    for (const value of Object.values(v.details)) if (!(isStr(value) || isNum(value) || typeof value === 'boolean')) return false;
  }
  return true;
}

/** Checks a whole snapshot; returns the reason it is malformed, or undefined when it is fine. */
export function snapshotProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  if (v.runtime !== 'node' && v.runtime !== 'python') return 'bad runtime';
  if (!isOptStr(v.runtimeVersion, 200)) return 'bad runtimeVersion';
  if (!Array.isArray(v.tiers) || !v.tiers.every(isTier)) return 'bad tiers';
  if (!isNum(v.takenAt)) return 'bad takenAt';
  if (!Array.isArray(v.costs) || !v.costs.every((c) => isObj(c) && isTier(c.tier) && isNum(c.durationMs) && isOptNum(c.programStallMs))) return 'bad costs';
  if (v.health !== undefined) {
    const h = v.health;
    if (!isObj(h) || !isOptNum(h.delayP50Ms) || !isOptNum(h.delayP99Ms) || !isOptNum(h.delayMaxMs) || !isOptNum(h.utilization)) return 'bad health';
  }
  if (!isObj(v.counts) || !Object.entries(v.counts).every(([k, n]) => KINDS.has(k) && isNum(n))) return 'bad counts';
  if (!Array.isArray(v.items) || v.items.length > MAX_ITEMS) return 'bad items';
  for (let i = 0; i < v.items.length; i++) if (!isLoopItem(v.items[i])) return `bad item #${i}`;
  if (v.whilePaused !== undefined && typeof v.whilePaused !== 'boolean') return 'bad whilePaused';
  if (v.shutdown !== undefined && !(isObj(v.shutdown) && isNum(v.shutdown.requestedAt) && isStr(v.shutdown.how, 1000))) return 'bad shutdown';
  if (!isStrArray(v.warnings, 1000)) return 'bad warnings';
  return undefined;
}

function isSessionInfo(v: unknown): v is SessionInfo {
  return isObj(v) && isStr(v.id, 200) && isStr(v.name, 1000) && (v.runtime === 'node' || v.runtime === 'python');
}

/** Validates a message the webview received; undefined for anything malformed. */
export function parseExtensionMessage(v: unknown): ExtensionMessage | undefined {
  if (!isObj(v)) return undefined;
  switch (v.type) {
    case 'sessions':
      return Array.isArray(v.sessions) && v.sessions.length <= 100 && v.sessions.every(isSessionInfo) && isOptStr(v.activeId, 200) ? (v as ExtensionMessage) : undefined;
    case 'state':
      return STATES.has(v.state as PanelState) && isOptStr(v.message) ? (v as ExtensionMessage) : undefined;
    case 'snapshot':
      return isStr(v.sessionId, 200) && snapshotProblem(v.snapshot) === undefined ? (v as ExtensionMessage) : undefined;
    case 'busy':
      return v.tier === undefined || isTier(v.tier) ? (v as ExtensionMessage) : undefined;
    case 'cancelResult':
      return isStr(v.id, 1000) && typeof v.ok === 'boolean' && isOptStr(v.message) ? (v as ExtensionMessage) : undefined;
    case 'shutdownResult':
      return typeof v.ok === 'boolean' && isOptStr(v.message) ? (v as ExtensionMessage) : undefined;
    default:
      return undefined;
  }
}

/** Validates a message the extension received from the webview; undefined for anything malformed. */
export function parseWebviewMessage(v: unknown): WebviewMessage | undefined {
  if (!isObj(v)) return undefined;
  switch (v.type) {
    case 'ready':
      return { type: 'ready' };
    case 'refresh':
      return isTier(v.tier) ? { type: 'refresh', tier: v.tier } : undefined;
    case 'selectSession':
      return isStr(v.id, 200) ? { type: 'selectSession', id: v.id } : undefined;
    case 'openLocation':
      return isSourceLocation(v.location) ? { type: 'openLocation', location: v.location } : undefined;
    case 'cancelTask':
      return isStr(v.id, 1000) ? { type: 'cancelTask', id: v.id } : undefined;
    case 'setAutoRefresh':
      return typeof v.enabled === 'boolean' ? { type: 'setAutoRefresh', enabled: v.enabled } : undefined;
    case 'simulateShutdown':
      return { type: 'simulateShutdown' };
    case 'showRule':
      return isStr(v.code, 20) && Object.hasOwn(SHUTDOWN_RULES, v.code) ? { type: 'showRule', code: v.code } : undefined;
    case 'rendered':
      if (!(isNum(v.takenAt) && isNum(v.rows) && isNum(v.drawn) && isNum(v.ms))) return undefined;
      if ((v.width !== undefined && !isNum(v.width)) || (v.compact !== undefined && typeof v.compact !== 'boolean') || (v.cutLabels !== undefined && !isNum(v.cutLabels))) return undefined;
      return {
        type: 'rendered', takenAt: v.takenAt, rows: v.rows, drawn: v.drawn, ms: v.ms,
        ...(v.width !== undefined ? { width: v.width as number } : {}),
        ...(v.compact !== undefined ? { compact: v.compact as boolean } : {}),
        ...(v.cutLabels !== undefined ? { cutLabels: v.cutLabels as number } : {}),
        ...(isStr(v.selectedId, 1000) ? { selectedId: v.selectedId } : {}),
        ...(isNum(v.whyCards) ? { whyCards: v.whyCards } : {}),
        ...(isNum(v.whyCut) ? { whyCut: v.whyCut } : {}),
        ...(Array.isArray(v.cutSamples) ? { cutSamples: v.cutSamples.filter((x): x is string => isStr(x, 500)).slice(0, 5) } : {}),
      };
    default:
      return undefined;
  }
}

export type { ItemKind };
