"""Notification fan-out: delivers each message to every subscriber, refreshes their endpoints in the
background, persists the subscriber list (through storage.py).

The second demo module, beside worker.py. It contains, the way real services do, the task-lifetime
and concurrency pitfalls asyncwise finds: a coroutine called without `await`, a fire-and-forget task
nobody keeps, independent lookups awaited one at a time, and a blocking file write hidden in a
helper of another module. It also holds the idioms asyncwise leaves alone: a TaskGroup, a task kept
in an attribute, `await asyncio.gather(...)`.
"""
import asyncio
import logging

from storage import load_subscribers, save_subscribers

log = logging.getLogger("notifier")


class Notifier:
    def __init__(self, client):
        # An HTTP client whose deliver(), resolve() and ping() are coroutines.
        self.client = client
        self.subscribers: dict[str, str] = {}  # user id -> delivery endpoint
        self.outbox: list[tuple[str, str]] = []
        self.refresher: asyncio.Task | None = None

    async def start(self):
        self.subscribers = await asyncio.to_thread(load_subscribers)
        # Kept in an attribute: the task lives as long as the notifier does.
        self.refresher = asyncio.create_task(self.refresh_forever(), name="refresh-endpoints")

    async def subscribe(self, user_id: str, endpoint: str):
        self.subscribers[user_id] = endpoint
        save_subscribers(self.subscribers)

    async def publish(self, message: str):
        for endpoint in self.subscribers.values():
            self.outbox.append((endpoint, message))
        self.flush()

    async def flush(self):
        batch, self.outbox = self.outbox, []
        # Deliveries run concurrently; the group waits for all of them and reports every failure.
        async with asyncio.TaskGroup() as group:
            for endpoint, message in batch:
                group.create_task(self.client.deliver(endpoint, message))

    async def announce(self, message: str):
        # The caller must not wait for the fan-out.
        asyncio.create_task(self.publish(message))

    async def refresh_endpoints(self):
        user_ids = list(self.subscribers)
        endpoints = []
        for user_id in user_ids:
            endpoints.append(await self.client.resolve(user_id))
        self.subscribers = dict(zip(user_ids, endpoints))

    async def refresh_forever(self):
        while True:
            await self.refresh_endpoints()
            await asyncio.sleep(300)

    async def ping_all(self) -> list[bool]:
        return await asyncio.gather(*(self.client.ping(endpoint) for endpoint in self.subscribers.values()))
