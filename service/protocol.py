"""Wire types: every JSON message on floorcast's HTTP routes and websockets.

Defined once here; ``docs/protocol.md`` embeds the JSON Schemas generated from
these models (``python -m service.protocol``), and the CLI client and the tests
import the same classes.

Close codes used on both websockets (RFC 6455 codes where one fits, 4xxx
application codes otherwise)::

    1000  normal closure (ingest stopped, session ended)
    1003  unsupported data (binary audio before ``start``)
    1007  invalid payload (bad JSON, unknown message, odd-length PCM frame)
    1009  message too big (frame over the configured limit, 1 MiB by default)
    1011  internal error (the recogniser failed; other sessions unaffected)
    1013  try again later (viewer fell too far behind; ingest: another instance records the session;
          too many websockets open from this client address)
    4400  bad request (unknown ``lang`` or ``source`` on the captions websocket)
    4401  missing, unknown, expired or revoked token; wrong join code; also when the token of an open
          socket is revoked or expires
    4403  the token's role or session does not allow this; an Origin not allowed; ingest disconnected by
          an operator
    4404  unknown session or channel
    4408  ingest: no audio for the ingest idle timeout (the channel is freed)
    4409  the channel already has an ingest client / session has ended
    4429  too many unknown tokens from this address, or wrong join codes for this session; retry later
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from captions_store.text_rules import refusal

__all__ = [
    "ChannelSpec", "GlossaryEntry", "SessionCreate", "SessionUpdate", "ChannelPublic", "SessionPublic",
    "StartMessage", "StopMessage", "SpeakerMessage", "IngestMessage", "ReadyEvent", "StoppedEvent",
    "WordTiming", "PartialEvent", "FinalEvent", "CorrectionEvent", "RecordEvent", "SessionEndedEvent",
    "ClockEvent", "PongEvent", "CaptionEvent", "OneLine", "FreeText",
    "caption_event_adapter", "ingest_message_adapter", "CloseCode", "json_schemas",
]

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", examples=["fr"])]
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _one_line(value: str) -> str:
    reason = refusal(value)
    if reason:
        raise ValueError(reason)
    return value


def _free_text(value: str) -> str:
    reason = refusal(value, multiline=True)
    if reason:
        raise ValueError(reason)
    return value


OneLine = Annotated[str, AfterValidator(_one_line)]
"""A title, room, name or term typed by a person: no control characters, no bidi overrides (422 otherwise)."""
FreeText = Annotated[str, AfterValidator(_free_text)]
"""A caption text typed by a person: as :data:`OneLine`, but newlines and tabs are allowed."""


class CloseCode:
    NORMAL = 1000
    UNSUPPORTED_DATA = 1003
    INVALID_PAYLOAD = 1007
    TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    IDLE = 4408
    CONFLICT = 4409
    TOO_MANY_REQUESTS = 4429


# -- sessions (HTTP) -----------------------------------------------------------
class ChannelSpec(BaseModel):
    """An audio channel: ``floor`` (language identified per utterance) or an interpretation booth."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field("floor", examples=["floor", "booth-fr"])
    language: LanguageCode | None = Field(None, description="Fixed language of an interpretation booth")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not CHANNEL_NAME.fullmatch(value):  # match() would let "floor\n" through ($ before a final newline)
            raise ValueError("channel names are 1-32 characters: lower-case letters, digits, '-' and '_'")
        return value


class GlossaryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: OneLine = Field(min_length=1, max_length=200, examples=["Plenipotentiary Conference"])
    renderings: dict[LanguageCode, Annotated[OneLine, Field(max_length=200)]] = Field(
        default_factory=dict, examples=[{"fr": "Conférence de plénipotentiaires"}])


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: OneLine = Field("Untitled session", min_length=1, max_length=300)
    room: OneLine = Field("", max_length=200, examples=["Popov Room"])
    channels: list[ChannelSpec] = Field(default_factory=lambda: [ChannelSpec()], min_length=1, max_length=8)
    allowed_languages: list[LanguageCode] | None = Field(
        None, description="Languages the floor may speak; default: the six UN languages the model supports")
    glossary: list[GlossaryEntry] = Field(default_factory=list, max_length=500)
    off_record: bool = Field(False, description="Start off the record: captions flow, nothing is stored")
    translation_languages: list[LanguageCode] | None = Field(
        None, description="Languages every floor final is translated into; default: the six UN languages; [] for none")
    translate_partials: bool = Field(False, description="Also translate partials (throttled) for live viewers")
    public: bool = Field(False, description="Anyone may read the captions, with no token or join code")

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[ChannelSpec]) -> list[ChannelSpec]:
        names = [c.name for c in value]
        if len(names) != len(set(names)):
            raise ValueError("channel names must be unique")
        return value


