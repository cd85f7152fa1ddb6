"""Is a shorter Whisper encoder window usable, and what does it cost in WER?

Every clip is decoded offline (whole clip, one call) with the encoder fed
(a) Whisper's padded 30 s window, (b) the clip rounded up to 5 s after 1 s of
padding (floorcast's default, ``tight``), (c) the clip rounded up to 1 s with
no padding. Greedy and beam-5 decoding. Reports corpus WER (jiwer, case and
punctuation normalised) and the median seconds per call.

    python bench/encoder_window.py [--model base] [--clips standard|en]

Prints a table and writes bench/results/encoder_window.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import jiwer
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import clip_set, load_pcm16, normalize  # noqa: E402

VARIANTS = {"full-30s": ("full", 5.0, 1.0), "tight-r5-p1": ("tight", 5.0, 1.0), "tight-r1-p0": ("tight", 1.0, 0.0)}


def main() -> None:
    from models.provisioning import resolve_model
    from models.recognizer.decoder import WhisperDecoder
    from service.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--clips", default="standard", choices=["standard", "en"])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "encoder_window.json"))
    args = parser.parse_args()
    resolved = resolve_model(args.model, Settings().data_dir.resolve())
    decoder = WhisperDecoder.load(resolved.path, name=resolved.name)
    clips = [c for c in clip_set(args.clips) if decoder.multilingual or c.language == "en"]
    audio = [load_pcm16(c.path) for c in clips]
    refs = [normalize(c.reference) for c in clips]
    rows = []
    for name, (window, round_s, pad_s) in VARIANTS.items():
        decoder.window, decoder.tight_round_s, decoder.tight_pad_s = window, round_s, pad_s
        for beam in (1, 5):
            hyps, times = [], []
            for clip, samples in zip(clips, audio):
                t = time.perf_counter()
                encoded = decoder.encode(samples)
                hyps.append(decoder.decode(encoded, language=clip.language, beam_size=beam).text)
                times.append(time.perf_counter() - t)
            rows.append({"variant": name, "beam": beam, "wer": float(jiwer.wer(refs, [normalize(h) or "x" for h in hyps])),
                         "median_call_s": statistics.median(times), "clips": len(clips)})
    table = Table(title=f"encoder window, {resolved.name}, {len(clips)} clips (language given)")
    for col in ("variant", "beam", "WER", "median s/call", "vs full"):
        table.add_column(col, justify="right")
    full = {r["beam"]: r for r in rows if r["variant"] == "full-30s"}
    for r in rows:
        table.add_row(r["variant"], str(r["beam"]), f"{r['wer']:.3f}", f"{r['median_call_s']:.3f}",
                      f"{r['median_call_s'] / full[r['beam']]['median_call_s']:.2f}x")
    Console().print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"model": resolved.name, "rows": rows}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
