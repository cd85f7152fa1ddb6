"""One audio channel of a live session: its recogniser worker while a client streams, and what it has done."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.recognizer.worker import ChannelWorker
from service.language_watch import LanguageWatch
from service.open_sockets import OpenSocket
from service.protocol import ChannelPublic, ChannelSpec

__all__ = ["ChannelState"]


@dataclass
class ChannelState:
    spec: ChannelSpec
    worker: ChannelWorker | None = None
    offset_s: float = 0.0
    end_s: float = 0.0
    segment_base: int = 0
    speaker: str | None = None  # label attached to the finals that follow ("Chair", "Delegate of Peru")
    timeline_wall: float = 0.0  # wall-clock time (Unix s) of session time 0 as this channel's ingest counts it
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("audio_s", "busy_s", "partial_decodes", "partials_skipped", "finals", "rejected"), 0))
    rejected_reasons: dict[str, int] = field(default_factory=dict)  # of ingest clients that have left
    language: LanguageWatch = field(default_factory=LanguageWatch)
    finishing: bool = False  # its client has gone; the worker is captioning that client's last audio
    holder: OpenSocket | None = None  # the ingest connection streaming into it, and its ready's resume_key
    resume_key: str | None = None

    @property
    def streaming(self) -> bool:
        return self.worker is not None

    def held_by_gone_client(self, resume_key: str | None) -> bool:
        """The holder has left or been cut, or ``resume_key`` proves the caller is the holder reconnecting."""
        if self.worker is None:
            return False
        if self.finishing or (self.holder is not None and self.holder.cut_reason is not None):
            return True
        return resume_key is not None and resume_key == self.resume_key

    def fold_worker(self) -> None:
        """The worker has flushed: stop it and keep its statistics, timeline end and segment numbers."""
        worker, self.worker = self.worker, None
        self.finishing, self.holder, self.resume_key = False, None, None
        if worker is None:
            return
        worker.stop()
        stats = worker.stats
        for key in self.totals:
            self.totals[key] += getattr(stats, key)
        self.rejected_reasons = _merged(self.rejected_reasons, stats.rejected_reasons)
        self.end_s = self.offset_s + worker.decoded_s
        self.segment_base += worker.segments_done

    def public(self) -> ChannelPublic:
        numbers = dict(self.totals)
        reasons = dict(self.rejected_reasons)
        if self.worker is not None:
            stats = self.worker.stats
            for key in numbers:
                numbers[key] += getattr(stats, key)
            reasons = _merged(reasons, stats.rejected_reasons)
        return ChannelPublic(name=self.spec.name, language=self.spec.language, streaming=self.streaming,
                             audio_s=round(numbers["audio_s"], 3), busy_s=round(numbers["busy_s"], 3),
                             partial_decodes=int(numbers["partial_decodes"]),
                             partials_skipped=int(numbers["partials_skipped"]), finals=int(numbers["finals"]),
                             rejected=int(numbers["rejected"]), rejected_reasons=reasons,
                             language_warning=self.language.warning())


def _merged(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {key: a.get(key, 0) + b.get(key, 0) for key in sorted({*a, *b})}
