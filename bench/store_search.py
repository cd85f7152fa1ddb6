"""How fast the captions store loads and searches a large record, on SQLite and PostgreSQL.

The corpus stands for ``--hours`` hours of captions (default 1,000): 1,000
searchable rows of about ten words per hour (1,000 h: ~1 M rows, ~10 M words),
half of them segments as spoken, half a machine translation of each into one
other UN language. Segments are windows of 8-12 words (15-25 characters of
Chinese) cut from real sentences of the UN Parallel Corpus dev set
(``shared/eval/mt/un_v1.0``), so word frequencies are those of UN prose.
Sessions (one per two hours) each have a floor language and start a day apart.

Load: through ``Store.write_batch`` in batches of 100 segments + their
translations, as the live writer commits them. PostgreSQL then gets
``VACUUM ANALYZE`` (what autovacuum does after a bulk load). Search: first page
(20 hits) of common and rare words picked from the corpus's own frequency list
in every language (Chinese: two-character words), without filters, with a
language filter, with a session filter, and phrases, prefixes and a date range.

    python bench/store_search.py [--hours 1000] [--engines sqlite,postgres] [--pg-url URL]

PostgreSQL: ``--pg-url`` or ``FLOORCAST_TEST_DATABASE_URL`` (``bash .ci/start_postgres.sh``
prints one); a fresh database is created and dropped. Prints a table and
writes bench/results/store_search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import eval_dir, percentile  # noqa: E402
from captions_store.records import SegmentIn, SessionRecord, TranslationIn  # noqa: E402
from captions_store.store import Store  # noqa: E402
from captions_store.search_tokens import is_cjk, tokens  # noqa: E402

LANGS = ("en", "fr", "es", "ru", "ar", "zh")
FLOOR_WEIGHTS = (40, 15, 15, 10, 10, 10)
ROWS_PER_HOUR = 1000
HOURS_PER_SESSION = 2
BATCH = 100
PAGE = 20
REPEATS = 3
GOAL_P95_MS = 50.0
FIRST_SESSION = datetime(2024, 1, 8, 10, 0, tzinfo=timezone.utc)


def load_sentences() -> dict[str, list[str]]:
    base = eval_dir() / "mt" / "un_v1.0"
    return {lang: [line.strip() for line in (base / f"UNv1.0.devset.{lang}").read_text(encoding="utf-8").splitlines()
                   if line.strip()] for lang in LANGS}


def cut(rng: random.Random, sentences: list[str], lang: str) -> str:
    sentence = rng.choice(sentences)
    if lang == "zh":
        n = rng.randint(15, 25)
        start = rng.randint(0, max(0, len(sentence) - n))
        return sentence[start:start + n]
    words = sentence.split()
    n = rng.randint(8, 12)
    start = rng.randint(0, max(0, len(words) - n))
    return " ".join(words[start:start + n])


def corpus(hours: float, seed: int = 7) -> tuple[list[SessionRecord], list[list[tuple[SegmentIn, TranslationIn]]]]:
    rng = random.Random(seed)
    sentences = load_sentences()
    n_sessions = max(2, round(hours / HOURS_PER_SESSION))
    per_session = max(1, round(hours * ROWS_PER_HOUR / 2 / n_sessions))
    sessions, batches = [], []
    for s in range(n_sessions):
        floor = rng.choices(LANGS, FLOOR_WEIGHTS)[0]
        sid = f"bench{s:05d}"
        sessions.append(SessionRecord(id=sid, title=f"Meeting {s} ({floor})", room=f"Room {s % 7}", status="ended",
                                      started_at=FIRST_SESSION + timedelta(days=s), languages=LANGS))
        pairs = []
        for n in range(per_session):
            lang = floor if rng.random() < 0.8 else rng.choice(LANGS)
            target = rng.choice([x for x in LANGS if x != lang])
            seg_id = f"{sid}.floor.{n}"
            segment = SegmentIn(id=seg_id, session_id=sid, seq=2 * n + 1, channel="floor", start_s=n * 4.0,
                                end_s=n * 4.0 + 3.5, lang=lang, text=cut(rng, sentences[lang], lang))
            pairs.append((segment, TranslationIn(segment_id=seg_id, lang=target, engine="bench",
                                                 text=cut(rng, sentences[target], target))))
            if len(pairs) == BATCH:
                batches.append(pairs)
                pairs = []
        if pairs:
            batches.append(pairs)
    return sessions, batches


def word_lists(batches, rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """Per language: common words (frequency rank 20-60; 6+ letters, which leaves out the stop words
    PostgreSQL does not index), rare ones (5-20 occurrences), and common two-word phrases."""
    counts: dict[str, Counter] = {lang: Counter() for lang in LANGS}
    pairs: dict[str, Counter] = {lang: Counter() for lang in LANGS}
    for batch in batches:
        for segment, translation in batch:
            for lang, text in ((segment.lang, segment.text), (translation.lang, translation.text)):
                toks = [t.norm for t in tokens(text)]
                if lang == "zh":
                    toks = [a + b for a, b in zip(toks, toks[1:]) if is_cjk(a) and is_cjk(b)]
                else:
                    pairs[lang].update(f"{a} {b}" for a, b in zip(toks, toks[1:]) if min(len(a), len(b)) >= 6)
                counts[lang].update(toks)
    out = {}
    for lang, counter in counts.items():
        long_enough = (lambda w: True) if lang == "zh" else (lambda w: len(w) >= 6 and not w.isdigit())
        ranked = [w for w, _ in counter.most_common() if long_enough(w)]
        rare = [w for w, c in counter.items() if 5 <= c <= 20 and long_enough(w)]
        phrases = [p for p, _ in pairs[lang].most_common(20)] if lang != "zh" else \
            [a + b for a, b in zip(ranked[:20:2], ranked[1:20:2])]
        out[lang] = {"common": rng.sample(ranked[20:60], 3), "rare": rng.sample(rare, min(3, len(rare))),
                     "phrase": rng.sample(phrases, min(2, len(phrases)))}
    return out


def queries(words, sessions, rng: random.Random) -> dict[str, list[dict]]:
    session_ids = [s.id for s in sessions]
    plans: dict[str, list[dict]] = {}
    for kind in ("common", "rare"):
        plain = [{"q": w, "lang_of_word": lang} for lang in LANGS for w in words[lang][kind]]
        plans[f"{kind}"] = [{"q": p["q"]} for p in plain]
        plans[f"{kind} +lang"] = [{"q": p["q"], "lang": p["lang_of_word"]} for p in plain]
        plans[f"{kind} +session"] = [{"q": p["q"], "session_id": rng.choice(session_ids)} for p in plain]
    commons = {lang: words[lang]["common"] for lang in LANGS}
    plans["phrase"] = [{"q": f'"{p}"'} for lang in LANGS for p in words[lang]["phrase"]]
    plans["prefix"] = [{"q": w[:4] + "*"} for lang in LANGS if lang != "zh" for w in commons[lang][:2]]
    middle = sessions[len(sessions) // 3].started_at
    plans["common +dates"] = [{"q": w, "date_from": middle, "date_to": middle + timedelta(days=30)}
                              for lang in LANGS for w in commons[lang][:1]]
    return plans


def load(store: Store, sessions, batches) -> dict:
    for session in sessions:
        store.create_session(session)
    started = time.perf_counter()
    commit_s = []
    for batch in batches:
        t = time.perf_counter()
        store.write_batch([s for s, _ in batch], [t_ for _, t_ in batch])
        commit_s.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    segments = sum(len(b) for b in batches)
    return {"segments": segments, "rows": 2 * segments, "seconds": round(elapsed, 1),
            "segments_per_s": round(segments / elapsed), "rows_per_s": round(2 * segments / elapsed),
            "batch_commit_p50_ms": round(statistics.median(commit_s) * 1000, 1),
            "batch_commit_p95_ms": round(percentile(commit_s, 95) * 1000, 1)}


def measure(store: Store, plans: dict[str, list[dict]]) -> dict[str, dict]:
    results = {}
    for name, plan in plans.items():
        times, hits, per_query = [], [], {}
        for _ in range(REPEATS):
            for i, query in enumerate(plan):
                params = {k: v for k, v in query.items() if k != "q"}
                t = time.perf_counter()
                page = store.search(query["q"], limit=PAGE, **params)
                times.append((time.perf_counter() - t) * 1000)
                per_query.setdefault(f"{i}: {query['q']}", []).append(times[-1])
                hits.append(len(page.hits))
        results[name] = {"queries": len(plan), "runs": len(times), "p50_ms": round(percentile(times, 50), 2),
                         "p95_ms": round(percentile(times, 95), 2), "max_ms": round(max(times), 2),
                         "mean_hits": round(statistics.mean(hits), 1),
                         "median_ms_per_query": {q: round(statistics.median(t), 2) for q, t in per_query.items()}}
    return results


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "floorcast_bench_" + secrets.token_hex(4)
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                          "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def opened(engine: str, pg_url: str | None) -> Iterator[tuple[Store, dict]]:
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="floorcast-bench-") as tmp:
            store = Store.open(None, Path(tmp))
            try:
                yield store, {"path": str(Path(tmp) / "floorcast.db")}
            finally:
                store.close()
        return
    if not pg_url:
        raise SystemExit("PostgreSQL: pass --pg-url or set FLOORCAST_TEST_DATABASE_URL (bash .ci/start_postgres.sh)")
    with postgres_database(pg_url) as url:
        store = Store.open(url, Path(tempfile.gettempdir()))
        try:
            yield store, {}
        finally:
            store.close()


def after_load(store: Store, info: dict) -> None:
    from sqlalchemy import text

    if store.dialect == "postgresql":
        with store._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            info["database_mb"] = round(conn.execute(text("SELECT pg_database_size(current_database())"))
                                        .scalar() / 2**20)
    else:
        info["database_mb"] = round(sum(p.stat().st_size for p in Path(info["path"]).parent.iterdir()) / 2**20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=1000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("FLOORCAST_TEST_DATABASE_URL"))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "store_search.json"))
    args = parser.parse_args()
    console = Console(width=150)
    rng = random.Random(11)
    sessions, batches = corpus(args.hours)
    plans = queries(word_lists(batches, rng), sessions, rng)
    report = {"hours": args.hours, "sessions": len(sessions), "page": PAGE, "goal_p95_ms": GOAL_P95_MS,
              "engines": {}, "words": {name: plan[0]["q"] for name, plan in plans.items()}}
    for engine in args.engines.split(","):
        with opened(engine, args.pg_url) as (store, info):
            console.print(f"[bold]{engine}[/]: loading {sum(len(b) for b in batches):,} segments ...")
            info.update(load(store, sessions, batches))
            after_load(store, info)
            info.pop("path", None)
            console.print(info)
            report["engines"][engine] = {"load": info, "search": measure(store, plans)}
    show(console, report)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def show(console: Console, report: dict) -> None:
    engines = list(report["engines"])
    table = Table(title=f"store search, {report['hours']:g} h of captions, first page of {report['page']} "
                        f"(goal p95 ≤ {report['goal_p95_ms']:g} ms)")
    table.add_column("query")
    for engine in engines:
        table.add_column(f"{engine} p50 ms", justify="right")
        table.add_column(f"{engine} p95 ms", justify="right")
        table.add_column("hits", justify="right")
    names = list(next(iter(report["engines"].values()))["search"]) if engines else []
    for name in names:
        cells = []
        for engine in engines:
            r = report["engines"][engine]["search"][name]
            style = "red" if r["p95_ms"] > report["goal_p95_ms"] else ""
            cells += [f"{r['p50_ms']:.1f}", f"[{style}]{r['p95_ms']:.1f}[/]" if style else f"{r['p95_ms']:.1f}",
                      f"{r['mean_hits']:g}"]
        table.add_row(name, *cells)
    console.print(table)
    for engine in engines:
        load_info = report["engines"][engine]["load"]
        console.print(f"{engine}: {load_info['rows']:,} rows loaded at {load_info['segments_per_s']:,} segments/s "
                      f"({load_info['rows_per_s']:,} rows/s, batch commit p50 {load_info['batch_commit_p50_ms']} ms), "
                      f"database {load_info['database_mb']} MB")


if __name__ == "__main__":
    main()
