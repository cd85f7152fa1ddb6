"""Transcript exports: JSON, plain text, SRT, WebVTT, EBU-TT-D (TTML) and Word, from a
:class:`~captions_store.records.TranscriptDoc`.

``export(doc, "vtt")`` gives the bytes, their media type and a file name
(``<title>-<date>-<lang>.vtt``, and an ASCII one for HTTP headers). Caption cue layout (line length, cue length,
timing) lives in :mod:`.lines`, shared with ``floorcast transcribe``.

Errors: :class:`UnknownFormat` (a ``ValueError``) for a format not in
:data:`FORMATS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote

from captions_store.exports.json_export import export_json
from captions_store.exports.lines import Cue, LineRules, rules_for, segment_cues, settle_cues
from captions_store.exports.meta import file_stem
from captions_store.exports.pieces import TimedWord
from captions_store.exports.srt import export_srt, to_srt
from captions_store.exports.timecode import timestamp
from captions_store.exports.ttml import export_ttml
from captions_store.exports.txt import export_txt
from captions_store.exports.vtt import export_vtt, to_vtt
from captions_store.records import TranscriptDoc

__all__ = ["FORMATS", "MEDIA_TYPES", "Exported", "UnknownFormat", "export", "Cue", "LineRules", "TimedWord",
           "rules_for", "segment_cues", "settle_cues", "timestamp", "to_srt", "to_vtt"]

FORMATS = ("json", "txt", "srt", "vtt", "ttml", "docx")
MEDIA_TYPES = {
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "ttml": "application/ttml+xml",  # an XML type: the document's XML declaration names its encoding (UTF-8)
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class UnknownFormat(ValueError):
    """An export format floorcast does not write."""


@dataclass(frozen=True)
class Exported:
    body: bytes
    media_type: str
    filename: str
    ascii_filename: str = ""

    def content_disposition(self, disposition: str = "attachment") -> str:
        """The header value: an ASCII ``filename`` and the UTF-8 ``filename*`` (RFC 6266), the latter first."""
        return f"{disposition}; filename*=UTF-8''{quote(self.filename, safe='')}; " \
               f'filename="{self.ascii_filename or self.filename}"'


def _docx(doc: TranscriptDoc) -> bytes:
    from captions_store.exports.docx import export_docx  # python-docx and lxml load only when asked for

    return export_docx(doc)


def _text(render: Callable[[TranscriptDoc], str]) -> Callable[[TranscriptDoc], bytes]:
    return lambda doc: render(doc).encode("utf-8")


_WRITERS: dict[str, Callable[[TranscriptDoc], bytes]] = {
    "json": _text(export_json), "txt": _text(export_txt), "srt": _text(export_srt), "vtt": _text(export_vtt),
    "ttml": _text(export_ttml), "docx": _docx,
}


def export(doc: TranscriptDoc, fmt: str) -> Exported:
    """``doc`` written as ``fmt`` (one of :data:`FORMATS`, any case)."""
    key = fmt.strip().lower() if isinstance(fmt, str) else None
    if key not in _WRITERS:
        raise UnknownFormat(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return Exported(body=_WRITERS[key](doc), media_type=MEDIA_TYPES[key], filename=f"{file_stem(doc)}.{key}",
                    ascii_filename=f"{file_stem(doc, ascii_only=True)}.{key}")
