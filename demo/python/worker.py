"""Order-processing worker: pulls jobs from a queue, polls an upstream API, refreshes a cache.

This demo service contains, the way real services do, the pitfalls asyncwise finds. Run it with
`python3 demo/python/worker.py` and press Ctrl-C: the shutdown takes far longer than it should.
"""
import asyncio
import json
import logging
import os
import signal
import time

import requests

log = logging.getLogger("worker")

CONFIG_PATH = os.environ.get("WORKER_CONFIG", "config.json")
UPSTREAM = "http://127.0.0.1:8080/orders"


class Worker:
    def __init__(self, queue: asyncio.Queue):
        self.queue = queue
        self.processed = 0

    async def run(self):
        while True:
            try:
                job = await self.queue.get()
                await self.handle(job)
            except asyncio.CancelledError:
                log.info("worker interrupted, continuing with the next job")
            except Exception:
                log.exception("job failed")

    async def handle(self, job):
        # Simulates slow work; blocks every other task while it sleeps.
        time.sleep(0.2)
        self.processed += 1


async def poll_upstream(interval: float):
    """Polls the upstream API for new orders."""
    while True:
        try:
            response = requests.get(UPSTREAM, timeout=5)
            log.info("upstream returned %s orders", len(response.json()))
        except Exception:
            log.warning("upstream unavailable")
        await asyncio.sleep(interval)


async def refresh_cache(cache: dict):
    while True:
        try:
            with open(CONFIG_PATH) as f:
                cache.update(json.load(f))
            if os.path.exists(CONFIG_PATH + ".override"):
                cache["override"] = True
            await asyncio.sleep(30)
        except:
            log.warning("cache refresh failed")


async def drain(queue: asyncio.Queue):
    try:
        while not queue.empty():
            await asyncio.sleep(0.1)
    finally:
        return queue.qsize()


async def main():
    queue: asyncio.Queue = asyncio.Queue()
    worker = Worker(queue)
    tasks = [
        asyncio.create_task(worker.run(), name="worker"),
        asyncio.create_task(poll_upstream(2.0), name="poller"),
        asyncio.create_task(refresh_cache({}), name="cache"),
    ]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for task in tasks:
        task.cancel()
    # Waits for the children we just cancelled: swallowing their CancelledError here is correct.
    for task in tasks:
        try:
            await task
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
