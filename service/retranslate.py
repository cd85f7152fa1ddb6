"""After an edit: translate the segment's new text again, store it, and correct live viewers' lines.

The PATCH answers at once (its translations marked stale); the new
translations are committed when the worker has them, and viewers of a live
session receive one ``correction`` per language.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from captions_store.records import SegmentRecord, TranslationIn
from service.session_conversions import booth_languages, glossary_map, translation_languages, translation_targets

__all__ = ["retranslate"]


async def retranslate(app: FastAPI, record: SegmentRecord) -> bool:
    """Queue the translation of an edited segment; False when it is not translated (booth, no translator)."""
    translation = app.state.translation
    if translation is None:
        return False
    session_record = await asyncio.to_thread(app.state.store.get_session, record.session_id)
    if booth_languages(session_record.channels).get(record.channel):  # a booth: never machine-translated
        return False
    live = app.state.registry.get(record.session_id)
    targets = translation_targets(translation_languages(session_record.translation_languages), record.lang)
    glossary = glossary_map(session_record.glossary)
    loop = asyncio.get_running_loop()
    writer = app.state.writer

    def store_translations(edited: SegmentRecord, results: dict) -> None:  # on the loop
        items = [TranslationIn(segment_id=edited.id, lang=lang, text=r.text, engine=r.engine or "",
                               model_version=r.model_version or "", source_revision=edited.revision)
                 for lang, r in results.items() if r.translated]

        def correct_viewers() -> None:
            if live is not None and live.status == "live":
                for lang, r in results.items():
                    live.publish_correction(edited.id, r.text, edited.speaker, edited.revision, lang, edited.lang)

        writer.submit([], items, done=lambda stored: loop.call_soon_threadsafe(correct_viewers))

    translation.correction(record, targets, glossary, store_translations)
    return True
