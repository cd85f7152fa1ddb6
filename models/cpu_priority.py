"""Run inference below the event loop's CPU priority.

On a small machine recognition and translation want every core, while the
event loop only needs a few milliseconds at a time to hand captions to
viewers; if it has to wait for a core behind the decoders, every viewer sees
that wait. Linux gives each thread its own nice value and a thread inherits
its creator's, so a worker thread lowers itself when it starts, and a model is
loaded in a lowered thread so that the threads the inference library starts
for it (CTranslate2's workers and their OpenMP pool) run lowered too. A
subprocess (Apertium) started from a lowered thread inherits it as well.
Elsewhere (no ``os.setpriority``) this does nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable, TypeVar

__all__ = ["lower_this_thread", "thread_nice", "call_lowered"]

log = logging.getLogger(__name__)
T = TypeVar("T")


def thread_nice() -> int | None:
    """The calling thread's nice value (None where threads have none)."""
    if not hasattr(os, "getpriority"):
        return None
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def lower_this_thread(by: int) -> None:
    """Raise the calling thread's nice value by ``by`` (at most to 19). Lowering needs no privilege."""
    current = thread_nice()
    if by <= 0 or current is None:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, current + by))
    except OSError as exc:  # e.g. a seccomp profile that forbids it: run at normal priority
        log.warning("could not lower thread priority: %s", exc)


def call_lowered(fn: Callable[[], T], by: int) -> T:
    """Run ``fn`` in a new thread lowered by ``by`` and return its result (or raise its exception).

    Threads ``fn`` starts inherit the lowered priority; the caller's thread keeps its own.
    """
    if by <= 0:
        return fn()
    outcome: list = []

    def run() -> None:
        lower_this_thread(by)
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # re-raised in the caller
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="lowered-load", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
