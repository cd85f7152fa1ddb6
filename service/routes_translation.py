"""``GET /v1/translation/status``: which of the 30 directions are covered, by which engine and route."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from service.auth import Principal, Requires

__all__ = ["router", "DirectionPublic", "TranslationStatus", "LibreTranslatePublic"]

router = APIRouter(prefix="/v1/translation", tags=["translation"])


class DirectionPublic(BaseModel):
    direction: str = Field(examples=["en-fr"])
    src: str
    tgt: str
    engine: str | None
    route: str = Field(description="direct, pivot (through `via`), or none")
    via: str | None
    model_version: str | None
    chosen_by: str
    note: str | None
    how: str | None = Field(None, description="What to install for a direct engine; null when one covers it")


class LibreTranslatePublic(BaseModel):
    url: str
    answers: bool = Field(description="The server answered GET /languages and is not resting")
    directions: list[str] = Field(description="UN directions the server translates, e.g. en-fr")
    error: str | None
    resting_s: float = Field(0.0, description="Seconds before the server is asked again, after it failed past its "
                                              "retries (captions meanwhile go untranslated at once)")


class TranslationStatus(BaseModel):
    enabled: bool
    directions: list[DirectionPublic]
    libretranslate: LibreTranslatePublic | None = Field(None, description="The LibreTranslate server, when one is set")
    missing: list[str] = Field(description="Directions no installed engine covers; viewers get the original text")
    final_latency_p50_s: float | None = Field(description="Median time from a final to its translations, this process")


@router.get("/status", response_model=TranslationStatus)
async def translation_status(request: Request, _: Annotated[Principal, Depends(Requires("staff"))],
                             refresh: bool = False) -> TranslationStatus:
    translation = request.app.state.translation
    if translation is None:
        return TranslationStatus(enabled=False, directions=[], missing=[], final_latency_p50_s=None)
    if refresh:
        await asyncio.to_thread(translation.refresh)
    rows = await asyncio.to_thread(translation.coverage)
    latencies = sorted(translation.latencies_s)
    server = translation.translator.router.engines_named("libretranslate")
    return TranslationStatus(
        enabled=True, directions=[DirectionPublic(**row.to_dict()) for row in rows],
        libretranslate=LibreTranslatePublic(**await asyncio.to_thread(server[0].server_status)) if server else None,
        missing=[row.direction for row in rows if row.route == "none"],
        final_latency_p50_s=round(latencies[len(latencies) // 2], 3) if latencies else None)
