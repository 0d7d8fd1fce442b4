/**
 * A large, realistic asyncio module for the per-edit benchmark: service classes with async methods,
 * retry loops, try/except around awaits (some swallowing cancellation), blocking calls the rules
 * flag, sync helpers, nested defs and lambdas, comprehensions, docstrings and comments. Deterministic
 * for a given seed, so runs compare.
 */
import type { ContentChange } from '../src/python/document';

/** A small seeded PRNG (mulberry32): the benchmark must be repeatable. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEADER = `"""Order pipeline: fetches, validates and stores orders from several upstream services."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import requests

log = logging.getLogger(__name__)
`;

type Template = (n: number) => string;

const TEMPLATES: Template[] = [
  (n) => `

@dataclass
class Order${n}:
    id: int
    items: list[str] = field(default_factory=list)
    total: float = 0.0

    def weight(self) -> float:
        return sum(len(item) for item in self.items) * 0.5 + self.total / 100
`,
  (n) => `

class Fetcher${n}:
    """Pulls pages of orders from upstream ${n}."""

    def __init__(self, base_url: str, session: Any) -> None:
        self.base_url = base_url
        self.session = session
        self.seen: set[int] = set()

    async def fetch_page(self, page: int) -> list[dict]:
        for attempt in range(3):
            try:
                async with self.session.get(f"{self.base_url}/orders?page={page}") as response:
                    response.raise_for_status()
                    return await response.json()
            except asyncio.TimeoutError:
                log.warning("timeout on page %s, attempt %s", page, attempt)
                await asyncio.sleep(2 ** attempt)
            except Exception as exc:
                log.exception("page %s failed: %s", page, exc)
                time.sleep(0.5)
        return []

    async def fetch_all(self, pages: int) -> list[dict]:
        results = await asyncio.gather(*(self.fetch_page(p) for p in range(pages)))
        return [order for page in results for order in page if order["id"] not in self.seen]
`,
  (n) => `

async def store_batch_${n}(orders: list[dict], directory: Path) -> int:
    # Writes each order as a JSON file; slow disks make this the bottleneck.
    written = 0
    for order in orders:
        target = directory / f"{order['id']}.json"
        if os.path.exists(target):
            continue
        target.write_text(json.dumps(order))
        written += 1
    return written
`,
  (n) => `

async def heartbeat_${n}(interval: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except asyncio.TimeoutError:
            log.debug("heartbeat %s", ${n})
        except asyncio.CancelledError:
            log.info("heartbeat cancelled")
            break
`,
  (n) => `

def parse_config_${n}(path: str) -> dict[str, Any]:
    """Synchronous on purpose: runs once at start-up, before the loop."""
    with open(path) as handle:
        raw = json.load(handle)
    return {key.lower(): value for key, value in raw.items() if not key.startswith("_")}
`,
  (n) => `

async def notify_${n}(url: str, payload: dict) -> bool:
    response = requests.post(url, json=payload, timeout=10)
    if response.status_code >= 500:
        await asyncio.sleep(1)
        return False
    callback: Callable[[dict], None] = lambda data: log.info("sent %s", data)
    callback(payload)
    return True
`,
  (n) => `

async def run_tool_${n}(args: list[str]) -> str:
    def render(lines: list[str]) -> str:
        # A sync helper nested in a coroutine: its body is not async context.
        return "\\n".join(line.strip() for line in lines if line)

    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    legacy = subprocess.run(["echo", "${n}"], capture_output=True, check=False)
    return render(out.decode().splitlines()) + legacy.stdout.decode()
`,
  (n) => `

class Cache${n}:
    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def get_or_load(self, key: str, loader: Callable[[str], Awaitable[Any]]) -> Any:
        async with self._lock:
            if key in self._data:
                return self._data[key]
            try:
                value = await loader(key)
            finally:
                log.debug("loaded %s", key)
            self._data[key] = value
            return value

    async def refresh(self, keys: list[str]) -> None:
        with contextlib.suppress(KeyError):
            for key in keys:
                del self._data[key]
`,
];

/** About `lines` lines of Python built from the templates in a seeded random order. */
export function generateAsyncModule(lines: number, seed = 1): string {
  const next = random(seed);
  let text = HEADER;
  let count = HEADER.split('\n').length;
  for (let n = 0; count < lines; n++) {
    const block = TEMPLATES[Math.floor(next() * TEMPLATES.length)](n);
    text += block;
    count += block.split('\n').length - 1;
  }
  return text;
}

/**
 * Keystrokes in bursts, as someone types: at a random spot, type a few characters of an identifier
 * or punctuation (which often leaves the line half-written), then backspace some of them.
 */
export function keystrokes(text: string, count: number, seed: number, inCoroutines = false): ContentChange[] {
  const next = random(seed);
  // Typing inside coroutines: each burst starts right after an `await ` of the text as typed so far
  // (spots found in the original text drift into other lines as earlier bursts add text).
  let current = text;
  const spots = () => {
    const out: number[] = [];
    for (let i = current.indexOf('await '); i >= 0; i = current.indexOf('await ', i + 1)) out.push(i + 6);
    return out;
  };
  const alphabet = 'abcdefghijklmnopqrstuvwxyz_ ().:,=é';
  const changes: ContentChange[] = [];
  const push = (change: ContentChange) => {
    changes.push(change);
    current = current.slice(0, change.rangeOffset) + change.text + current.slice(change.rangeOffset + change.rangeLength);
  };
  let cursor = 0;
  let typedHere = 0;
  while (changes.length < count) {
    if (typedHere === 0 || next() < 0.2) {
      if (inCoroutines) {
        const at = spots();
        cursor = at[Math.floor(next() * at.length)];
      } else cursor = Math.floor(next() * current.length);
      typedHere = 0;
    }
    if (typedHere > 0 && next() < 0.3) {
      push({ rangeOffset: cursor - 1, rangeLength: 1, text: '' });
      cursor--;
      typedHere--;
    } else {
      const ch = alphabet[Math.floor(next() * alphabet.length)];
      push({ rangeOffset: cursor, rangeLength: 0, text: ch });
      cursor++;
      typedHere++;
    }
  }
  return changes;
}
