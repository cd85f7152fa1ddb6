"""The live sessions of this process: made from a request, revived from the record, found, forgotten."""

from __future__ import annotations

from captions_store.records import SessionProgress, SessionRecord
from captions_store.tokens_store import new_join_code
from service.protocol import SessionCreate
from service.session_conversions import allowed_languages, spec_from_record, translation_languages
from service.session_errors import UnsupportedLanguages
from service.session_services import SessionServices
from service.sessions import LiveSession
from service.settings import UN_LANGUAGES

__all__ = ["SessionRegistry"]


class SessionRegistry:
    def __init__(self, services: SessionServices) -> None:
        self.services = services
        self._sessions: dict[str, LiveSession] = {}

    def create(self, spec: SessionCreate) -> LiveSession:
        supported = self.services.recognisable
        allowed = allowed_languages(spec.allowed_languages, self.services.default_languages)
        unsupported = sorted(set(allowed) - supported)
        booth = sorted({c.language for c in spec.channels if c.language} - supported)
        if unsupported or booth:
            raise UnsupportedLanguages(
                f"model {self.services.decoder.name} cannot recognise: {', '.join(unsupported + booth)}; "
                f"it supports {len(supported)} languages" + ("" if len(supported) > 1 else " (en)"))
        session_id = new_join_code()  # the join codes' alphabet: no look-alikes to read out or type from a projector
        return self._add(session_id, spec, allowed)

    def _add(self, session_id: str, spec: SessionCreate, allowed: list[str], join_code: str = "") -> LiveSession:
        """A LiveSession wired to this process's services, registered."""
        session = LiveSession(session_id, spec, allowed, self.services, join_code=join_code,
                              missing_directions=self.missing_directions(allowed, spec.translation_languages))
        self._sessions[session_id] = session
        return session

    def get(self, session_id: str) -> LiveSession | None:
        return self._sessions.get(session_id)

    def missing_directions(self, spoken: list[str], targets: list[str] | None) -> list[str]:
        """Directions a session would need that no installed engine covers (``src-tgt``)."""
        translation = self.services.translation
        if translation is None:
            return []
        routes = {(row.src, row.tgt): row.route for row in translation.coverage()}
        return [f"{src}-{tgt}" for src in spoken if src in UN_LANGUAGES for tgt in translation_languages(targets)
                if tgt != src and routes.get((src, tgt), "none") == "none"]

    def revive(self, record: SessionRecord, progress: SessionProgress, *, seq: int) -> LiveSession:
        """A session that was live on an instance that stopped (or on another instance) becomes live here.

        ``seq`` continues above anything a viewer may have seen; each channel's segment numbers and
        timeline continue after what the store holds.
        """
        allowed = allowed_languages(record.languages, self.services.default_languages)
        session = self._add(record.id, spec_from_record(record), allowed, join_code=record.join_code)
        session.created_at = record.started_at.timestamp() if record.started_at else session.created_at
        session.restore(progress, seq)
        return session

    def forget(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def all(self) -> list[LiveSession]:
        return sorted(self._sessions.values(), key=lambda s: s.created_at, reverse=True)
