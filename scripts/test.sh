#!/usr/bin/env bash
# `npm test`: every test, in order of speed. The real-editor suite provisions its own VS Code
# (code-server + Debian chromium) into .cache/editor on first use; see scripts/provision-editor.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "type check"
# `typescript` (5.9) explicitly: the `typescript-6.0` alias devDependency also installs a `tsc` bin.
node node_modules/typescript/bin/tsc --noEmit -p .
node node_modules/typescript/bin/tsc --noEmit -p media   # the webview bundle (DOM types)

step "build"
node esbuild.js --tests

step "generated docs are current"
node dist/tools/docs.js --check

step "provision the real editor (code-server, its Node 24; cached in .cache/editor)"
# First, so the unit tests that also run under the editor's Node 24 (inspector shapes) find it.
bash scripts/provision-editor.sh >/dev/null

step "unit, fixture, CLI and language-server tests (Neovim's LSP client among them)"
if [ "${ASYNCWISE_REQUIRE_NEOVIM:-}" = 1 ] && ! command -v nvim >/dev/null; then
  echo "ASYNCWISE_REQUIRE_NEOVIM=1 but nvim is not installed (apt-get install neovim): the language server's real-client test cannot run" >&2
  exit 1
fi
node --test --test-reporter=spec out/test/unit/

step "the VSIX installs into the real editor"
bash scripts/check-vsix.sh

step "real-editor suite (code-server + Chromium)"
node out/test/vscode/runCodeServer.js
