"""How often does a pivot direction leak the pivot language (or Apertium's marks) into its output?

For each pivot direction (default en-fr and fr-en) on the UN dev set, the whole set is translated with the
Apertium engine, and separately leg one alone (src -> pivot, unknown words unmarked) gives the pivot text
of each sentence. Counted, per output sentence:

* ``marked``: an Apertium mark left in the output, i.e. a token starting with ``*``, ``#`` or ``@``;
* ``leaked``: an output word (lower-cased, letters only, 3+ characters) that also appears in the pivot
  text of the same sentence, but nowhere in the target-language side of the whole dev set (4,000 human
  translations: a rough vocabulary of the target language) and not in the source sentence itself (a
  source word kept on purpose is not a pivot leak). E.g. ``acídicas`` in an en-fr output.

    python bench/pivot_leaks.py [--pairs en-fr,fr-en] [--limit N] [--out FILE] [--dump DIR]

Prints a summary line per direction; ``--out`` writes the counts as JSON, ``--dump`` the outputs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mt_quality import eval_dir, read_lines  # noqa: E402

_WORD = re.compile(r"[^\W\d_]{3,}")
_MARK = re.compile(r"(?<![\w*#@])[*#@]+\w")


def words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def count(engine, src: str, tgt: str, corpus: Path, limit: int | None, batch: int) -> tuple[dict, list[str]]:
    sources, references = read_lines(corpus, src, limit), read_lines(corpus, tgt, limit)
    coverage = engine.coverage(src, tgt)
    if coverage.route != "pivot":
        raise SystemExit(f"{src}-{tgt} is not a pivot direction here ({coverage.route})")
    target_vocabulary = set().union(*(words(r) for r in read_lines(corpus, tgt, None)))
    leg_one = engine.mode_for(src, coverage.via)
    outputs: list[str] = []
    pivots: list[str] = []
    engine.cache.clear()
    for i in range(0, len(sources), batch):
        chunk = sources[i:i + batch]
        outputs.extend(engine.translate_batch(chunk, src, tgt))
        pivots.extend(engine._run_mode(leg_one, chunk))
    marked = leaked_sentences = leaked_tokens = 0
    examples: list[dict] = []
    for source, pivot, output in zip(sources, pivots, outputs):
        has_mark = bool(_MARK.search(output))
        leaks = sorted((words(output) & words(pivot)) - target_vocabulary - words(source))
        marked += has_mark
        leaked_sentences += bool(leaks)
        leaked_tokens += len(leaks)
        if (has_mark or leaks) and len(examples) < 10:
            examples.append({"source": source, "output": output, "leaks": leaks})
    row = {"pair": f"{src}-{tgt}", "via": coverage.via, "sentences": len(sources),
           "sentences_with_mark": marked, "sentences_with_pivot_leak": leaked_sentences,
           "pivot_leak_word_types": leaked_tokens, "examples": examples}
    del references
    return row, outputs


def main() -> None:
    from models.translation.apertium import ApertiumEngine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default="en-fr,fr-en")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--out", default=None, help="write the counts as JSON here")
    parser.add_argument("--dump", default=None, help="write each direction's outputs to DIR/<pair>.txt")
    args = parser.parse_args()
    corpus = eval_dir() / "mt" / "un_v1.0"
    engine = ApertiumEngine()
    rows = []
    for pair in args.pairs.split(","):
        src, tgt = pair.strip().split("-")
        row, outputs = count(engine, src, tgt, corpus, args.limit, args.batch)
        rows.append(row)
        print(f"{pair}: {row['sentences']} sentences, {row['sentences_with_mark']} with a mark, "
              f"{row['sentences_with_pivot_leak']} with a pivot-language word "
              f"({row['pivot_leak_word_types']} leaked word types, summed per sentence)")
        if args.dump:
            Path(args.dump).mkdir(parents=True, exist_ok=True)
            (Path(args.dump) / f"{pair}.txt").write_text("\n".join(outputs) + "\n", encoding="utf-8")
    if args.out:
        Path(args.out).write_text(json.dumps({"rows": rows}, indent=2, ensure_ascii=False) + "\n",
                                  encoding="utf-8")


if __name__ == "__main__":
    main()
