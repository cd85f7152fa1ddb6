"""The one place a Whisper model is loaded (live recogniser and offline ``floorcast transcribe`` alike)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

__all__ = ["load_whisper"]


def load_whisper(path: Path | str, *, cpu_threads: int = 2, compute_type: str = "int8",
                 local_files_only: bool = True) -> "WhisperModel":
    """A CTranslate2 Whisper model on the CPU; never downloads unless ``local_files_only`` is False."""
    from faster_whisper import WhisperModel

    return WhisperModel(str(path), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads,
                        num_workers=1, local_files_only=local_files_only)
