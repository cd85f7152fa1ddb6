"""Inference threads run below the event loop (models.cpu_priority), in the library and in the real service."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path

import pytest

from models.cpu_priority import call_lowered, lower_this_thread, thread_nice
from support import SAMPLE_RATE_HZ

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc and per-thread nice")


def _nice_of_threads(pid: int) -> dict[int, int]:
    """tid -> nice of every thread of ``pid`` (field 19 of /proc/<pid>/task/<tid>/stat)."""
    nice = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = task.joinpath("stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        nice[int(task.name)] = int(fields[16])
    return nice


def test_call_lowered_lowers_the_callee_and_the_threads_it_starts_not_the_caller():
    caller = thread_nice()
    seen: dict[str, int | None] = {}

    def load() -> str:
        seen["callee"] = thread_nice()
        child = threading.Thread(target=lambda: seen.__setitem__("child", thread_nice()))
        child.start()
        child.join()
        return "loaded"

    assert call_lowered(load, 3) == "loaded"
    assert seen == {"callee": min(19, caller + 3), "child": min(19, caller + 3)}
    assert thread_nice() == caller


def test_call_lowered_raises_what_the_callee_raised_and_zero_runs_in_place():
    def broken() -> None:
        raise ValueError("no such model")

    with pytest.raises(ValueError, match="no such model"):
        call_lowered(broken, 5)
    assert call_lowered(threading.get_native_id, 0) == threading.get_native_id()


def test_lowering_stops_at_19():
    seen = []

    def worker() -> None:
        lower_this_thread(40)
        seen.append(thread_nice())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [19]


@pytest.mark.model
def test_the_service_decodes_below_its_event_loop(server):
    """The shared server runs with the default FLOORCAST_INFERENCE_NICE=10: its event loop (the main thread)
    keeps nice 0, CTranslate2's threads for the loaded model run at 10, and so does a channel's recogniser."""
    from service.settings import Settings

    lowered = Settings.model_fields["inference_nice"].default
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert server.pid is not None
    before = _nice_of_threads(server.pid)
    assert before[server.pid] == base, before
    model_threads = {tid for tid, nice in before.items() if nice == base + lowered}
    assert model_threads, f"no thread at nice {base + lowered}: {before}"

    async def while_streaming() -> dict[int, int]:
        session_id = server.create_session(title="priority")["id"]
        async with server.ingest(session_id) as ws:
            await ws.send(json.dumps({"type": "start", "encoding": "pcm_s16le", "sample_rate": SAMPLE_RATE_HZ,
                                      "channels": 1}))
            assert json.loads(await ws.recv())["type"] == "ready"
            await ws.send(bytes(2 * SAMPLE_RATE_HZ))  # one second of silence starts the channel's worker
            await asyncio.sleep(0.5)
            during = _nice_of_threads(server.pid)
            await ws.send(json.dumps({"type": "stop"}))
            return during

    during = asyncio.run(while_streaming())
    assert during[server.pid] == base
    new_lowered = {tid for tid, nice in during.items() if nice == base + lowered} - set(before)
    assert new_lowered, f"the channel's recogniser thread is not lowered: before {before}, during {during}"
    assert not {tid for tid, nice in during.items() if nice not in (base, base + lowered)}, during
