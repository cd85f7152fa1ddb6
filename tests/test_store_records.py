"""Captions store, issue 3: the record survives, round-trips, is idempotent, keeps edits; on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, inspect

from captions_store.engine import make_engine, migrate
from captions_store.records import SegmentIn, SessionRecord, TranslationIn
from captions_store.store import Conflict, InvalidInput, NotFound, Store
from store_support import backend, empty_database, module_database, store  # noqa: F401  (fixtures)

WORDS = ({"word": "Mr.", "start": 0.0, "end": 0.3, "probability": 0.91},
         {"word": "President,", "start": 0.3, "end": 0.9, "probability": 0.88})
TEXTS = {"en": "Mr. President, the Assembly will now vote.",
         "ar": "السيد الرئيس، ستصوّت الجمعية العامة الآن على مشروع القرار.",
         "zh": "主席先生，大会现在就决议草案进行表决。",
         "ru": "Господин Председатель, Ассамблея сейчас проголосует по проекту резолюции."}


def new_session(store: Store, **fields) -> str:
    session_id = "s" + secrets.token_hex(5)
    store.create_session(SessionRecord(id=session_id, title=fields.pop("title", "Plenary"), room="Hall A",
                                       languages=("en", "fr", "ar", "zh", "ru", "es"),
                                       channels=({"name": "floor", "language": None},), **fields))
    return session_id


def segment(session_id: str, n: int, text: str, lang: str = "en", **fields) -> SegmentIn:
    return SegmentIn(id=f"{session_id}.floor.{n}", session_id=session_id, seq=n, channel=fields.pop("channel", "floor"),
                     start_s=n * 2.0, end_s=n * 2.0 + 1.5, lang=lang, text=text, **fields)


def test_migrations_create_the_schema_from_empty_and_downgrade_to_nothing(empty_database):
    engine = make_engine(empty_database.url, empty_database.data_dir)
    try:
        migrate(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"sessions", "segments", "translations", "revisions", "search_docs", "alembic_version"} <= tables
        migrate(engine)  # at head already: nothing to do
        migrate(engine, "base", downgrade=True)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)  # and up again
        assert "search_docs" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _search_docs_kind(engine) -> str:
    """PostgreSQL's relkind of search_docs: "r" a table, "p" a partitioned one."""
    if engine.dialect.name != "postgresql":
        return "sqlite"
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT relkind FROM pg_class WHERE relname = 'search_docs'").scalar()


def test_search_survives_the_partitioning_migration_both_ways(empty_database):
    """0003 moves PostgreSQL's search_docs into a partition per language and back, with the rows in it."""
    engine = make_engine(empty_database.url, empty_database.data_dir)
    try:
        migrate(engine)
        store = Store(engine)
        session_id = new_session(store)
        store.write_batch([segment(session_id, 1, "The Trusteeship Council met.", "en"),
                           segment(session_id, 2, "Совет по Опеке собрался.", "ru")],
                          [TranslationIn(segment_id=f"{session_id}.floor.1", lang="fr", engine="argos",
                                         text="Le Conseil de tutelle s'est réuni.")])
        expected = {(f"{session_id}.floor.1", "en"), (f"{session_id}.floor.1", "fr"), (f"{session_id}.floor.2", "ru")}

        def found() -> set[tuple[str, str]]:
            return {(h.segment_id, h.lang) for q in ("trusteeship", "tutelle", "опеке") for h in store.search(q).hits}

        assert found() == expected and _search_docs_kind(engine) in ("p", "sqlite")
        migrate(engine, "0002", downgrade=True)
        assert found() == expected and _search_docs_kind(engine) in ("r", "sqlite")
        migrate(engine)
        assert found() == expected and _search_docs_kind(engine) in ("p", "sqlite")
    finally:
        engine.dispose()


def test_sqlite_file_is_in_wal_mode_with_foreign_keys(tmp_path):
    opened = Store.open(None, tmp_path)
    opened.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'floorcast.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
    opened = Store.open(None, tmp_path)
    with opened._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    opened.close()


