"""A small ingest service that will not shut down. Run it under the debugger (debugpy), open the
Loop Inspector and press Shutdown (it cancels every task, as asyncio.run() does at exit), Cancel on
"flusher", or send SIGTERM: the panel shows why it hangs.

1. main() waits for SIGTERM, cancels its tasks and awaits them with gather();
2. "flusher" catches CancelledError around its sleep and carries on: it ignores the cancellation,
   so gather() never returns (the panel marks it: cancelling, still pending; AW101);
3. the consumers wait on Queue.get() and the heartbeat on asyncio.sleep, cancelled cleanly;
4. the disk watcher runs on an executor thread in an endless loop: cancelling its task does not
   stop the thread, and asyncio.run() waits for the executor at exit (for ever before 3.12; AW305).
"""

import asyncio
import os
import signal
import time


def watch_spool(path: str) -> None:
    while True:
        time.sleep(0.5)
        os.path.exists(path)


async def heartbeat() -> None:
    while True:
        await asyncio.sleep(1)


async def consumer(queue: "asyncio.Queue[str]") -> None:
    while True:
        item = await queue.get()
        print("ingested", item)
        queue.task_done()


async def flush_once() -> None:
    await asyncio.sleep(5)


async def flusher() -> None:
    while True:
        try:
            await flush_once()
        except asyncio.CancelledError:
            # The shutdown hang: the cancellation is swallowed and the loop goes round again.
            print("flush interrupted, retrying")


async def main() -> None:
    queue: "asyncio.Queue[str]" = asyncio.Queue()
    tasks = [
        asyncio.create_task(heartbeat(), name="heartbeat"),
        asyncio.create_task(consumer(queue), name="consumer-1"),
        asyncio.create_task(consumer(queue), name="consumer-2"),
        asyncio.create_task(flusher(), name="flusher"),
        asyncio.create_task(asyncio.to_thread(watch_spool, "/tmp/spool"), name="spool-watcher"),
    ]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ingest service running")
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)  # never returns: flusher ignores its cancel


if __name__ == "__main__":
    asyncio.run(main())
