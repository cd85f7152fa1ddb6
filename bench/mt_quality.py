"""How good and how fast is each installed translation direction on UN text?

Scores every covered direction (or ``--pairs en-es,es-en``) on the UN Parallel Corpus v1.0 dev set
(``<eval>/mt/un_v1.0/UNv1.0.devset.<lang>``, 4,000 aligned sentences; ``--limit N`` for the first N) with
sacrebleu's corpus chrF and BLEU (``zh`` tokenizer for Chinese targets). The engine is the one floorcast's
router picks (``--engine argos|apertium`` forces one). Speed, on the same sentences:

* sentences/s: the whole set sent in batches of ``--batch`` sentences (one engine call per batch);
* median ms per segment: ``--single`` sentences sent one per call, as live captions arrive.

The eval dir is floorcast's ``FLOORCAST_EVAL_DIR`` (default ../shared/eval from the repository root); the
data dir (Argos packages) is ``FLOORCAST_DATA_DIR``.

    python bench/mt_quality.py [--pairs en-es,es-en] [--limit 1000] [--engine auto]

Prints a table and writes bench/results/mt_quality.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def eval_dir() -> Path:
    from service.settings import Settings

    path = Settings(admin_token=secrets.token_urlsafe(24)).eval_dir.expanduser()
    return path if path.is_absolute() else (ROOT / path).resolve()


def read_lines(corpus: Path, lang: str, limit: int | None) -> list[str]:
    lines = (corpus / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8").splitlines()
    return lines[:limit] if limit else lines


def score(engine, src: str, tgt: str, corpus: Path, limit: int | None, batch: int, single: int) -> dict:
    import sacrebleu

    sources, references = read_lines(corpus, src, limit), read_lines(corpus, tgt, limit)
    engine.cache.clear()
    start = time.perf_counter()
    hypotheses: list[str] = []
    for i in range(0, len(sources), batch):
        hypotheses.extend(engine.translate_batch(sources[i:i + batch], src, tgt))
    elapsed_s = time.perf_counter() - start
    engine.cache.clear()
    single_ms = []
    for sentence in sources[:single]:
        t = time.perf_counter()
        engine.translate_batch([sentence], src, tgt)
        single_ms.append((time.perf_counter() - t) * 1000)
    engine.cache.clear()
    tokenize = "zh" if tgt == "zh" else "13a"
    coverage = engine.coverage(src, tgt)
    return {"pair": f"{src}-{tgt}", "engine": engine.name, "route": coverage.route, "via": coverage.via,
            "model_version": coverage.model_version, "sentences": len(sources),
            "chrf": round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2),
            "bleu": round(sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score, 2),
            "sentences_per_s": round(len(sources) / elapsed_s, 1), "seconds": round(elapsed_s, 2),
            "single_median_ms": round(statistics.median(single_ms), 1) if single_ms else None,
            "single_segments": len(single_ms), "batch": batch,
            "example": {"source": sources[1] if len(sources) > 1 else sources[0],
                        "hypothesis": hypotheses[1] if len(hypotheses) > 1 else hypotheses[0],
                        "reference": references[1] if len(references) > 1 else references[0]}}


def main() -> None:
    from models.translation.languages import parse_direction
    from models.translation.translator import Translator
    from service.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default="", help="comma-separated directions, e.g. en-es,es-en "
                                                    "(default: every covered direction)")
    parser.add_argument("--limit", type=int, default=None, help="first N sentences (default: all 4,000)")
    parser.add_argument("--engine", default="auto", choices=["auto", "argos", "apertium"])
    parser.add_argument("--batch", type=int, default=200, help="sentences per engine call for throughput")
    parser.add_argument("--single", type=int, default=20, help="sentences translated one per call for latency")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "mt_quality.json"))
    args = parser.parse_args()

    corpus = eval_dir() / "mt" / "un_v1.0"
    if not (corpus / "UNv1.0.devset.en").is_file():
        sys.exit(f"UN dev set not found under {corpus} (set FLOORCAST_EVAL_DIR)")
    settings = Settings(admin_token=secrets.token_urlsafe(24))
    translator = Translator(settings.data_dir.resolve(), getattr(settings, "translation_engines", None) or {})
    directions = [parse_direction(p) for p in args.pairs.split(",") if p.strip()] or [
        (row.src, row.tgt) for row in translator.status() if row.engine]
    console = Console()
    rows = []
    for src, tgt in directions:
        if args.engine == "auto":
            engine = translator.router.choose(src, tgt).engine
        else:
            engine = translator.router.engine(args.engine)
            engine = engine if engine.covers(src, tgt) else None
        if engine is None:
            console.print(f"[yellow]{src}-{tgt}: no engine covers it here; skipped[/]")
            continue
        with console.status(f"{src}-{tgt} with {engine.name}"):
            rows.append(score(engine, src, tgt, corpus, args.limit, args.batch, args.single))

    table = Table(title=f"UN Parallel Corpus dev set, {rows[0]['sentences'] if rows else 0} sentences per direction")
    for column in ("pair", "engine", "route", "chrF", "BLEU", "sent/s (batch)", "median ms/segment"):
        table.add_column(column, justify="right")
    for r in rows:
        route = f"pivot via {r['via']}" if r["route"] == "pivot" else r["route"]
        table.add_row(r["pair"], r["engine"], route, f"{r['chrf']:.1f}", f"{r['bleu']:.1f}",
                      f"{r['sentences_per_s']:.0f}", f"{r['single_median_ms']:.0f}")
    console.print(table)
    engines = {engine.name: engine.version for engine in translator.router.engines}
    result = {"corpus": "UNv1.0 devset", "limit": args.limit, "engines": engines, "machine": platform.machine(),
              "python": platform.python_version(), "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