def test_segments_round_trip_with_words_and_unicode(store):
    session_id = new_session(store)
    segments = [segment(session_id, i + 1, text, lang, words=WORDS if lang == "en" else (), speaker="Chair")
                for i, (lang, text) in enumerate(TEXTS.items())]
    store.write_batch(segments, [TranslationIn(segment_id=segments[0].id, lang="fr", engine="argos",
                                               model_version="1.9", text="Monsieur le Président, l'Assemblée va voter.")])
    got = store.get_segment(segments[0].id)
    assert got.text == TEXTS["en"] and got.words == WORDS and got.speaker == "Chair" and got.revision == 0
    assert got.translations["fr"].text.startswith("Monsieur") and got.translations["fr"].model_version == "1.9"
    assert got.created_at.tzinfo is not None
    for original in segments[1:]:
        assert store.get_segment(original.id).text == original.text
    after = store.segments_after(session_id, 1)
    assert [s.lang for s in after] == ["ar", "zh", "ru"]
    assert store.get_session(session_id).segment_count == 4


def test_writes_are_idempotent(store):
    session_id = new_session(store)
    first = segment(session_id, 1, "The meeting is called to order.")
    translation = TranslationIn(segment_id=first.id, lang="fr", text="La séance est ouverte.", engine="argos")
    store.write_batch([first], [translation])
    store.write_batch([first, first], [translation, translation])
    store.write_batch([segment(session_id, 1, "a different text for the same id")],
                      [TranslationIn(segment_id=first.id, lang="fr", text="La séance est ouverte à 10 h.",
                                     engine="argos")])
    got = store.get_segment(first.id)
    assert got.text == "The meeting is called to order."  # a segment is written once
    assert got.translations["fr"].text == "La séance est ouverte à 10 h."  # a translation is replaced
    assert store.get_session(session_id).segment_count == 1
    assert len(store.search("ouverte", session_id=session_id).hits) == 1


