"""Ids of search documents, which are also the order of search results, and the search cursor.

A search document's id packs, from high bits to low::

    search_key (32 bits)  the session's start, seconds since 1970 (bumped to stay unique)
    seq        (26 bits)  the segment's seq in the session
    slot       (5 bits)   0 for the segment as spoken, 1..31 for its translations

so "newest first" is ``ORDER BY id DESC`` (latest session, latest segment),
one session's documents are one id range, a range of start dates is one id
range, and the cursor of the next page is just the last id seen. Both
engines answer these with their primary key / rowid.
"""

from __future__ import annotations

import base64
import binascii

from captions_store.errors import InvalidInput, QueryError

__all__ = ["doc_id", "session_range", "key_range", "MAX_SEQ", "MAX_SLOT", "MAX_SEARCH_KEY",
           "encode_cursor", "decode_cursor", "slot_of"]

_SEQ_BITS = 26
_SLOT_BITS = 5
_LOW_BITS = _SEQ_BITS + _SLOT_BITS
MAX_SEQ = (1 << _SEQ_BITS) - 1
MAX_SLOT = (1 << _SLOT_BITS) - 1
MAX_SEARCH_KEY = (1 << 32) - 1
_CURSOR_PREFIX = "d1:"


def doc_id(search_key: int, seq: int, slot: int) -> int:
    if not 0 <= seq <= MAX_SEQ:
        raise InvalidInput(f"seq {seq} is outside 0..{MAX_SEQ}")
    if not 0 <= slot <= MAX_SLOT:
        raise InvalidInput(f"a segment has at most {MAX_SLOT} translations")
    return (search_key << _LOW_BITS) | (seq << _SLOT_BITS) | slot


def slot_of(doc: int) -> int:
    return doc & MAX_SLOT


def key_range(first_key: int, last_key: int) -> tuple[int, int]:
    """Every document id of the sessions whose search keys are in ``first_key..last_key``."""
    return first_key << _LOW_BITS, ((last_key + 1) << _LOW_BITS) - 1


def session_range(search_key: int) -> tuple[int, int]:
    return key_range(search_key, search_key)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id below which the next page starts; QueryError for anything this module did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise QueryError("invalid cursor") from exc
    if len(cursor) > 64 or not raw.startswith(_CURSOR_PREFIX) or not raw[len(_CURSOR_PREFIX):].isdigit():
        raise QueryError("invalid cursor")
    return int(raw[len(_CURSOR_PREFIX):])
