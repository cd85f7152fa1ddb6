"""The outputs API's bodies: what staff send to add an output, and what they read back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.protocol import LanguageCode

__all__ = ["OutputCreate", "OutputPublic", "OutputState"]

OutputState = Literal["idle", "sending", "retrying", "ended", "stopped"]


class OutputCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["zoom", "youtube", "webhook"] = Field(
        ..., description="zoom: the meeting's caption API token URL; youtube: the stream's 'POST captions to URL'; "
                         "webhook: any URL that takes the final events as JSON, signed")
    url: str = Field(..., min_length=8, max_length=2048, description="The URL as the platform shows it "
                                                                      "(floorcast appends seq and lang)")
    language: LanguageCode = Field(..., description="Which language's captions it gets: a booth's, the floor's "
                                                    "or the translation, as a viewer of that language would")


class OutputPublic(BaseModel):
    id: str
    session_id: str
    kind: Literal["zoom", "youtube", "webhook"]
    language: str
    url: str = Field(..., description="Masked: the URL's secret parts are cut to their first characters")
    status: OutputState = Field(..., description="idle (nothing waiting), sending, retrying (the destination fails), "
                                                 "ended (with its session), stopped (deleted)")
    delivered: int = Field(..., description="Captions the destination accepted")
    failed: int = Field(..., description="Captions it refused, or dropped while it was away")
    retries: int = Field(0, description="Posts tried again since this instance started delivering")
    corrections_skipped: int = Field(0, description="Corrections not sent (platforms cannot edit a caption)")
    queued: int = Field(0, description="Captions waiting to be sent")
    seq: int = Field(..., description="The last sequence number posted")
    last_error: str = ""
    lag_s: float | None = Field(None, description="Release to viewers -> accepted by the destination, last post")
    created_at: float
    stopped_at: float | None = None
    secret: str | None = Field(None, description="Webhooks, in the answer that creates one only: the HMAC-SHA256 key "
                                                 "of the X-Floorcast-Signature header")
