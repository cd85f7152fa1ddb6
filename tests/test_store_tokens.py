"""Access tokens and join codes in the captions store, on SQLite and PostgreSQL: hashed, revocable, expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from captions_store.engine import make_engine, migrate
from captions_store.records import SegmentIn, SessionRecord
from captions_store.store import InvalidInput, NotFound, Store
from captions_store.tokens_store import JOIN_CODE_ALPHABET, join_code_matches, new_join_code, normalise_join_code
from store_support import backend, empty_database, module_database, store  # noqa: F401  (fixtures)


def new_session(store: Store, **fields) -> str:
    session_id = "s" + secrets.token_hex(5)
    store.create_session(SessionRecord(id=session_id, title="Plenary", **fields))
    return session_id


def test_a_token_is_found_by_its_secret_and_only_a_digest_of_it_is_stored(store, module_database):
    session_id = new_session(store)
    issued = store.create_token(role="viewer", session_id=session_id, label="hall screen")
    assert issued.token.startswith(f"fc_{issued.record.id}_") and issued.token not in repr(issued)
    found = store.token_for(issued.token)
    assert found is not None and (found.id, found.role, found.session_id) == (issued.record.id, "viewer", session_id)
    secret = issued.token.split("_", 2)[2]
    assert store.token_for(issued.token[:-2] + ("AA" if issued.token[-2:] != "AA" else "BB")) is None
    assert store.token_for(f"fc_{secrets.token_hex(6)}_{secret}") is None  # the secret of another id
    assert store.token_for("not a token") is None

    engine = make_engine(module_database.url, module_database.data_dir)  # what a copy of the database shows
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM access_tokens WHERE id = :id"), {"id": issued.record.id}).one()
    finally:
        engine.dispose()
    stored = " ".join(str(value) for value in row)
    assert secret not in stored and issued.token not in stored
    assert row._mapping["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()


def test_revoking_is_idempotent_and_keeps_the_token_listed(store):
    issued = store.create_token(role="staff", label="editor")
    first = store.revoke_token(issued.record.id)
    again = store.revoke_token(issued.record.id)
    assert first.revoked_at is not None and again.revoked_at == first.revoked_at
    now = datetime.now(timezone.utc)
    assert store.token_for(issued.token).state(now) == "revoked"
    listed = {t.id: t for t in store.list_tokens()}
    assert listed[issued.record.id].state(now) == "revoked"
    with pytest.raises(NotFound):
        store.revoke_token("000000000000")


def test_a_token_expires(store):
    issued = store.create_token(role="captioner", expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    record = store.token_for(issued.token)
    assert record.state(datetime.now(timezone.utc)) == "active"
    assert record.state(datetime.now(timezone.utc) + timedelta(hours=2)) == "expired"
    store.touch_token(record.id, datetime.now(timezone.utc))
    assert store.get_token(record.id).last_used_at is not None


@pytest.mark.parametrize("fields, error", [
    ({"role": "guest"}, InvalidInput), ({"role": "viewer"}, InvalidInput),
    ({"role": "staff", "session_id": "x"}, InvalidInput), ({"role": "admin", "session_id": "x"}, InvalidInput),
    ({"role": "viewer", "session_id": "no-such-session"}, NotFound),
    ({"role": "staff", "expires_at": datetime(2020, 1, 1, tzinfo=timezone.utc)}, InvalidInput),
    ({"role": "staff", "label": "x" * 201}, InvalidInput),
], ids=["unknown-role", "viewer-without-session", "staff-with-session", "admin-with-session", "unknown-session",
        "expired-already", "label-too-long"])
def test_tokens_the_store_refuses(store, fields, error):
    with pytest.raises(error):
        store.create_token(**fields)


def test_every_session_gets_its_own_join_code_and_its_public_flag(store):
    first, second = new_session(store), new_session(store, public=True)
    codes = {store.get_session(first).join_code, store.get_session(second).join_code}
    assert len(codes) == 2 and all(len(c) == 8 and set(c) <= set(JOIN_CODE_ALPHABET) for c in codes)
    access = store.session_access(second)
    assert access.public and access.join_code == store.get_session(second).join_code
    assert not store.session_access(first).public
    assert access.join_code not in repr(access) and access.join_code not in repr(store.get_session(second))
    given = new_session(store, join_code="ABCD2345")
    assert store.session_access(given).join_code == "ABCD2345"
    with pytest.raises(NotFound):
        store.session_access("no-such-session")


def test_join_codes_are_compared_as_people_type_them():
    code = new_join_code()
    assert join_code_matches(code.lower(), code)
    assert join_code_matches(f"{code[:4]}-{code[4:]}", code) and join_code_matches(f" {code[:4]} {code[4:]} ", code)
    assert not join_code_matches(code[:-1], code) and not join_code_matches("", code)
    assert not join_code_matches(code, "")  # a session without a code admits nobody by code
    assert normalise_join_code("ab-cd ef") == "ABCDEF"


def test_the_migration_gives_recorded_sessions_a_join_code_and_keeps_them_private(empty_database):
    engine = make_engine(empty_database.url, empty_database.data_dir)
    try:
        migrate(engine, "0003")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sessions (id, title, room, status, started_at, languages, channels, "
                              "glossary, off_record, search_key) VALUES ('before', 'Before', '', 'ended', "
                              ":at, '[]', '[]', '[]', :no, 1)"), {"at": datetime.now(timezone.utc), "no": False})
        migrate(engine)
        store = Store(engine)
        access = store.session_access("before")
        assert not access.public and len(access.join_code) == 8
        store.create_token(role="viewer", session_id="before")
        store.write_batch([SegmentIn(id="before.floor.1", session_id="before", seq=1, channel="floor", start_s=0.0,
                                     end_s=1.0, lang="en", text="The meeting is called to order.")], [])
        migrate(engine, "0003", downgrade=True)  # and back: the sessions and their segments are kept
        with engine.connect() as conn:
            assert conn.execute(text("SELECT title FROM sessions WHERE id = 'before'")).scalar_one() == "Before"
            assert conn.execute(text("SELECT count(*) FROM segments WHERE session_id = 'before'")).scalar_one() == 1
    finally:
        engine.dispose()

