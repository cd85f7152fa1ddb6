"""What every live session of this process shares, handed over once as one frozen object."""

from __future__ import annotations

from dataclasses import dataclass

from models.recognizer.decoder import WhisperDecoder
from models.recognizer.factory import Policy
from models.recognizer.streamer import RecognizerConfig
from service.fanout import Bus
from service.live_translation import LiveTranslation
from service.settings import UN_LANGUAGES
from service.store_writer import StoreWriter

__all__ = ["SessionServices"]


@dataclass(frozen=True)
class SessionServices:
    bus: Bus  # where released events go (this process's viewers, and through Redis the others')
    decoder: WhisperDecoder  # the loaded speech model, shared by every channel's recogniser
    recognizer_config: RecognizerConfig
    max_queued_s: float  # audio a channel's recogniser may fall behind before ingest is slowed down
    policy: Policy = "vad"
    writer: StoreWriter | None = None  # None: nothing is stored (tests of the live path alone)
    translation: LiveTranslation | None = None
    inference_nice: int = 0
    default_languages: frozenset[str] = frozenset(UN_LANGUAGES)  # a session that names none may speak these

    @property
    def recognisable(self) -> frozenset[str]:
        """Languages the loaded model can recognise."""
        return frozenset(self.decoder.languages) if self.decoder.multilingual else frozenset({"en"})
