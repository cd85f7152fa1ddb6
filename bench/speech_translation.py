"""Whisper's own speech translation into English (``task="translate"``) for floors with no text engine.

For each clip of ``../shared/eval`` in ru/ar/zh/fr/es the same model decodes the speech twice, once
to transcribe it (what the live recogniser does for every final) and once to translate it into
English (the second decode a final would cost). Reported per language group:

* quality of the English line: chrF and BLEU (sacrebleu) against a reference translation. The
  espeak-ng NTREX clips are parallel across the six languages, so their English text is a human
  reference; the real FLEURS sentences are not parallel across languages here, so for French and
  Spanish the reference is Apertium's translation of the gold transcript (labelled "pseudo") and
  the cascade "transcribe + Apertium" is scored against the same reference for comparison.
  Russian, Arabic and Chinese real clips have no English reference: cost only.
* cost: seconds of decoder time per second of audio for the translate decode (the added busy time
  per stream), its ratio to the transcribe decode measured in the same run, and the decode time per
  clip (the latency after the final when the decoder is free).

    python bench/speech_translation.py [--model base] [--beam 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import eval_dir, load_pcm16, percentile  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LANGS = ("fr", "es", "ru", "ar", "zh")


@dataclass
class Row:
    clip: str
    lang: str
    kind: str  # "synthetic" | "real"
    audio_s: float
    transcribe_s: float
    translate_s: float
    transcript: str
    english: str
    reference: str | None
    reference_kind: str | None  # "human" | "pseudo" | None
    cascade: str | None


def _clips() -> list[tuple[Path, str, str]]:
    root = eval_dir()
    out: list[tuple[Path, str, str]] = []
    for lang in LANGS:
        out += [(p, lang, "synthetic") for p in sorted((root / "synthetic").glob(f"espeak_{lang}_ntrex*.wav"))]
        real = [p for p in sorted((root / "asr" / lang).rglob("*"))
                if p.suffix in {".wav", ".ogg", ".flac"} and p.with_suffix(".txt").exists()]
        out += [(p, lang, "real") for p in real]
    return out


def _whisper(model: str):
    from models.provisioning import resolve_model
    from models.recognizer.loading import load_whisper
    from service.settings import Settings

    return load_whisper(resolve_model(model, Settings().data_dir.resolve()).path)


def _decode(whisper, audio, lang: str, task: str, beam: int) -> tuple[str, float]:
    started = time.perf_counter()
    segments, _ = whisper.transcribe(audio, language=lang, task=task, beam_size=beam, vad_filter=False,
                                     condition_on_previous_text=False)
    text = " ".join(s.text.strip() for s in segments).strip()
    return text, time.perf_counter() - started


def _apertium_en(texts: list[str], lang: str) -> list[str] | None:
    from models.translation.apertium import ApertiumEngine

    engine = ApertiumEngine()
    if not engine.available() or not engine.covers(lang, "en"):
        return None
    return engine.translate_batch(texts, lang, "en")


def run(model: str, beam: int) -> list[Row]:
    whisper = _whisper(model)
    rows: list[Row] = []
    for path, lang, kind in _clips():
        audio = load_pcm16(path)
        transcript, transcribe_s = _decode(whisper, audio, lang, "transcribe", beam)
        english, translate_s = _decode(whisper, audio, lang, "translate", beam)
        gold = path.with_suffix(".txt").read_text(encoding="utf-8").strip()
        reference = reference_kind = cascade = None
        if kind == "synthetic":
            reference = (path.parent / path.name.replace(f"_{lang}_", "_en_")).with_suffix(".txt") \
                .read_text(encoding="utf-8").strip()
            reference_kind = "human"
        if lang in ("fr", "es"):
            pair = _apertium_en([gold, transcript], lang)
            if pair is not None:
                cascade = pair[1]
                if reference is None:
                    reference, reference_kind = pair[0], "pseudo"
        rows.append(Row(str(path.relative_to(eval_dir())), lang, kind, len(audio) / 16_000, transcribe_s,
                        translate_s, transcript, english, reference, reference_kind, cascade))
        print(f"  {rows[-1].clip}: {translate_s:.2f} s for {rows[-1].audio_s:.1f} s -> {english[:70]!r}",
              flush=True)
    return rows


def _scores(hyps: list[str], refs: list[str]) -> dict[str, float]:
    import sacrebleu

    return {"chrf": round(sacrebleu.corpus_chrf(hyps, [refs]).score, 2),
            "bleu": round(sacrebleu.corpus_bleu(hyps, [refs]).score, 2)}


def summarise(rows: list[Row]) -> list[dict]:
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.lang, row.kind), []).append(row)
    out = []
    for (lang, kind), members in sorted(groups.items()):
        audio = sum(r.audio_s for r in members)
        entry: dict = {"lang": lang, "kind": kind, "clips": len(members), "audio_s": round(audio, 2),
                       "translate_busy_per_audio_s": round(sum(r.translate_s for r in members) / audio, 3),
                       "transcribe_busy_per_audio_s": round(sum(r.transcribe_s for r in members) / audio, 3),
                       "translate_over_transcribe": round(sum(r.translate_s for r in members)
                                                          / sum(r.transcribe_s for r in members), 2),
                       "translate_s_p50": round(percentile([r.translate_s for r in members], 50), 2),
                       "translate_s_max": round(max(r.translate_s for r in members), 2)}
        scored = [r for r in members if r.reference]
        if scored:
            entry["reference"] = scored[0].reference_kind
            entry["speech_translation"] = _scores([r.english for r in scored], [r.reference for r in scored])
            if all(r.cascade is not None for r in scored):
                entry["cascade_apertium"] = _scores([r.cascade for r in scored], [r.reference for r in scored])
        out.append(entry)
    return out


def _pair(scores: dict[str, float] | None) -> str:
    return f"{scores['chrf']} / {scores['bleu']}" if scores else "—"


def _table(summary: list[dict]) -> str:
    lines = ["| lang | clips | audio s | ref | chrF / BLEU speech→en | chrF / BLEU transcribe+Apertium "
             "| translate busy s/s | ÷ transcribe | decode p50 / max s |", "|" + "---|" * 9]
    for e in summary:
        st = _pair(e.get("speech_translation"))
        ca = _pair(e.get("cascade_apertium"))
        lines.append(f"| {e['lang']} {e['kind']} | {e['clips']} | {e['audio_s']} | {e.get('reference', '—')} "
                     f"| {st} | {ca} "
                     f"| {e['translate_busy_per_audio_s']} | {e['translate_over_transcribe']} "
                     f"| {e['translate_s_p50']} / {e['translate_s_max']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "speech_translation.json")
    args = parser.parse_args()
    rows = run(args.model, args.beam)
    summary = summarise(rows)
    print(_table(summary))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
                                    "model": args.model, "beam": args.beam, "summary": summary,
                                    "rows": [asdict(r) for r in rows]}, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
