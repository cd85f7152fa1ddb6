"""Translation of final captions into the six UN languages: engines (Argos Translate, Apertium), routing,
glossary, and a background worker. The service uses :class:`Translator` and :class:`TranslationWorker`."""

from models.translation.engine import (EngineFailure, PackageError, TextTooLong, TranslationError, UnknownLanguage,
                                       UnsupportedDirection)
from models.translation.glossary import Glossary, GlossaryError
from models.translation.languages import DIRECTIONS, LANGUAGES, UN_CODES
from models.translation.router import DirectionStatus, RoutingSettingError
from models.translation.translator import TranslationResult, Translator
from models.translation.worker import TranslationJob, TranslationWorker, WorkerCounters

__all__ = [
    "Translator", "TranslationResult", "TranslationWorker", "TranslationJob", "WorkerCounters", "Glossary",
    "DirectionStatus", "LANGUAGES", "UN_CODES", "DIRECTIONS", "TranslationError", "UnknownLanguage",
    "UnsupportedDirection", "TextTooLong", "PackageError", "EngineFailure", "GlossaryError", "RoutingSettingError",
]
