"""Long-running asyncio tasks: waiting on an event for a while, running loops side by side,
and starting over after an outage, while still stopping when cancelled.

Python 3.11's ``asyncio.wait_for`` can lose a cancellation that arrives as the awaited event is
set, and nats-py's ``fetch`` answers one with ``TimeoutError``. A loop that retried on such an
error would then go on for good after being told to stop (a dispatcher ignoring SIGTERM, a
test's background runner outliving its test). These helpers keep the cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import psycopg
from nats.errors import Error as NatsError

# What a lost database or broker raises: wait, then start over.
OUTAGES = (psycopg.OperationalError, OSError, TimeoutError, NatsError)
A = TypeVar("A")
B = TypeVar("B")
STOP_GRACE = 5.0  # seconds a process told to stop has to close what it holds


async def wait_until_set(event: asyncio.Event, seconds: float) -> None:
    """Returns when ``event`` is set, or after ``seconds``."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def raise_if_cancelled() -> None:
    """Raises CancelledError where the running task was told to stop, whatever it caught."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def first_failure(*loops: Coroutine[Any, Any, None]) -> None:
    """Runs the coroutines until all are done or one fails; then cancels the others and
    raises that failure as it is. Not a TaskGroup: Python 3.11's leaves a cancel request of
    its own on the calling task after a failure, which would read as a stop."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def both(first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    """``first`` and ``second`` at once (two queries on two connections, say): both done, or
    both stopped, on return. A failure of either cancels the other and is raised as it is
    (not a TaskGroup, for the reason ``first_failure`` gives)."""
    one, other = asyncio.create_task(first), asyncio.create_task(second)
    try:
        done, _ = await asyncio.wait((one, other), return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
        return one.result(), other.result()
    finally:
        for task in (one, other):
            task.cancel()
        await asyncio.gather(one, other, return_exceptions=True)


async def retrying(
    attempt: Callable[[], Awaitable[None]],
    log: Any,
    event: str,
    max_delay: float = 30.0,
    **context: Any,
) -> None:
    """Runs ``attempt`` for good, until cancelled: when it returns, again at once. After an
    outage it logs ``event`` and runs it again, waiting 1 s, 2 s, 4 s … up to ``max_delay``
    in between; an attempt that had run longer than that starts the count over."""
    delay = 1.0
    while True:
        started = time.monotonic()
        failure: BaseException | None = None
        try:
            await attempt()
        except OUTAGES as error:
            failure = error
        raise_if_cancelled()
        if failure is None:
            continue
        if time.monotonic() - started > max_delay:
            delay = 1.0
        log.warning(event, error=f"{type(failure).__name__}: {failure}", retry_in=delay, **context)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


def run_until_signalled(work: Callable[[], Awaitable[None]], log: Any) -> None:
    """Runs ``work`` in a process of its own until SIGINT or SIGTERM cancels it, then leaves
    at once, or after ``STOP_GRACE`` seconds whatever its cleanup is still waiting on.

    It does not join the loop's executor threads: one of them may still wait on a lock (the
    schema's DDL lock, a long import's hold on the event store), and joining it, as
    asyncio.run and the interpreter's exit do, kept a process running after "stopped" for as
    long as the lock was held, until it was killed. What such a thread does is one
    transaction; leaving rolls it back.
    """

    async def main() -> None:
        running = asyncio.ensure_future(work())
        loop = asyncio.get_running_loop()

        def stop() -> None:
            running.cancel()
            loop.call_later(STOP_GRACE, _leave_now, log)

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop)
        try:
            await running
        except asyncio.CancelledError:
            log.info("stopped")

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()  # does not wait for the threads of its executor
    _exit()


def _leave_now(log: Any) -> None:
    """Ends a stopping process whose cleanup (closing its pools and its broker connection)
    has taken longer than ``STOP_GRACE``: a supervisor or a test waiting for it would
    otherwise wait for whatever that cleanup waits on."""
    log.warning("stopped before its cleanup ended", grace_s=STOP_GRACE)
    _exit()


def _exit() -> None:
    """Leaves without joining threads or running atexit handlers, the logs flushed."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
