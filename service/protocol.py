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
    1013  try again later (viewer fell too far behind)
    4401  missing or wrong token
    4404  unknown session or channel
    4409  the channel already has an ingest client / session has ended
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

__all__ = [
    "ChannelSpec", "GlossaryEntry", "SessionCreate", "ChannelPublic", "SessionPublic",
    "StartMessage", "StopMessage", "IngestMessage", "ReadyEvent", "StoppedEvent",
    "WordTiming", "PartialEvent", "FinalEvent", "SessionEndedEvent", "CaptionEvent",
    "caption_event_adapter", "ingest_message_adapter", "CloseCode", "json_schemas",
]

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", examples=["fr"])]
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class CloseCode:
    NORMAL = 1000
    UNSUPPORTED_DATA = 1003
    INVALID_PAYLOAD = 1007
    TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013
    UNAUTHORIZED = 4401
    NOT_FOUND = 4404
    CONFLICT = 4409


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
    term: str = Field(min_length=1, max_length=200, examples=["Plenipotentiary Conference"])
    renderings: dict[LanguageCode, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, examples=[{"fr": "Conférence de plénipotentiaires"}])


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field("Untitled session", min_length=1, max_length=300)
    channels: list[ChannelSpec] = Field(default_factory=lambda: [ChannelSpec()], min_length=1, max_length=8)
    allowed_languages: list[LanguageCode] | None = Field(
        None, description="Languages the floor may speak; default: the six UN languages the model supports")
    glossary: list[GlossaryEntry] = Field(default_factory=list, max_length=500)

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
    rejected: int


class SessionPublic(BaseModel):
    id: str
    title: str
    status: Literal["live", "ended"]
    created_at: float
    allowed_languages: list[str]
    glossary: list[GlossaryEntry]
    channels: list[ChannelPublic]
    last_seq: int
    model: str


# -- ingest websocket -------------------------------------------------------------
class StartMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["start"]
    encoding: Literal["pcm_s16le"] = "pcm_s16le"
    sample_rate: int = Field(16000, ge=8000, le=48000, description="Hz")
    channels: int = Field(1, ge=1, le=8, description="Interleaved audio channels; mixed down to mono")


class StopMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["stop"]


IngestMessage = Annotated[Union[StartMessage, StopMessage], Field(discriminator="type")]


class ReadyEvent(BaseModel):
    type: Literal["ready"] = "ready"
    session_id: str
    channel: str
    offset_s: float = Field(description="Session time at which this channel's audio begins")


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


class SessionEndedEvent(BaseModel):
    type: Literal["session_ended"] = "session_ended"
    seq: int
    session_id: str


CaptionEvent = Annotated[Union[PartialEvent, FinalEvent, SessionEndedEvent], Field(discriminator="type")]
caption_event_adapter: TypeAdapter = TypeAdapter(CaptionEvent)
ingest_message_adapter: TypeAdapter = TypeAdapter(IngestMessage)


def json_schemas() -> dict[str, dict]:
    named = {
        "SessionCreate": SessionCreate, "SessionPublic": SessionPublic,
        "StartMessage": StartMessage, "StopMessage": StopMessage, "ReadyEvent": ReadyEvent,
        "StoppedEvent": StoppedEvent, "PartialEvent": PartialEvent, "FinalEvent": FinalEvent,
        "SessionEndedEvent": SessionEndedEvent,
    }
    return {name: model.model_json_schema() for name, model in named.items()}


if __name__ == "__main__":  # pragma: no cover - used to regenerate docs/protocol.md
    print(json.dumps(json_schemas(), indent=2, ensure_ascii=False))
