"""Glossary terms through the Apertium engine on UN Parallel Corpus dev-set sentences, with and without the
session glossary.

Four UN terms with the renderings of the UN's style guides; for each direction the first ``--limit``
dev-set sentences in the source language that hold one of them. Counted: terms whose glossary rendering
appears (case-insensitive) in the output, over the terms in the sources.

    python bench/glossary_terms.py [--limit 30] [--out bench/results/glossary_terms.json]

Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.common import eval_dir  # noqa: E402
from test_glossary_engines import GLOSSARY, _terms_kept as terms_kept  # noqa: E402  (what the test holds to)

DIRECTIONS = (("en", "es"), ("es", "en"), ("fr", "es"), ("es", "fr"), ("en", "fr"), ("fr", "en"))
RESULTS = ROOT / "bench" / "results"


def kept(translator, sentences: list[str], src: str, tgt: str, glossary) -> tuple[int, int, str, float]:
    """The test's own count (terms kept, terms, route), and the seconds it took."""
    started = time.perf_counter()
    hits, total, route = terms_kept(translator, sentences, src, tgt, glossary)
    return hits, total, route, time.perf_counter() - started


def main() -> None:
    from models.translation.translator import Translator

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--out", default=str(RESULTS / "glossary_terms.json"))
    args = parser.parse_args()
    corpus = eval_dir() / "mt" / "un_v1.0"
    lines = {lang: (corpus / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8").splitlines()
             for lang in ("en", "es", "fr")}
    rows = []
    with tempfile.TemporaryDirectory() as data_dir:
        translator = Translator(Path(data_dir))
        for src, tgt in DIRECTIONS:
            sentences = [s for s in lines[src] if any(r[src].lower() in s.lower() for r in GLOSSARY.values())]
            sentences = sentences[:args.limit]
            with_hits, total, route, with_s = kept(translator, sentences, src, tgt, GLOSSARY)
            bare_hits, _, _, bare_s = kept(translator, sentences, src, tgt, None)
            rows.append({"direction": f"{src}-{tgt}", "route": route, "sentences": len(sentences), "terms": total,
                         "kept_with_glossary": with_hits, "kept_without": bare_hits,
                         "seconds_with": round(with_s, 2), "seconds_without": round(bare_s, 2)})
    table = Table(title="UN terms kept through Apertium (dev-set sentences)")
    for column in ("direction", "route", "sentences", "with glossary", "without", "s with / without"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(r["direction"], r["route"], str(r["sentences"]), f"{r['kept_with_glossary']}/{r['terms']}",
                      f"{r['kept_without']}/{r['terms']}", f"{r['seconds_with']:.1f} / {r['seconds_without']:.1f}")
    Console(width=160).print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
                                          "glossary": GLOSSARY, "rows": rows}, ensure_ascii=False, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
