"""Live accuracy on meeting-like passages, in process and as fast as the CPU goes.

The recogniser the server runs (:class:`StreamingRecognizer`, or the
LocalAgreement-2 baseline :class:`NaiveRecognizer`) is fed each passage in
100 ms chunks with nothing queued behind it — every partial decode it wants
is run, as on a machine that keeps up — and its finals are scored against the
references; the same model transcribes the same passage offline (beam 5, VAD,
per-segment language for the multilingual passage) for the ratio. Latency and
busy time at real-time pace come from ``bench/streaming_latency.py --clips meeting``.

    python bench/meeting_accuracy.py [--models base,tiny.en] [--policies vad,naive] [--passages ...]

Prints a table and writes bench/results/meeting_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from functools import lru_cache
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.meeting_passages import PASSAGE_NAMES, Passage, meeting_passages  # noqa: E402
from bench.meeting_scoring import PassageScore, TimedText, passage_wer, pooled_wer, score_passage  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK_S = 0.1


def _model_path(model: str) -> Path:
    from models.provisioning import resolve_model
    from service.settings import Settings

    return resolve_model(model, Settings().data_dir.resolve()).path


@lru_cache(maxsize=2)
def _whisper(model: str):
    from faster_whisper import WhisperModel

    return WhisperModel(str(_model_path(model)), device="cpu", compute_type="int8", cpu_threads=2)


def offline(model: str, passage: Passage, *, vad_filter: bool) -> list[TimedText]:
    """The same model on the whole passage: with Silero VAD as ``floorcast transcribe`` runs it, or without."""
    whisper = _whisper(model)
    multi = passage.language == "multi" and whisper.model.is_multilingual
    segments, _ = whisper.transcribe(passage.audio, beam_size=5, vad_filter=vad_filter, multilingual=multi)
    return [TimedText(s.start, s.end, s.text) for s in segments]


def offline_per_clip(model: str, passage: Passage) -> list[TimedText]:
    """The model's ceiling: each clip's stretch of the passage transcribed on its own, language given."""
    whisper = _whisper(model)
    out = []
    for placed in passage.placed:
        a, b = int(max(0.0, placed.start_s - 0.2) * 16_000), int((placed.end_s + 0.2) * 16_000)
        language = placed.clip.language if whisper.model.is_multilingual else None
        segments, _ = whisper.transcribe(passage.audio[a:b], beam_size=5, language=language)
        out += [TimedText(placed.start_s + s.start, placed.start_s + s.end, s.text) for s in segments]
    return out


def recognizer_config(allowed: tuple[str, ...], overrides: dict[str, str]):
    """The server's defaults with ``--set name=value`` overrides (``segmenter.name`` for the segmenter's)."""
    from dataclasses import fields, replace

    from models.recognizer.streamer import RecognizerConfig

    config = RecognizerConfig(allowed_languages=allowed)
    seg: dict[str, object] = {}
    top: dict[str, object] = {}
    for key, raw in overrides.items():
        target, name = (config.segmenter, key.split(".", 1)[1]) if key.startswith("segmenter.") else (config, key)
        kinds = {f.name: type(getattr(target, f.name)) for f in fields(target)}
        if name not in kinds:
            raise SystemExit(f"--set {key}: no such recogniser setting")
        value = raw.lower() in ("1", "true", "yes") if kinds[name] is bool else kinds[name](raw)
        (seg if target is config.segmenter else top)[name] = value
    return replace(config, segmenter=replace(config.segmenter, **seg), **top)


def streamed(model: str, policy: str, passage: Passage,
             overrides: dict[str, str] | None = None) -> tuple[list[TimedText], list[TimedText], dict]:
    from models.recognizer.decoder import WhisperDecoder
    from models.recognizer.events import FinalCaption
    from models.recognizer.naive import NaiveRecognizer
    from models.recognizer.streamer import StreamingRecognizer

    decoder = WhisperDecoder.load(_model_path(model), name=model)
    allowed = ("en", "fr", "es") if passage.language == "multi" else ("en",)
    config = recognizer_config(allowed, overrides or {})
    recognizer = NaiveRecognizer(decoder, config) if policy == "naive" else StreamingRecognizer(decoder, config)
    step = int(CHUNK_S * 16_000)
    events = []
    for i in range(0, len(passage.audio), step):
        events += recognizer.feed(passage.audio[i:i + step])
    events += recognizer.flush()
    finals = [TimedText(e.start_s, e.end_s, e.text) for e in events if isinstance(e, FinalCaption) and e.text]
    rejections = [TimedText(r.start_s, r.end_s, r.reason) for r in getattr(recognizer, "rejections", [])]
    stats = recognizer.stats
    return finals, rejections, {"busy_per_audio_s": stats.busy_per_audio_s, "finals": stats.finals,
                                "rejected": stats.rejected, "rejected_reasons": dict(stats.rejected_reasons)}


def run(model: str, policies: list[str], passages: list[Passage], overrides: dict[str, str] | None = None,
        with_offline: bool = True) -> list[dict]:
    rows = []
    usable = [p for p in passages if p.language == "en" or not model.endswith(".en")]
    offline_kinds = {} if not with_offline else {"offline-vad": lambda p: offline(model, p, vad_filter=True),
                     "offline-novad": lambda p: offline(model, p, vad_filter=False),
                     "offline-per-clip": lambda p: offline_per_clip(model, p)}
    scores: dict[str, list[PassageScore]] = {kind: [] for kind in offline_kinds}
    per_passage: dict[str, dict] = {}
    for passage in usable:
        for kind, transcribe in offline_kinds.items():
            t = time.perf_counter()
            score = score_passage(passage, transcribe(passage))
            scores[kind].append(score)
            per_passage.setdefault(passage.name, {})[kind] = {
                "wer": score.wer, "wer_passage": passage_wer([score]),
                "busy_per_audio_s": (time.perf_counter() - t) / passage.duration_s,
                "hypotheses": score.hyps}
        for policy in policies:
            finals, rejections, stats = streamed(model, policy, passage, overrides)
            score = score_passage(passage, finals, rejections)
            scores.setdefault(policy, []).append(score)
            per_passage.setdefault(passage.name, {})[policy] = {
                "wer": score.wer, "wer_passage": passage_wer([score]), "start_words_lost": score.start_words_lost,
                "clips_with_start_lost": score.clips_with_start_lost,
                "rejections_on_speech": score.rejections_on_speech, **stats,
                "hypotheses": score.hyps}
            print(f"  {model} {policy} {passage.name}: WER {score.wer:.3f} "
                  f"(offline {', '.join(f'{k} {v[-1].wer:.3f}' for k, v in scores.items() if k in offline_kinds)}), "
                  f"start words lost {score.start_words_lost}, rejected {stats['rejected']} {stats['rejected_reasons']}",
                  flush=True)
    # the ratio is taken against the best of the offline runs: the honest denominator
    off = min((pooled_wer(scores[kind]) for kind in offline_kinds), default=float("nan"))
    off_passage = min((passage_wer(scores[kind]) for kind in offline_kinds), default=float("nan"))
    for policy in [*offline_kinds, *policies]:
        s = scores[policy]
        rows.append({"model": model, "policy": policy, "passages": len(s), "ref_words": sum(x.ref_words for x in s),
                     "wer_pooled": pooled_wer(s), "wer_offline_pooled": off,
                     "ratio": pooled_wer(s) / off if off else float("nan"),
                     "wer_passage_pooled": passage_wer(s), "wer_passage_offline": off_passage,
                     "ratio_passage": passage_wer(s) / off_passage if off_passage else float("nan"),
                     "overrides": overrides or {},
                     "start_words_lost": sum(x.start_words_lost for x in s),
                     "rejections_on_speech": sum(x.rejections_on_speech for x in s),
                     "per_passage": {name: d.get(policy) for name, d in per_passage.items()}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="base,tiny.en")
    parser.add_argument("--policies", default="vad,naive")
    parser.add_argument("--passages", default=",".join(PASSAGE_NAMES))
    parser.add_argument("--out", default=str(RESULTS / "meeting_accuracy.json"))
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a RecognizerConfig field (segmenter.NAME for the segmenter's), for tuning")
    parser.add_argument("--no-offline", action="store_true", help="streaming only (tuning runs)")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    passages = meeting_passages(tuple(args.passages.split(",")))
    if not passages:
        raise SystemExit("no eval data: set FLOORCAST_EVAL_DIR (default ../shared/eval)")
    rows = []
    for model in args.models.split(","):
        rows += run(model, args.policies.split(","), passages, overrides, with_offline=not args.no_offline)
    table = Table(title="meeting-like passages: pooled WER, streaming (in process, every partial) vs offline")
    for col in ("model", "policy", "passages", "ref words", "passage WER", "best offline", "ratio",
                "clip-attributed WER", "best offline", "ratio", "start words lost",
                "rejected on speech"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(r["model"], r["policy"], str(r["passages"]), str(r["ref_words"]),
                      f"{r['wer_passage_pooled']:.3f}", f"{r['wer_passage_offline']:.3f}", f"{r['ratio_passage']:.2f}",
                      f"{r['wer_pooled']:.3f}",
                      f"{r['wer_offline_pooled']:.3f}", f"{r['ratio']:.2f}", str(r["start_words_lost"]),
                      str(r["rejections_on_speech"]))
    Console().print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
                                          "passages": {p.name: {"duration_s": p.duration_s, "clips": len(p.placed)}
                                                       for p in passages},
                                          "results": rows}, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