class ChannelPublic(BaseModel):
    name: str
    language: str | None
    streaming: bool
    audio_s: float
    busy_s: float
    partial_decodes: int
    partials_skipped: int
    finals: int
    rejected: int = Field(description="Utterances dropped whole as hallucinations (partial decodes not counted)")
    rejected_reasons: dict[str, int] = Field(
        default_factory=dict, description="Those utterances by reason: silence-phrase, no-speech, compression-ratio, …")
    language_warning: str | None = Field(
        None, description="Set while the speech on this channel has not sounded like any of the session's languages "
                          "for a stretch (another language is spoken; its captions are wrong)")


class SessionUpdate(BaseModel):
    """``PATCH /v1/sessions/{id}``: what the session's captioner (or an admin) may change on it."""

    model_config = ConfigDict(extra="forbid")
    title: OneLine | None = Field(None, min_length=1, max_length=300)
    off_record: bool | None = Field(None, description="True: stop storing (captions keep flowing); False: resume")
    speaker: OneLine | None = Field(None, max_length=120,
                                    description="Speaker label for the following finals; '' clears")
    channel: str = Field("floor", description="Channel the speaker label applies to")


class SessionPublic(BaseModel):
    id: str
    title: str
    room: str = ""
    status: Literal["live", "ended", "interrupted"]
    created_at: float
    ended_at: float | None = None
    off_record: bool = False
    allowed_languages: list[str]
    glossary: list[GlossaryEntry]
    channels: list[ChannelPublic]
    last_seq: int
    model: str
    translation_languages: list[str] = Field(default_factory=list)
    missing_directions: list[str] = Field(
        default_factory=list, description="Directions (src-tgt) this session needs that no installed model covers")
    public: bool = Field(False, description="Captions readable with no token or join code")
    join_code: str | None = Field(
        None, description="What viewers of a private session may present instead of a token (?code=); "
                          "shown to admins and captioners only")
    model_warning: str | None = Field(
        None, description="Set when the session's model cannot recognise every language a floor may speak "
                          "(an English-only model such as tiny.en)")
    participant_link: str | None = Field(
        None, description="Path on this server that opens the session for participants: /s/{id} when it is "
                          "public, /s/{id}?code={join_code} when it is private; shown to whoever sees the join code "
                          "(and for public sessions to everyone)", examples=["/s/K7QMZP4W?code=HXR3T9AC"])


# -- ingest websocket -------------------------------------------------------------
class StartMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["start"]
    encoding: Literal["pcm_s16le"] = "pcm_s16le"
    sample_rate: int = Field(16000, ge=8000, le=48000, description="Hz")
    channels: int = Field(1, ge=1, le=8, description="Interleaved audio channels; mixed down to mono")
    resume_key: str | None = Field(None, min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="On a reconnect: the resume_key of the last ready. If the server "
                                               "still holds that connection (the network dropped without a close), "
                                               "it lets it go instead of refusing this one 4409")


class StopMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["stop"]


