"""What building events from the protocol models costs, beside what fan-out already pays per event.

Since issue 14 every event a viewer receives is built by ``service.wire_events`` from the pydantic
models of ``service.protocol`` (validated), then turned into the dict the bus carries; the store's
``SegmentIn`` is derived from the same ``FinalEvent``. This times, per event and in one process:

* ``final``: a 20-word final from a recogniser caption -> ``FinalEvent`` -> wire dict + ``SegmentIn``
* ``translation``: one target language of that final -> ``FinalEvent`` -> wire dict + ``TranslationIn``
* ``partial``: a partial -> ``PartialEvent`` -> wire dict
* ``encode``: the JSON text the broker makes once per event (``fanout.Outgoing.of``), for scale

Run: ``python bench/event_building.py [--repeat 2000] [--out bench/results/event_building.json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.recognizer.decoder import Word  # noqa: E402
from models.recognizer.events import FinalCaption, PartialCaption  # noqa: E402
from models.translation.translator import TranslationResult  # noqa: E402
from service import wire_events  # noqa: E402
from service.fanout import Outgoing  # noqa: E402

WORDS = "the general assembly decided to include in the provisional agenda of its eightieth session the item entitled"
CAPTION = FinalCaption(12, "en", WORDS, 3.0, 9.0, words=tuple(
    Word(w, 3.0 + 0.3 * i, 3.25 + 0.3 * i, 0.9) for i, w in enumerate(WORDS.split())))
PARTIAL = PartialCaption(12, "en", WORDS[:60], 30, 3.0, 6.0)
RESULT = TranslationResult("l'Assemblée générale a décidé d'inscrire à l'ordre du jour provisoire", "apertium", "3.8",
                           True, "pivot", via="es")


def _final() -> None:
    event = wire_events.recognized(CAPTION, seq=40, session_id="S1", channel="floor", number=12, offset_s=60.0,
                                   speaker="Chair")
    wire_events.wire(event)
    wire_events.segment_in(event)


SOURCE = wire_events.recognized(CAPTION, seq=40, session_id="S1", channel="floor", number=12, offset_s=60.0,
                                speaker="Chair")


def _translation() -> None:
    event = wire_events.translated(SOURCE, seq=41, lang="fr", result=RESULT)
    wire_events.wire(event)
    wire_events.translation_in(event, RESULT)


def _partial() -> None:
    wire_events.wire(wire_events.recognized(PARTIAL, seq=39, session_id="S1", channel="floor", number=12,
                                            offset_s=60.0, speaker=None))


WIRE_FINAL = wire_events.wire(SOURCE)


def _encode() -> None:
    Outgoing.of(WIRE_FINAL)


def _time_us(fn, repeat: int) -> float:
    """Median of 7 rounds of ``repeat`` calls, in microseconds per call."""
    rounds = []
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        rounds.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "event_building.json")
    args = parser.parse_args()
    rows = {name: _time_us(fn, args.repeat) for name, fn in
            (("final", _final), ("translation", _translation), ("partial", _partial), ("encode", _encode))}
    # a busy floor: 2 partials/s and a final every 5 s, each final in 5 more languages
    per_s = 2 * rows["partial"] + (rows["final"] + 5 * rows["translation"]) / 5
    print(f"{'event':<12} {'µs/event':>9} {'× encode':>9}")
    for name, us in rows.items():
        print(f"{name:<12} {us:>9.1f} {us / rows['encode']:>9.2f}")
    print(f"a busy floor (2 partials/s, a final every 5 s in six languages): {per_s:.0f} µs of loop time per "
          f"second of meeting ({per_s / 1e4:.3f} % of one core)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"us_per_event": {k: round(v, 2) for k, v in rows.items()},
                                    "busy_floor_us_per_s": round(per_s, 1), "repeat": args.repeat,
                                    "python": sys.version.split()[0]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
