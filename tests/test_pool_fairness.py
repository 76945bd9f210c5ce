"""The order waiting jobs run in: owners take turns (servers, then members within a server), so
no one can hold the rest back, and every place a job is told is the place it will run from.

The ordering on its own first, then on a real one-worker pool."""

from __future__ import annotations

import asyncio

import pytest
from engine_pool import CONTENT, ENDLESS, STYLE, TINY, WAIT, EventLog, eventually

from engine.pool import SHARED, EnginePool, Owner, Queued, Started
from engine.pool.fair_queue import FairQueue, round_robin

A, B, C = Owner("guild 1", "a"), Owner("guild 1", "b"), Owner("guild 1", "c")
OTHER_SERVER = Owner("guild 2", "d")


def queue_of(*jobs: tuple[str, Owner]) -> FairQueue[str]:
    queue: FairQueue[str] = FairQueue()
    for key, owner in jobs:
        queue.push(key, owner, key)
    return queue


def drained(queue: FairQueue[str]) -> list[str]:
    return [queue.pop() for _ in range(len(queue))]


def test_round_robin_takes_one_from_each_in_turn_and_skips_the_used_up():
    assert round_robin([["a1", "a2", "a3"], ["b1"], [], ["c1", "c2"]]) == [
        "a1", "b1", "c1", "a2", "c2", "a3"
    ]  # fmt: skip
    assert round_robin([]) == []


def test_without_owners_jobs_run_first_in_first_out():
    queue = queue_of(*((f"j{n}", SHARED) for n in range(5)))
    assert queue.order() == ["j0", "j1", "j2", "j3", "j4"]
    assert drained(queue) == ["j0", "j1", "j2", "j3", "j4"]


def test_a_member_with_many_jobs_waiting_takes_turns_with_one_who_comes_later():
    queue = queue_of(*((f"a{n}", A) for n in range(1, 10)), ("b1", B))
    assert queue.order()[:3] == ["a1", "b1", "a2"]
    assert queue.place("b1") == 2 and queue.place("a9") == 10


def test_servers_take_turns_before_members_do():
    queue = queue_of(("a1", A), ("a2", A), ("b1", B), ("c1", C), ("d1", OTHER_SERVER))
    # guild 1 (a, b, c in turn) and guild 2 (d) alternate.
    assert queue.order() == ["a1", "d1", "b1", "c1", "a2"]


def test_the_order_told_is_the_order_taken_as_jobs_come_and_go():
    queue = queue_of(("a1", A), ("a2", A), ("a3", A), ("b1", B))
    assert queue.pop() == "a1"
    queue.push("c1", C, "c1")
    told = queue.order()
    assert told == ["b1", "a2", "c1", "a3"]
    assert [queue.place(key) for key in told] == [1, 2, 3, 4]
    assert drained(queue) == told


def test_a_member_who_has_nothing_waiting_rejoins_at_the_end_of_the_line():
    queue = queue_of(("a1", A), ("b1", B), ("c1", C))
    assert queue.pop() == "a1"
    queue.push("a2", A, "a2")
    assert queue.order() == ["b1", "c1", "a2"]


def test_a_removed_job_leaves_the_others_in_their_order():
    queue = queue_of(("a1", A), ("a2", A), ("b1", B), ("b2", B))
    assert queue.remove("b1") == "b1"
    assert queue.remove("b1") is None
    assert queue.order() == ["a1", "b2", "a2"]
    assert queue.remove("b2") == "b2"
    assert queue.order() == ["a1", "a2"]
    assert "b2" not in queue and len(queue) == 2 and queue.place("b2") is None


def test_the_place_a_newcomer_would_take_is_told_without_changing_the_line():
    queue = queue_of(("a1", A), ("a2", A), ("a3", A))
    assert (queue.place_for(B), queue.place_for(A), queue.place_for(OTHER_SERVER)) == (2, 4, 2)
    assert queue.order() == ["a1", "a2", "a3"] and len(queue) == 3
    assert FairQueue().place_for(A) == 1


def test_one_key_waits_only_once():
    queue = queue_of(("a1", A))
    with pytest.raises(ValueError, match="already waiting"):
        queue.push("a1", B, "a1")


@pytest.mark.asyncio
async def test_on_a_busy_pool_the_later_member_runs_second_and_everyone_hears_their_new_place():
    async with EnginePool(devices=["cpu"], workers=1, job_timeout=WAIT, stop_grace=2) as pool:
        busy = await pool.submit(CONTENT, STYLE, ENDLESS, owner=A)
        await EventLog(busy).wait_for(Started)
        mine = [await pool.submit(CONTENT, STYLE, TINY, owner=A) for _ in range(3)]
        logs = [EventLog(job) for job in mine]
        assert [await log.wait_for(Queued) for log in logs] == [Queued(1), Queued(2), Queued(3)]

        theirs = await pool.submit(CONTENT, STYLE, TINY, owner=B)

        assert [pool.position(job) for job in [*mine, theirs]] == [1, 3, 4, 2]
        assert await logs[1].wait_for(Queued) == Queued(3)  # moved back one for the newcomer
        assert await logs[2].wait_for(Queued) == Queued(4)
        assert await EventLog(theirs).wait_for(Queued) == Queued(2)
        started: list[str] = []

        async def note_start(name: str, log: EventLog) -> None:
            await log.wait_for(Started)
            started.append(name)

        names = [("a2", logs[0]), ("a3", logs[1]), ("a4", logs[2]), ("b1", EventLog(theirs))]
        waiters = [asyncio.create_task(note_start(name, log)) for name, log in names]
        await busy.cancel()
        await asyncio.wait_for(asyncio.gather(*waiters), WAIT)
        assert started == ["a2", "b1", "a3", "a4"]
        await eventually(lambda: pool.queue_length == 0)
