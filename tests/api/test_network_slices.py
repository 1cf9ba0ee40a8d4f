"""A live network's chunk runs in slices of bounded work: the same numbers, and a class's other networks
get their turns while a large one computes (issue 14 §1)."""

import json
import time

import anyio
import numpy as np
import pytest

from app.services import lanes, network_session
from app.services.frames import decode_frame
from app.services.lanes import Lanes
from app.services.network_session import NetworkSession
from engine.network import work
from tests.api.test_network import SESSION, arrays


def started(steps_per_chunk: int) -> NetworkSession:
    session = NetworkSession()
    start = {"type": "start", "spec": {**SESSION, "steps_per_chunk": steps_per_chunk}, "play": True}
    session.apply(session.parse(json.dumps(start)))
    session.chunks_per_second = 1000.0
    return session


async def next_chunk(session: NetworkSession, after_step: int = 0) -> tuple[dict, dict]:
    """Produce (acknowledging every frame) until a chunk frame past ``after_step``."""
    while True:
        outgoing, _ = await session.produce()
        for item in outgoing:
            if isinstance(item, bytes):
                session.acked = session.seq
                header, payload = decode_frame(item)
                if header["type"] == "chunk" and header["step"] > after_step:
                    return header, arrays(header, payload)


def _config():
    session = started(10)
    anyio.run(session.produce)  # builds the network
    return session.networks[0].config


def test_a_chunk_in_slices_has_the_numbers_of_the_chunk_at_once(monkeypatch):
    whole = anyio.run(next_chunk, started(10))
    config = _config()
    monkeypatch.setattr(network_session, "SLICE_WORK", 3 * work.step_work(config))
    calls = []
    advance = NetworkSession.advance
    monkeypatch.setattr(NetworkSession, "advance", lambda self: calls.append(1) or advance(self))
    sliced = anyio.run(next_chunk, started(10))
    assert len(calls) == 5  # 3 + 3 + 3 + 1 steps, then the statistics (which cost more than 3 steps here)
    assert whole[0] == sliced[0] and whole[0]["step"] == 10
    for name, values in whole[1].items():
        np.testing.assert_allclose(sliced[1][name], values, rtol=1e-5, atol=1e-7, err_msg=name)


def test_other_networks_get_chunks_while_a_large_one_computes(monkeypatch):
    monkeypatch.setattr(network_session, "SLICE_WORK", work.step_work(_config()))  # one step a slice
    monkeypatch.setattr(lanes.settings, "STREAM_THREADS", 1)
    monkeypatch.setattr(lanes, "LANES", Lanes())
    large, small = started(200), started(10)
    advance = large.advance

    def costly_slice():  # as a slice of a wide network would take
        time.sleep(0.01)
        return advance()

    large.advance = costly_slice
    seen = []

    async def main():
        async with anyio.create_task_group() as group:

            async def run_large():
                await next_chunk(large)
                seen.append("large")

            async def run_small():
                await anyio.sleep(0.05)  # the large one holds the streaming thread first
                for step in (0, 10, 20):
                    await next_chunk(small, after_step=step)
                    seen.append("small" if large.progress is not None else "small, after")

            group.start_soon(run_large)
            group.start_soon(run_small)

    anyio.run(main)
    assert seen[:3] == ["small"] * 3, seen  # three chunks of the small network during the large one's first


@pytest.mark.parametrize("spc", [1, 7])
def test_tick_still_runs_a_whole_chunk(spc, monkeypatch):
    monkeypatch.setattr(network_session, "SLICE_WORK", 1.0)  # every step a slice of its own
    session = started(spc)
    anyio.run(session.produce)
    session.tick()
    assert session.progress is None and int(session.networks[0].last.step) == spc
