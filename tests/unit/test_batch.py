"""core/batch.py: calls with one key that arrive while a batch runs run together next."""

from __future__ import annotations

import asyncio

import pytest

from gureum.core.batch import Batches


class Recorder:
    def __init__(self) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, key: str, items: list[int]) -> list[int | Exception]:
        self.batches.append((key, list(items)))
        await self.gate.wait()
        if items == [666]:
            raise RuntimeError("the whole batch broke")
        return [ValueError(f"no {i}") if i < 0 else i * 10 for i in items]


def test_callers_get_their_own_outcome_and_later_arrivals_share_one_batch() -> None:
    async def main() -> None:
        recorder = Recorder()
        batches: Batches[str, int, int] = Batches(recorder.run)
        assert await batches.submit("net", 1) == 10  # alone: at once
        recorder.gate.clear()
        first = asyncio.ensure_future(batches.submit("net", 2))
        await asyncio.sleep(0.01)
        assert recorder.batches[-1] == ("net", [2])  # running, held at the gate
        later = [asyncio.ensure_future(batches.submit("net", i)) for i in (3, -4, 5)]
        other = asyncio.ensure_future(batches.submit("other", 6))
        await asyncio.sleep(0.01)
        recorder.gate.set()
        assert await first == 20
        assert await later[0] == 30 and await later[2] == 50
        with pytest.raises(ValueError, match="no -4"):
            await later[1]
        assert await other == 60
        # Another key does not wait for this one.
        assert recorder.batches == [("net", [1]), ("net", [2]), ("other", [6]),
                                    ("net", [3, -4, 5])]
    asyncio.run(main())


def test_a_batch_that_fails_as_a_whole_fails_every_caller_in_it() -> None:
    async def main() -> None:
        batches: Batches[str, int, int] = Batches(Recorder().run)
        with pytest.raises(RuntimeError, match="whole batch"):
            await batches.submit("net", 666)
        assert await batches.submit("net", 7) == 70  # and the key works again
    asyncio.run(main())


def test_a_caller_that_goes_away_does_not_take_the_batch_with_it() -> None:
    async def main() -> None:
        recorder = Recorder()
        recorder.gate.clear()
        batches: Batches[str, int, int] = Batches(recorder.run)
        leaving = asyncio.ensure_future(batches.submit("net", 1))
        staying = asyncio.ensure_future(batches.submit("net", 2))
        await asyncio.sleep(0)
        leaving.cancel()
        await asyncio.sleep(0)
        recorder.gate.set()
        assert await staying == 20
        assert leaving.cancelled()
    asyncio.run(main())


def test_batches_are_at_most_the_limit() -> None:
    async def main() -> None:
        recorder = Recorder()
        batches: Batches[str, int, int] = Batches(recorder.run, limit=2)
        assert await asyncio.gather(*(batches.submit("net", i) for i in range(5))) == [
            0, 10, 20, 30, 40]
        assert [items for _, items in recorder.batches] == [[0, 1], [2, 3], [4]]
    asyncio.run(main())
