#!/usr/bin/env bash
# `npm test`: every test, in order of speed, then a summary that counts every step, suite and test
# and lists everything skipped (scripts/test-summary.js). Set-up is part of the run: the real editor
# (code-server + Debian chromium) is provisioned into .cache/editor on first use (scripts/provision-
# editor.sh), and the Debian packages the Python inspector tests need are installed when missing
# (as root with apt-get; otherwise the run stops and names the command).
#
# Environment: CI=true makes any skipped step, suite or test fail the run (on CI everything must
# run); ASYNCWISE_TEST_WITHOUT_PYTHON_INSPECTOR=1 runs without the Python inspector's Debian
# packages, its suites then reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=("type check" "build" "generated docs are current" "provision the real editor" "test prerequisites (Debian packages)" "unit, fixture and CLI tests" "the VSIX installs into the real editor" "real-editor suite")
summary_dir=.cache/test-summary
steps_file="$summary_dir/steps.tsv"
unit_json="$summary_dir/unit.json"
editor_json=test-artifacts/vscode/logs/results.json
mkdir -p "$summary_dir"
rm -f "$steps_file" "$unit_json" "$editor_json"

current=""
# A step not in STEPS would be summarised as "not run" beside its own line: refuse it here instead.
begin() {
  printf '%s\n' "${STEPS[@]}" | grep -qxF "$1" || { echo "scripts/test.sh: step \"$1\" is not in STEPS" >&2; exit 1; }
  current="$1"; printf '\n\033[1m== %s\033[0m\n' "$1"
}
# finish STATUS [DETAIL]: records the step begun last.
finish() { printf '%s\t%s\t%s\n' "$current" "$1" "${2:-}" >>"$steps_file"; current=""; }

on_exit() {
  local rc=$?
  trap - EXIT
  [ -n "$current" ] && finish FAILED "exit $rc"
  local s
  for s in "${STEPS[@]}"; do
    cut -f1 "$steps_file" 2>/dev/null | grep -qxF "$s" || printf '%s\tnot run\t\n' "$s" >>"$steps_file"
  done
  local code=0
  node scripts/test-summary.js report "$steps_file" "$unit_json" "$editor_json" || code=$?
  [ "$rc" -ne 0 ] && code=$rc
  exit "$code"
}
trap on_exit EXIT

begin "type check"
# `typescript` (5.9) explicitly: the `typescript-6.0` alias devDependency also installs a `tsc` bin.
node node_modules/typescript/bin/tsc --noEmit -p .
node node_modules/typescript/bin/tsc --noEmit -p media   # the webview bundle (DOM types)
finish ok

begin "build"
node esbuild.js --tests
finish ok

begin "generated docs are current"
node dist/tools/docs.js --check
finish ok

begin "provision the real editor"
# code-server and its Node 24, cached in .cache/editor. First, so the unit tests that also run under
# the editor's Node 24 (inspector shapes, the demo's Node service) find it.
bash scripts/provision-editor.sh >/dev/null
finish ok

begin "test prerequisites (Debian packages)"
# The Python inspector suites drive real programs under Debian's debugpy (/usr/bin/python3), and under
# pyenv's 3.8–3.13 with Debian's debugpy on PYTHONPATH: on 3.8/3.9 it imports typing_extensions.
# The language server is tested from real LSP clients: Neovim's built-in one and Emacs' eglot.
python_missing=()
if ! command -v python3 >/dev/null || ! [ -x /usr/bin/python3 ]; then python_missing+=(python3); fi
if ! /usr/bin/python3 -c 'import debugpy' 2>/dev/null; then python_missing+=(python3-debugpy); fi
if ! [ -e /usr/lib/python3/dist-packages/typing_extensions.py ]; then python_missing+=(python3-typing-extensions); fi
if ! command -v nvim >/dev/null; then python_missing+=(neovim); fi
if ! command -v emacs >/dev/null; then python_missing+=(emacs-nox); fi
if ! [ -d /usr/share/emacs/site-lisp/elpa-src ] || ! ls -d /usr/share/emacs/site-lisp/elpa-src/eglot-* >/dev/null 2>&1; then python_missing+=(elpa-eglot); fi
if [ ${#python_missing[@]} -eq 0 ]; then
  finish ok "$(/usr/bin/python3 -c 'import debugpy, sys; print(f"debugpy {debugpy.__version__} on Python {sys.version.split()[0]}")')"
elif [ "${ASYNCWISE_TEST_WITHOUT_PYTHON_INSPECTOR:-}" = 1 ]; then
  echo "missing Debian packages: ${python_missing[*]}; ASYNCWISE_TEST_WITHOUT_PYTHON_INSPECTOR=1: the Python inspector suites will skip"
  finish skipped "missing ${python_missing[*]} (ASYNCWISE_TEST_WITHOUT_PYTHON_INSPECTOR=1)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${python_missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${python_missing[@]}" >/dev/null
  /usr/bin/python3 -c 'import debugpy'
  finish ok "installed ${python_missing[*]}"
else
  {
    echo "The tests need Debian packages that are missing: ${python_missing[*]}."
    echo "Install them (as root):  apt-get install ${python_missing[*]}"
    echo "or run without them (their suites then count as skipped):  ASYNCWISE_TEST_WITHOUT_PYTHON_INSPECTOR=1 npm test"
  } >&2
  exit 1
fi

begin "unit, fixture and CLI tests"
# Two reporters: spec for the reader, test-summary.js for counts that include suites skipped whole.
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./scripts/test-summary.js --test-reporter-destination="$unit_json" out/test/unit/
finish ok

begin "the VSIX installs into the real editor"
bash scripts/check-vsix.sh
finish ok

begin "real-editor suite"
node out/test/vscode/runCodeServer.js
finish ok
