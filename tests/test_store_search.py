"""Captions store search, issue 3: every language, Chinese substrings, phrases, prefixes, filters,
cursor pages, escaped snippets, and hostile queries; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from captions_store.records import SegmentIn, SessionRecord, TranslationIn
from captions_store.store import NotFound, QueryError, Store
from store_support import backend, module_database, store  # noqa: F401  (fixtures)

OLD, MID, NEW = "plenary-2024-01", "council-2024-06", "budget-2025-02"
STARTS = {OLD: datetime(2024, 1, 10, 10, tzinfo=timezone.utc), MID: datetime(2024, 6, 3, 15, tzinfo=timezone.utc),
          NEW: datetime(2025, 2, 17, 9, tzinfo=timezone.utc)}
BUDGET_LINES = 23


def _segment(session_id: str, n: int, lang: str, text: str) -> SegmentIn:
    return SegmentIn(id=f"{session_id}.floor.{n}", session_id=session_id, seq=n, channel="floor", start_s=float(n),
                     end_s=n + 0.9, lang=lang, text=text)


@pytest.fixture(scope="module")
def corpus(store: Store) -> Store:
    for session_id, started in STARTS.items():
        store.create_session(SessionRecord(id=session_id, title=f"Meeting {session_id}", started_at=started,
                                           status="ended"))
    old = [_segment(OLD, 1, "en", "The General Assembly adopted the resolution on climate change."),
           _segment(OLD, 2, "en", "Delegations welcomed the resolutions on oceans."),
           _segment(OLD, 3, "en", "<script>alert('x')</script> & the quorum was confirmed by the Secretariat.")]
    store.write_batch(old, [
        TranslationIn(segment_id=old[0].id, lang="fr", engine="argos",
                      text="L'Assemblée générale a adopté la résolution sur les changements climatiques."),
        TranslationIn(segment_id=old[0].id, lang="zh", engine="argos", text="大会通过了关于气候变化的决议。")])
    mid = [_segment(MID, 1, "ru", "Совет Безопасности принял резолюцию о миротворческих операциях."),
           _segment(MID, 2, "ar", "اعتمد مجلس الأمن القرار المتعلق بعمليات حفظ السلام."),
           _segment(MID, 3, "zh", "联合国气候变化大会将在明年举行。"),
           _segment(MID, 4, "fr", "La délégation française soutient la résolution."),
           _segment(MID, 5, "de", "Die Generalversammlung tagt heute im Plenarsaal."),
           _segment(MID, 6, "pt", "A Assembleia Geral reúne-se hoje no plenário.")]
    store.write_batch(mid, [])
    budget = [_segment(NEW, n, "en", f"Item {n}: the budget for peacekeeping operations, part {n}.")
              for n in range(1, BUDGET_LINES + 1)]
    store.write_batch(budget, [TranslationIn(segment_id=s.id, lang="es", engine="argos",
                                             text=f"Tema {i}: el presupuesto de las operaciones, parte {i}.")
                               for i, s in enumerate(budget[:5], start=1)])
    return store


def _ids(page) -> list[tuple[str, str]]:
    return [(hit.segment_id, hit.lang) for hit in page.hits]


@pytest.mark.parametrize("q, lang, expected", [
    ("climate", None, {(f"{OLD}.floor.1", "en"), (f"{OLD}.floor.1", "fr")}),  # "climatiques" has the same stem
    ("resolution", "en", {(f"{OLD}.floor.1", "en"), (f"{OLD}.floor.2", "en")}),  # and "resolutions": stems
    ("résolution", "fr", {(f"{OLD}.floor.1", "fr"), (f"{MID}.floor.4", "fr")}),  # a translation, a French segment
    ("resolution", "fr", {(f"{OLD}.floor.1", "fr"), (f"{MID}.floor.4", "fr")}),  # accents are optional
    ("резолюцию", None, {(f"{MID}.floor.1", "ru")}),
    ("Резолюция", "ru", {(f"{MID}.floor.1", "ru")}),  # another case of the same Russian word
    ("مجلس", None, {(f"{MID}.floor.2", "ar")}),
    ("气候", None, {(f"{MID}.floor.3", "zh"), (f"{OLD}.floor.1", "zh")}),  # two characters inside longer runs
    ("候变", "zh", {(f"{MID}.floor.3", "zh"), (f"{OLD}.floor.1", "zh")}),
    ("联合国气候", None, {(f"{MID}.floor.3", "zh")}),
    ("大会举行", None, set()),  # the four characters are there, but not side by side
    ('"climate change"', None, {(f"{OLD}.floor.1", "en")}),
    ('"change climate"', "en", set()),
    ("clim*", "en", {(f"{OLD}.floor.1", "en")}),
    ("peacekeep* part 7", None, {(f"{NEW}.floor.7", "en")}),
    ("presupuesto", "es", {(f"{NEW}.floor.{n}", "es") for n in range(1, 6)}),
    ("plenarsaal", "de", {(f"{MID}.floor.5", "de")}),  # languages without an index of their own
    ("plenarsaal", "pt", set()),
    ("plenario reune", "pt", {(f"{MID}.floor.6", "pt")}),
])
def test_search_finds_words_in_every_language(corpus, q, lang, expected):
    page = corpus.search(q, lang=lang, limit=50)
    assert set(_ids(page)) == expected
    assert page.next_cursor is None


def test_hits_carry_the_session_and_newest_come_first(corpus):
    hits = corpus.search("resolution", limit=50).hits
    assert {h.session_id for h in hits} == {OLD, MID}
    assert hits[0].session_id == MID and hits[-1].session_id == OLD  # later meeting first
    assert hits[0].session_title == f"Meeting {MID}" and hits[0].session_started_at == STARTS[MID]
    in_old = [h for h in hits if h.session_id == OLD]
    assert [h.segment_id for h in in_old if h.lang == "en"] == [f"{OLD}.floor.2", f"{OLD}.floor.1"]


def test_filters_by_language_session_and_dates(corpus):
    assert {h.lang for h in corpus.search("resolution", lang="fr").hits} == {"fr"}
    assert {h.session_id for h in corpus.search("resolution", session_id=OLD).hits} == {OLD}
    june = corpus.search("resolution", date_from=datetime(2024, 5, 1), date_to=datetime(2024, 7, 1, tzinfo=timezone.utc))
    assert {h.session_id for h in june.hits} == {MID}
    assert {h.session_id for h in corpus.search("resolution", date_from=STARTS[MID]).hits} == {MID}
    assert {h.session_id for h in corpus.search("resolution", date_to=STARTS[MID]).hits} == {OLD, MID}
    assert corpus.search("budget", date_to=datetime(2024, 12, 31, tzinfo=timezone.utc)).hits == ()
    with pytest.raises(QueryError):
        corpus.search("budget", date_from=STARTS[NEW], date_to=STARTS[OLD])
    with pytest.raises(NotFound):
        corpus.search("budget", session_id="no-such-session")


def test_cursor_pages_cover_every_hit_once(corpus):
    everything = _ids(corpus.search("budget", limit=200))
    assert len(everything) == BUDGET_LINES
    seen, cursor, pages = [], None, 0
    while True:
        page = corpus.search("budget", limit=7, cursor=cursor)
        seen += _ids(page)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == everything and len(set(seen)) == len(seen) and pages == 4
    assert [int(s.rsplit(".", 1)[1]) for s, _ in seen] == list(range(BUDGET_LINES, 0, -1))


def test_snippets_are_escaped_and_marked(corpus):
    [hit] = corpus.search("quorum").hits
    assert hit.snippet == ("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; the <mark>quorum</mark> "
                           "was confirmed by the Secretariat.")
    assert hit.text.startswith("<script>")
    [hit] = corpus.search('"climate change"', lang="en").hits
    assert "<mark>climate change</mark>" in hit.snippet
    [hit] = corpus.search("联合国气候").hits
    assert hit.snippet == "<mark>联合国气候</mark>变化大会将在明年举行。"
    [hit] = corpus.search("peacekeep* 12", lang="en").hits
    assert "<mark>peacekeeping</mark>" in hit.snippet and "<mark>12</mark>" in hit.snippet


HOSTILE = ['"', '""', '"unclosed phrase', "NEAR(", "NEAR(budget operations, 2)", "*", "**", "budget*)", ")(",
           "AND OR NOT", "NOT budget", "budget OR 1=1", "'; DROP TABLE segments; --", "\\", "a:b", "col:budget",
           "^budget", "budget -operations", "{budget}", "$1", "%", "_", "budget & | ! <-> :*", "'", "''", "\x00",
           "budget\x00operations", "\x1b[31mbudget", "\ud800", "budget \udfff", "\u200b\u200e", "🏛️ budget", "a" * 256,
           "x" * 257, "b" * 10_000, "a*", "        ", "\n\t", "0", "-1", "null", "undefined", "%s %s %s",
           "budget" + " budget" * 40, " ".join(f"w{i}" for i in range(20))]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_give_results_or_query_error(corpus, q):
    try:
        page = corpus.search(q)
    except QueryError:
        return
    assert len(page.hits) <= 20 and all(hit.snippet and hit.text for hit in page.hits)


def test_queries_over_256_characters_and_bad_paging_are_refused(corpus):
    for q in ("x" * 257, "b" * 10_000, "", "   ", '"" ")("'):
        with pytest.raises(QueryError):
            corpus.search(q)
    for bad in ("", "not-a-cursor", "ZDE6", "!!", "x" * 100):
        with pytest.raises(QueryError):
            corpus.search("budget", cursor=bad)
    for limit in (0, -1, 10_000):
        with pytest.raises(QueryError):
            corpus.search("budget", limit=limit)
