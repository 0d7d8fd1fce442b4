/**
 * The inspector webview's page: a strict Content Security Policy (no remote content, no inline
 * script, only the bundle carrying this load's nonce), the editor's theme through CSS variables.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

export function nonce(): string {
  return crypto.randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function inspectorHtml(webview: vscode.Webview, mediaRoot: vscode.Uri): string {
  const once = nonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'inspector.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'inspector.css'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${once}'`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Loop inspector</title>
</head>
<body>
<div class="toolbar">
  <select id="session" title="Debug session" hidden></select>
  <button id="refresh" class="primary" title="Tier 1: handles, timers, tasks (cheap, no pause)">Refresh</button>
  <button id="shutdown" title="Simulate shutdown: ask the program to stop as production would (Python: cancel every task, as asyncio.run() does; Node: SIGTERM), then show what keeps it from exiting">Shutdown</button>
  <button id="deep" title="Tier 2: pending promises and the await line of every suspended async function (may stall the program briefly; the cost is shown)">Deep snapshot</button>
  <label class="auto" title="Refresh tier 1 automatically while this view is visible"><input type="checkbox" id="auto">auto</label>
  <select id="group" title="Group rows">
    <option value="kind">by kind</option>
    <option value="location">by location</option>
    <option value="tree">who awaits whom</option>
    <option value="none">flat</option>
  </select>
  <input type="text" id="filter" placeholder="Filter" aria-label="Filter rows">
</div>
<div id="status" class="status" role="status"></div>
<div class="summary">
  <div id="counts" class="counts"></div>
  <div id="health"></div>
  <div id="costs"></div>
  <div id="warnings"></div>
</div>
<div id="why" class="why" role="region" aria-label="Why it does not exit" hidden></div>
<div class="table" role="table">
  <div id="header" class="header" role="row">
    <span data-sort="label" title="Sort by name">Name</span><span data-sort="state" title="Sort by state">State</span><span data-sort="location" title="Sort by location">Where</span><span data-sort="waitsOn" title="Sort by what it waits on">Waits on</span><span></span>
  </div>
  <div id="scroller" class="scroller" tabindex="0" role="tree" aria-label="What the event loop waits on (arrow keys move, Enter opens the location)"><div id="spacer" class="spacer"></div></div>
</div>
<div id="detail" class="detail" hidden></div>
<script nonce="${once}" src="${script.toString()}"></script>
</body>
</html>`;
}
