"""Retrying loops stop when cancelled, even where a library turned the cancellation into an
outage; and start over after a real one."""

from __future__ import annotations

import asyncio

import pytest
import structlog

from infra.tasks import both, first_failure, retrying, wait_until_set

log = structlog.get_logger("test")


def test_a_cancellation_turned_into_a_timeout_still_stops_the_loop() -> None:
    attempts = 0

    async def fetch_like_nats() -> None:
        nonlocal attempts
        attempts += 1
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise TimeoutError from None  # what nats-py's fetch does when cancelled

    async def main() -> None:
        task = asyncio.create_task(retrying(fetch_like_nats, log, "interrupted"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 2)

    asyncio.run(main())
    assert attempts == 1


def test_an_outage_is_retried_and_another_error_is_not() -> None:
    attempts = 0

    async def flaky() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionRefusedError("the database is away")
        if attempts == 2:
            raise ValueError("a bug")

    async def main() -> None:
        async with asyncio.timeout(5):
            await retrying(flaky, log, "interrupted")

    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(main())
    assert attempts == 2


def test_waiting_until_set_returns_at_the_set_or_after_the_time() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        started = loop.time()
        await wait_until_set(event, 0.1)
        waited = loop.time() - started
        loop.call_later(0.01, event.set)
        started = loop.time()
        await wait_until_set(event, 10)
        return waited, loop.time() - started

    timed_out, woken = asyncio.run(main())
    assert timed_out >= 0.1
    assert woken < 5


def test_the_first_failure_of_several_loops_stops_the_others_and_is_raised_alone() -> None:
    stopped = []

    async def runs_for_good() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped.append(True)
            raise

    async def fails() -> None:
        await asyncio.sleep(0.01)
        raise ConnectionResetError("the broker went away")

    async def main() -> int:
        with pytest.raises(ConnectionResetError):
            await first_failure(runs_for_good(), fails(), runs_for_good())
        task = asyncio.current_task()
        assert task is not None
        return task.cancelling()

    assert asyncio.run(main()) == 0  # nothing left that would read as a stop
    assert stopped == [True, True]


def test_both_gives_both_answers_or_stops_the_other_and_raises_the_failure_alone() -> None:
    stopped = asyncio.Event()

    async def answer(value: int) -> int:
        await asyncio.sleep(0)
        return value

    async def slow() -> int:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped.set()
            raise
        return 0

    async def fails() -> int:
        raise ValueError("no")

    async def run() -> tuple[tuple[int, int], int]:
        answers = await both(answer(1), answer(2))
        with pytest.raises(ValueError, match="no"):
            await both(slow(), fails())
        task = asyncio.current_task()
        assert task is not None
        return answers, task.cancelling()

    answers, cancelling = asyncio.run(run())
    assert answers == (1, 2)
    assert stopped.is_set()
    assert cancelling == 0  # no stop request left on the caller
