"""A session as the API describes it (:class:`SessionCreate`) and as the store keeps it (:class:`SessionRecord`),
and the defaults both share.

The one place that says "no ``translation_languages``: the six UN languages",
"no ``allowed_languages``: the languages the model supports of the six", how
a stored session is revived as a spec, and how an ended one is shown.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Mapping, Sequence

from captions_store.records import SessionRecord
from service.protocol import ChannelPublic, ChannelSpec, GlossaryEntry, SessionCreate, SessionPublic
from service.settings import UN_LANGUAGES

__all__ = ["translation_languages", "translation_targets", "allowed_languages", "glossary_map", "booth_languages",
           "offered_languages", "spec_from_record", "record_from_spec", "stored_public"]


def translation_languages(configured: Sequence[str] | None) -> list[str]:
    """Languages a floor final is translated into: the six UN languages unless the session says otherwise."""
    return list(UN_LANGUAGES if configured is None else configured)


def translation_targets(languages: Sequence[str], source_lang: str) -> tuple[str, ...]:
    return tuple(lang for lang in languages if lang != source_lang)


def allowed_languages(configured: Sequence[str] | None, default: Iterable[str]) -> list[str]:
    """Languages the floor may speak: as configured, or every default one (sorted), without repeats."""
    return list(dict.fromkeys(configured or sorted(default)))


def glossary_map(entries: Iterable[GlossaryEntry | Mapping]) -> dict[str, dict[str, str]] | None:
    """``{term: {lang: rendering}}`` for the translators and the decoder prompt; None when there is none."""
    out: dict[str, dict[str, str]] = {}
    for entry in entries:
        if isinstance(entry, GlossaryEntry):
            out[entry.term] = dict(entry.renderings)
        else:
            out[entry["term"]] = dict(entry.get("renderings", {}))
    return out or None


def booth_languages(channels: Iterable[ChannelSpec | Mapping]) -> dict[str, str | None]:
    """Channel name -> the fixed language of an interpretation booth (None: the floor)."""
    specs = (c if isinstance(c, ChannelSpec) else ChannelSpec.model_validate(c) for c in channels)
    return {c.name: c.language for c in specs}


def offered_languages(record: SessionRecord) -> list[str]:
    """What a viewer of the session can read: what the floor may speak, its booths, its translations."""
    booths = [lang for lang in booth_languages(record.channels).values() if lang]
    return list(dict.fromkeys([*record.languages, *booths, *translation_languages(record.translation_languages)]))


def spec_from_record(record: SessionRecord) -> SessionCreate:
    """The spec a stored session was created with (to revive it live on this instance)."""
    return SessionCreate(
        title=record.title, room=record.room, channels=[ChannelSpec.model_validate(c) for c in record.channels],
        allowed_languages=list(record.languages) or None, off_record=record.off_record, public=record.public,
        glossary=[GlossaryEntry.model_validate(g) for g in record.glossary],
        translation_languages=None if record.translation_languages is None else list(record.translation_languages))


def record_from_spec(session_id: str, spec: SessionCreate, *, allowed: Sequence[str], status: str,
                     created_at: float, off_record: bool, join_code: str) -> SessionRecord:
    """What the store keeps about a session (``translation_languages`` None stays None: the default)."""
    return SessionRecord(
        id=session_id, title=spec.title, room=spec.room, status=status,
        started_at=datetime.fromtimestamp(created_at, timezone.utc), languages=tuple(allowed),
        channels=tuple(c.model_dump() for c in spec.channels), glossary=tuple(g.model_dump() for g in spec.glossary),
        off_record=off_record, public=spec.public, join_code=join_code,
        translation_languages=None if spec.translation_languages is None else tuple(spec.translation_languages))


def stored_public(record: SessionRecord) -> SessionPublic:
    """A session that is no longer live, as the store keeps it."""
    channels = [ChannelSpec.model_validate(c) for c in record.channels]
    return SessionPublic(
        id=record.id, title=record.title, room=record.room, status=record.status,
        created_at=record.started_at.timestamp() if record.started_at else 0.0,
        ended_at=record.ended_at.timestamp() if record.ended_at else None, off_record=record.off_record,
        allowed_languages=list(record.languages), glossary=[GlossaryEntry.model_validate(g) for g in record.glossary],
        channels=[ChannelPublic(name=c.name, language=c.language, streaming=False, audio_s=0, busy_s=0,
                                partial_decodes=0, partials_skipped=0, finals=0, rejected=0) for c in channels],
        last_seq=0, model="", public=record.public, join_code=record.join_code,
        translation_languages=translation_languages(record.translation_languages))
