"""Subscriber persistence for notifier.py: plain synchronous file I/O.

Fine in a script; called from a coroutine it blocks the event loop, and nothing at the call site
says so (asyncwise AW202 follows the call into this module).
"""
import json
import os

STATE_PATH = os.environ.get("NOTIFIER_STATE", "subscribers.json")


def load_subscribers() -> dict:
    if not os.path.exists(STATE_PATH):
        return {}
    with open(STATE_PATH) as f:
        return json.load(f)


def save_subscribers(subscribers: dict) -> None:
    _write_atomically(STATE_PATH, json.dumps(subscribers, indent=2))


def _write_atomically(path: str, text: str) -> None:
    # Write beside the target, then rename: a crash never leaves a half-written file.
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