def test_sessions_crud_and_interrupted_at_start_up(store):
    started = datetime(2025, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    session_id = new_session(store, started_at=started)
    got = store.get_session(session_id)
    assert got.started_at == started and got.status == "live" and got.channels[0]["name"] == "floor"
    with pytest.raises(Conflict):
        store.create_session(SessionRecord(id=session_id, title="again"))
    ended = store.update_session(session_id, status="ended", ended_at=started + timedelta(hours=2), title="Closing")
    assert (ended.status, ended.title, ended.ended_at) == ("ended", "Closing", started + timedelta(hours=2))
    live = new_session(store)
    assert live in store.mark_interrupted() and session_id not in store.mark_interrupted()
    assert store.get_session(live).status == "interrupted"
    assert session_id in [s.id for s in store.list_sessions(limit=500, status="ended")]
    with pytest.raises(NotFound):
        store.get_session("no-such-session")
    with pytest.raises(NotFound):
        store.update_session("no-such-session", title="x")
    with pytest.raises(InvalidInput):
        store.update_session(session_id, status="paused")


@pytest.mark.parametrize("languages", [None, (), ("fr", "ar")], ids=["default", "none", "two"])
def test_a_session_keeps_the_languages_it_is_translated_into(store, languages):
    """A revived session is rebuilt from this record: None (all six) and () (no translation) must differ."""
    session_id = new_session(store, translation_languages=languages)
    assert store.get_session(session_id).translation_languages == languages
    assert {s.id: s.translation_languages for s in store.list_sessions(limit=500)}[session_id] == languages


def test_unknown_ids_are_not_found(store):
    with pytest.raises(NotFound):
        store.write_batch([segment("no-such-session", 1, "text")], [])
    with pytest.raises(NotFound):
        store.write_batch([], [TranslationIn(segment_id="nope.floor.1", lang="fr", text="x", engine="argos")])
    for call in (store.get_segment, store.revisions, store.stale_translations):
        with pytest.raises(NotFound):
            call("nope.floor.1")
    with pytest.raises(NotFound):
        store.transcript("no-such-session")


def test_transcript_per_language_flags_translations(store):
    session_id = new_session(store)
    spoken_en = segment(session_id, 1, "We thank the Secretary-General.", "en", words=WORDS)
    spoken_fr = segment(session_id, 2, "Je donne la parole au représentant du Mexique.", "fr")
    spoken_zh = segment(session_id, 3, TEXTS["zh"], "zh", channel="booth-zh")
    store.write_batch([spoken_en, spoken_fr, spoken_zh],
                      [TranslationIn(segment_id=spoken_en.id, lang="fr", engine="argos",
                                     text="Nous remercions le Secrétaire général.")])
    as_spoken = store.transcript(session_id)
    assert [line.text for line in as_spoken.lines] == [spoken_en.text, spoken_fr.text, spoken_zh.text]
    assert as_spoken.lines[0].words == WORDS and not any(line.translated for line in as_spoken.lines)
    french = store.transcript(session_id, lang="fr").lines
    assert (french[0].text, french[0].translated, french[0].available, french[0].lang) == (
        "Nous remercions le Secrétaire général.", True, True, "fr")
    assert (french[1].text, french[1].translated, french[1].available) == (spoken_fr.text, False, True)
    assert (french[2].text, french[2].available, french[2].lang, french[2].source_lang) == (
        spoken_zh.text, False, "zh", "zh")
    assert [line.segment_id for line in store.transcript(session_id, channels=["booth-zh"]).lines] == [spoken_zh.id]


def test_edit_keeps_history_makes_translations_stale_and_reindexes(store):
    session_id = new_session(store)
    original = segment(session_id, 1, "The delegate of Peru has the floor.", speaker="Chair", words=WORDS)
    store.write_batch([original], [
        TranslationIn(segment_id=original.id, lang="fr", text="Le délégué du Pérou a la parole.", engine="argos"),
        TranslationIn(segment_id=original.id, lang="es", text="El delegado del Perú tiene la palabra.",
                      engine="argos")])
    edited = store.edit_segment(original.id, editor="editor@un", text="The delegate of Chile has the floor.",
                                speaker="President")
    assert (edited.revision, edited.text, edited.speaker, edited.words) == (
        1, "The delegate of Chile has the floor.", "President", ())
    [revision] = store.revisions(original.id)
    assert (revision.number, revision.editor, revision.text_before, revision.text_after,
            revision.speaker_before, revision.speaker_after) == (
        1, "editor@un", original.text, edited.text, "Chair", "President")
    assert store.stale_translations(original.id) == ["es", "fr"]
    french = store.transcript(session_id, lang="fr").lines[0]
    assert (french.text, french.available, french.translated, french.revision) == (edited.text, False, False, 1)
    assert store.search("Chile", session_id=session_id).hits[0].segment_id == original.id
    assert store.search("Peru", session_id=session_id).hits == ()
    assert store.search("Pérou", session_id=session_id).hits == ()  # a stale translation is not found either
    store.write_batch([], [TranslationIn(segment_id=original.id, lang="fr", engine="argos", source_revision=1,
                                         text="Le délégué du Chili a la parole.")])
    assert store.stale_translations(original.id) == ["es"]
    assert store.transcript(session_id, lang="fr").lines[0].text == "Le délégué du Chili a la parole."
    assert store.search("Chili", lang="fr", session_id=session_id).hits[0].lang == "fr"
    # A late translation of revision 0 does not replace the current one.
    store.write_batch([], [TranslationIn(segment_id=original.id, lang="fr", engine="argos", source_revision=0,
                                         text="Le délégué du Pérou a la parole.")])
    assert store.get_segment(original.id).translations["fr"].source_revision == 1
    store.edit_segment(original.id, editor="editor@un", speaker="")
    assert store.get_segment(original.id).speaker is None and len(store.revisions(original.id)) == 2
    with pytest.raises(InvalidInput):
        store.edit_segment(original.id, editor="editor@un", text="   ")


def test_delete_session_removes_everything(store):
    session_id = new_session(store)
    kept_id = new_session(store)
    doomed = segment(session_id, 1, "Zanzibar archipelago statement")
    store.write_batch([doomed, segment(kept_id, 1, "Zanzibar ferry statement")],
                      [TranslationIn(segment_id=doomed.id, lang="fr", text="Déclaration archipel Zanzibar",
                                     engine="argos")])
    store.edit_segment(doomed.id, editor="e", speaker="Delegate of Tanzania")  # a revision to delete too
    assert store.stale_translations(doomed.id) == []  # the words did not change
    assert len(store.search("zanzibar").hits) >= 3
    store.delete_session(session_id)
    with pytest.raises(NotFound):
        store.get_session(session_id)
    with pytest.raises(NotFound):
        store.get_segment(doomed.id)
    assert {h.session_id for h in store.search("zanzibar").hits} == {kept_id}
    assert store.search("archipel").hits == ()
    with pytest.raises(NotFound):
        store.delete_session(session_id)


def test_reopening_keeps_the_record(module_database):
    first = Store.open(module_database.url, module_database.data_dir)
    session_id = new_session(first)
    first.write_batch([segment(session_id, 1, "Persisted across restarts")], [])
    first.close()
    second = Store.open(module_database.url, module_database.data_dir)
    try:
        assert second.get_segment(f"{session_id}.floor.1").text == "Persisted across restarts"
    finally:
        second.close()


def test_a_commit_survives_kill_9(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    writer = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
from pathlib import Path
from captions_store.records import SegmentIn, SessionRecord
from captions_store.store import Store
store = Store.open(None, Path({str(tmp_path)!r}))
store.create_session(SessionRecord(id="killed", title="Killed"))
store.write_batch([SegmentIn(id="killed.floor.1", session_id="killed", seq=1, channel="floor", start_s=0, end_s=1,
                             lang="en", text="Committed before the crash")], [])
print("committed", flush=True)
time.sleep(60)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "committed"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    reopened = Store.open(None, tmp_path)
    try:
        assert reopened.get_segment("killed.floor.1").text == "Committed before the crash"
        assert reopened.search("crash").hits[0].segment_id == "killed.floor.1"
        assert reopened.mark_interrupted() == ["killed"]
    finally:
        reopened.close()


def test_threads_write_and_read_at_once(store):
    import threading

    session_id = new_session(store)
    errors: list[BaseException] = []

    def write(first: int) -> None:
        try:
            for n in range(first, first + 40, 2):
                store.write_batch([segment(session_id, n, f"Concurrent statement number {n}")], [])
        except BaseException as exc:  # reported below
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(20):
                store.search("concurrent statement", session_id=session_id)
                store.transcript(session_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(1,)), threading.Thread(target=write, args=(2,)),
               threading.Thread(target=read), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [line.segment_id for line in store.transcript(session_id).lines] == \
        [f"{session_id}.floor.{n}" for n in range(1, 41)]
    assert len(store.search("concurrent", session_id=session_id, limit=100).hits) == 40


def test_sessions_started_in_the_same_second_from_several_threads(store):
    import threading

    started = datetime(2025, 9, 1, 10, 0, tzinfo=timezone.utc)
    ids = [f"room{n}-{secrets.token_hex(3)}" for n in range(6)]
    errors: list[BaseException] = []

    def create(session_id: str) -> None:
        try:
            store.create_session(SessionRecord(id=session_id, title=session_id, started_at=started))
            store.write_batch([segment(session_id, 1, f"Opening of {session_id}")], [])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(session_id,)) for session_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for session_id in ids:
        assert store.get_session(session_id).started_at == started
        assert [h.session_id for h in store.search("opening", session_id=session_id).hits] == [session_id]
