"""Access tokens and session join codes: the credentials the store keeps.

An access token reads ``fc_<id>_<secret>``: ``id`` (12 hex digits) names the
row, ``secret`` (32 random bytes, URL-safe base64) proves it. Only the
SHA-256 of the secret is stored, so a copy of the database grants nothing; the
whole token is shown once, when it is created.

A join code is 8 characters from an alphabet without look-alikes (no 0/O,
1/I/L), given to a session when it is created; viewers of a private session
may present it instead of a token. It is stored as it is, because the people
who run the session need to read it back to share it.

The functions here run inside the caller's transaction (see
:class:`captions_store.store.Store`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from captions_store.errors import InvalidInput, NotFound
from captions_store.records import IssuedToken, SessionAccess, TokenRecord
from captions_store.rows import token_record
from captions_store.tables import SessionRow, TokenRow
from captions_store.timeutil import to_utc, utc_now

__all__ = ["TOKEN_ROLES", "SCOPED_ROLES", "JOIN_CODE_ALPHABET", "JOIN_CODE_LENGTH", "new_join_code",
           "normalise_join_code", "join_code_matches", "secret_digest", "parse_token", "insert_token",
           "list_tokens", "get_token", "tokens_by_id", "revoke_token", "token_for", "touch_token", "session_access"]

TOKEN_ROLES = ("admin", "captioner", "staff", "viewer")
SCOPED_ROLES = ("captioner", "viewer")  # the roles a token may limit to one session
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8  # 31**8: about 40 bits, against a guesser limited to a few tries a minute
_TOKEN = re.compile(r"fc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_LABEL_MAX = 200
_tokens = TokenRow.__table__
_sessions = SessionRow.__table__


# -- pure helpers --------------------------------------------------------------------------
def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(presented: str) -> str:
    """What a person typed: case, spaces and dashes do not matter ("abcd-efgh" is "ABCDEFGH")."""
    return re.sub(r"[\s-]", "", presented).upper()[:64]


def join_code_matches(presented: str | None, join_code: str) -> bool:
    if not presented or not join_code:
        return False
    return hmac.compare_digest(normalise_join_code(presented).encode(), join_code.encode())


def secret_digest(secret: str) -> str:
    # A token's secret is 256 random bits, not a password a person chose: nobody can try enough
    # guesses against a single SHA-256 for a slow, salted hash (bcrypt, argon2) to add anything,
    # and a fast one keeps the check cheap on every request.
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(presented: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed token, else None."""
    match = _TOKEN.fullmatch(presented)
    return (match.group(1), match.group(2)) if match else None


# -- repository functions ------------------------------------------------------------------
def insert_token(conn: Connection, *, role: str, session_id: str | None, label: str,
                 expires_at: datetime | None) -> IssuedToken:
    if role not in TOKEN_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(TOKEN_ROLES)}, not {role!r}")
    if session_id is not None and role not in SCOPED_ROLES:
        raise InvalidInput(f"{role} tokens cover every session; only {' and '.join(SCOPED_ROLES)} tokens take one")
    if session_id is None and role == "viewer":
        raise InvalidInput("a viewer token is for one session: give its id")
    if len(label) > _LABEL_MAX:
        raise InvalidInput(f"label over {_LABEL_MAX} characters")
    now = utc_now()
    expires_at = to_utc(expires_at)
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expires_at is in the past")
    if session_id is not None and conn.execute(
            select(_sessions.c.id).where(_sessions.c.id == session_id)).first() is None:
        raise NotFound(f"no session {session_id!r}")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    conn.execute(insert(_tokens).values(id=token_id, secret_sha256=secret_digest(secret), role=role,
                                        session_id=session_id, label=label, created_at=now, expires_at=expires_at))
    record = TokenRecord(id=token_id, role=role, session_id=session_id, label=label, created_at=now,
                         expires_at=expires_at)
    return IssuedToken(record=record, token=f"fc_{token_id}_{secret}")


def list_tokens(conn: Connection, *, limit: int, offset: int) -> list[TokenRecord]:
    query = select(_tokens).order_by(_tokens.c.created_at.desc(), _tokens.c.id)
    return [token_record(row) for row in conn.execute(query.limit(max(0, limit)).offset(max(0, offset)))]


def get_token(conn: Connection, token_id: str) -> TokenRecord:
    row = conn.execute(select(_tokens).where(_tokens.c.id == token_id)).first()
    if row is None:
        raise NotFound(f"no token {token_id!r}")
    return token_record(row)


def tokens_by_id(conn: Connection, token_ids: list[str]) -> dict[str, TokenRecord]:
    """The stored tokens of these ids (a deleted or unknown id is absent)."""
    if not token_ids:
        return {}
    rows = conn.execute(select(_tokens).where(_tokens.c.id.in_(sorted(set(token_ids)))))
    return {record.id: record for record in map(token_record, rows)}


def revoke_token(conn: Connection, token_id: str) -> TokenRecord:
    """Idempotent: a token revoked twice keeps its first ``revoked_at``."""
    record = get_token(conn, token_id)
    if record.revoked_at is not None:
        return record
    now = utc_now()
    conn.execute(update(_tokens).where(_tokens.c.id == token_id).values(revoked_at=now))
    return replace(record, revoked_at=now)


def token_for(conn: Connection, presented: str) -> TokenRecord | None:
    """The token these characters are, whatever its state (expired, revoked); None if they are none."""
    parsed = parse_token(presented)
    if parsed is None:
        return None
    token_id, secret = parsed
    row = conn.execute(select(_tokens).where(_tokens.c.id == token_id)).first()
    if row is None or not hmac.compare_digest(row._mapping["secret_sha256"], secret_digest(secret)):
        return None
    return token_record(row)


def touch_token(conn: Connection, token_id: str, at: datetime) -> None:
    conn.execute(update(_tokens).where(_tokens.c.id == token_id).values(last_used_at=to_utc(at)))


def session_access(conn: Connection, session_id: str) -> SessionAccess:
    row = conn.execute(select(_sessions.c.id, _sessions.c.public, _sessions.c.join_code)
                       .where(_sessions.c.id == session_id)).first()
    if row is None:
        raise NotFound(f"no session {session_id!r}")
    return SessionAccess(session_id=row.id, public=bool(row.public), join_code=row.join_code or "")
