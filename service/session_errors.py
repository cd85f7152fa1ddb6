"""What can go wrong asking for a live session, and the one table that says how each is answered.

Every refusal is an exception here; websockets close with :func:`close_code`
and HTTP routes answer with :func:`http_status` (installed once in
:mod:`service.errors`), so no call site maps them by hand.

=====================  ==========  ====  ==============================================
exception              close code  HTTP  when
=====================  ==========  ====  ==============================================
UnknownSession         4404        404   no such session, live or stored
UnknownChannel         4404        422   the session has no channel of that name
SessionEnded           4409        409   audio or a change for a session that has ended
ChannelBusy            4409        409   the channel already has an ingest client
SessionElsewhere       1013        409   another live instance records it (retry shortly)
UnsupportedLanguages   4400        422   the model cannot recognise a language asked for
SessionError (other)   4400        422
=====================  ==========  ====  ==============================================
"""

from __future__ import annotations

from service.protocol import CloseCode

__all__ = ["SessionError", "UnknownSession", "UnknownChannel", "SessionEnded", "ChannelBusy", "SessionElsewhere",
           "UnsupportedLanguages", "close_code", "http_status"]


class SessionError(ValueError):
    """A session request that cannot be honoured."""


class UnknownSession(SessionError, LookupError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"unknown session {session_id!r}")


class UnknownChannel(SessionError, LookupError):
    def __init__(self, name: str, channels: list[str] | None = None) -> None:
        known = f"; channels: {', '.join(channels)}" if channels else ""
        super().__init__(f"session has no channel {name!r}{known}")


class SessionEnded(SessionError):
    def __init__(self, message: str = "session has ended") -> None:
        super().__init__(message)


class ChannelBusy(SessionError):
    def __init__(self, name: str) -> None:
        super().__init__(f"channel {name!r} already has an ingest client")


class SessionElsewhere(SessionError):
    """Another live instance holds this session's lease (the client retries with back-off)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"session {session_id} is being recorded by another instance; retry shortly")


class UnsupportedLanguages(SessionError):
    """The session asks for languages the loaded model cannot recognise."""


_ANSWERS: dict[type[SessionError], tuple[int, int]] = {
    UnknownSession: (CloseCode.NOT_FOUND, 404),
    UnknownChannel: (CloseCode.NOT_FOUND, 422),
    SessionEnded: (CloseCode.CONFLICT, 409),
    ChannelBusy: (CloseCode.CONFLICT, 409),
    SessionElsewhere: (CloseCode.TRY_AGAIN_LATER, 409),
    UnsupportedLanguages: (CloseCode.BAD_REQUEST, 422),
    SessionError: (CloseCode.BAD_REQUEST, 422),
}


def _answer(exc: SessionError) -> tuple[int, int]:
    for kind in type(exc).__mro__:
        if kind in _ANSWERS:
            return _ANSWERS[kind]
    return _ANSWERS[SessionError]


def close_code(exc: SessionError) -> int:
    return _answer(exc)[0]


def http_status(exc: SessionError) -> int:
    return _answer(exc)[1]