class SpeakerMessage(BaseModel):
    """Who is speaking on this channel from now on; attached to the following finals."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["speaker"]
    label: OneLine = Field("", max_length=120, examples=["Chair", "Delegate of Peru"])


IngestMessage = Annotated[Union[StartMessage, StopMessage, SpeakerMessage], Field(discriminator="type")]


class ReadyEvent(BaseModel):
    type: Literal["ready"] = "ready"
    session_id: str
    channel: str
    offset_s: float = Field(description="Session time at which this channel's audio begins")
    resume_key: str = Field(description="Secret of this connection: send it in the start of a reconnect")


class StoppedEvent(BaseModel):
    type: Literal["stopped"] = "stopped"
    audio_s: float


# -- captions websocket ---------------------------------------------------------
class WordTiming(BaseModel):
    word: str
    start: float
    end: float
    probability: float


class PartialEvent(BaseModel):
    type: Literal["partial"] = "partial"
    seq: int
    session_id: str
    channel: str
    segment_id: str
    lang: str
    text: str = Field(description="The whole current hypothesis of the open segment")
    stable: int = Field(description="Leading characters of text that will not change any more")
    start: float
    end: float
    source_lang: str | None = Field(None, description="Set on translated partials (stable is then 0)")
    translated: bool | None = None
    published_at: float | None = Field(None, description="Server wall-clock time (Unix s) the event left for viewers")


class FinalEvent(BaseModel):
    type: Literal["final"] = "final"
    seq: int
    session_id: str
    channel: str
    segment_id: str
    lang: str
    text: str
    start: float
    end: float
    words: list[WordTiming]
    speaker: str | None = None
    source_lang: str | None = Field(None, description="Set on translations: the language that was spoken")
    translated: bool | None = Field(
        None, description="Translations only: false when no model covers the direction (text is the original)")
    engine: str | None = Field(None, description="Translations only: the engine that produced the text")
    published_at: float | None = Field(None, description="Server wall-clock time (Unix s) the event left for viewers")


class CorrectionEvent(BaseModel):
    """A final edited after it was shown: replace the line with this ``segment_id``."""

    type: Literal["correction"] = "correction"
    seq: int
    session_id: str
    segment_id: str
    lang: str
    text: str
    speaker: str | None
    revision: int
    source_lang: str | None = Field(None, description="Set when the corrected line is a translation")
    published_at: float | None = Field(None, description="Server wall-clock time (Unix s) the event left for viewers")


class RecordEvent(BaseModel):
    """The session went off the record (nothing stored) or back on it."""

    type: Literal["record"] = "record"
    seq: int
    session_id: str
    off_record: bool
    published_at: float | None = Field(None, description="Server wall-clock time (Unix s) the event left for viewers")


class SessionEndedEvent(BaseModel):
    """No more captions will come; the session's captions stay readable (replayed on connect)."""

    type: Literal["session_ended"] = "session_ended"
    seq: int
    session_id: str
    reason: Literal["stopped", "deleted", "ingest_stopped", "idle"] | None = Field(
        None, description="stopped: ended by its captioner or an admin; ingest_stopped: the last audio client left "
                          "and none returned within the grace period; idle: no audio for the idle timeout; "
                          "absent when an ended session is replayed")
    ended_at: float | None = Field(None, description="Unix time the session ended, when known")
    published_at: float | None = Field(None, description="Server wall-clock time (Unix s) the event left for viewers")


class ClockEvent(BaseModel):
    """Only with ``?clock=1``: the session's audio clock every 2 s (no ``seq``; never stored or replayed)."""

    type: Literal["clock"] = "clock"
    session_id: str
    audio_s: float = Field(description="Session time of the newest audio received")
    decoded_s: float = Field(description="Session time up to which recognition has run; audio_s - decoded_s: delay")
    speech_s: float | None = Field(None, description="Where the newest final (as spoken) ends; None: none yet")
    streaming: bool = Field(description="An ingest client is sending audio")


class PongEvent(BaseModel):
    """Answer to a viewer's ``{"type": "ping"}``: every event up to ``seq`` was sent before it."""

    type: Literal["pong"] = "pong"
    seq: int


CaptionEvent = Annotated[Union[PartialEvent, FinalEvent, CorrectionEvent, RecordEvent, SessionEndedEvent, ClockEvent,
                               PongEvent],
                         Field(discriminator="type")]
caption_event_adapter: TypeAdapter = TypeAdapter(CaptionEvent)
ingest_message_adapter: TypeAdapter = TypeAdapter(IngestMessage)


def json_schemas() -> dict[str, dict]:
    named = {
        "SessionCreate": SessionCreate, "SessionPublic": SessionPublic,
        "SessionUpdate": SessionUpdate,
        "StartMessage": StartMessage, "StopMessage": StopMessage, "SpeakerMessage": SpeakerMessage,
        "ReadyEvent": ReadyEvent, "StoppedEvent": StoppedEvent, "PartialEvent": PartialEvent,
        "FinalEvent": FinalEvent, "CorrectionEvent": CorrectionEvent, "RecordEvent": RecordEvent,
        "SessionEndedEvent": SessionEndedEvent, "ClockEvent": ClockEvent, "PongEvent": PongEvent,
    }
    return {name: model.model_json_schema() for name, model in named.items()}


if __name__ == "__main__":  # pragma: no cover - used to regenerate docs/protocol.md
    print(json.dumps(json_schemas(), indent=2, ensure_ascii=False))
