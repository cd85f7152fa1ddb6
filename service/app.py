"""FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from captions_store.store import Store
from models.provisioning import ResolvedModel, resolve_model
from models.recognizer.decoder import WhisperDecoder
from models.recognizer.streamer import RecognizerConfig
from models.translation.translator import Translator
from service import captions_ws, ingest_ws, routes_segments, routes_sessions, routes_transcripts, routes_translation
from service import routes_live_vtt, routes_ops, routes_pages
from service.errors import ERROR_RESPONSES, install_error_handlers
from service.fanout import Broker
from service.live_translation import LiveTranslation
from service.metrics import ServiceMetrics
from service.sessions import SessionRegistry
from service.settings import Settings, get_settings
from service.store_writer import StoreWriter
from web_client import STATIC_DIR

__all__ = ["create_app", "load_decoder"]

log = logging.getLogger("floorcast")


def load_decoder(settings: Settings) -> tuple[WhisperDecoder, ResolvedModel]:
    resolved = resolve_model(settings.model, settings.data_dir.resolve(), verify=settings.verify_models)
    decoder = WhisperDecoder.load(resolved.path, name=resolved.name, cpu_threads=settings.cpu_threads,
                                  window=settings.decode_window, local_files_only=resolved.source != "hub")
    return decoder, resolved


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = await asyncio.to_thread(Store.open, settings.database_url, settings.data_dir.resolve())
        interrupted = await asyncio.to_thread(store.mark_interrupted)
        if interrupted:
            log.warning("sessions interrupted by the last shutdown: %s", ", ".join(interrupted))
        metrics: ServiceMetrics = app.state.metrics
        writer = StoreWriter(store, on_commit_s=metrics.store_commit_s.observe).start()
        decoder, resolved = await asyncio.to_thread(load_decoder, settings)
        log.info("model %s loaded from %s", resolved.name, resolved.path)
        translation = None
        if settings.translation:
            translator = Translator(settings.data_dir.resolve(), settings.translation_engines,
                                    apertium_command=settings.apertium_command)
            translation = LiveTranslation(translator, threads=settings.translation_threads,
                                          on_final_latency_s=metrics.translation_latency_s.observe)
            await asyncio.to_thread(translation.warm_up)  # probe engines and load models once, off the loop
            translation.start(asyncio.get_running_loop())
        app.state.store = store
        app.state.writer = writer
        app.state.decoder = decoder
        app.state.translation = translation
        app.state.registry = SessionRegistry(
            app.state.broker, metrics.timed(decoder), resolved.languages,
            recognizer_config=RecognizerConfig(final_beam_size=settings.final_beam_size),
            max_queued_s=settings.audio_queue_s, policy=settings.recognizer_policy, writer=writer,
            translation=translation)
        try:
            yield
        finally:
            if translation is not None:
                await asyncio.to_thread(translation.stop)
            await asyncio.to_thread(writer.stop)
            await asyncio.to_thread(store.close)

    app = FastAPI(title="floorcast", version="0.1.0", lifespan=lifespan,
                  description="Live, multilingual captions for conference meetings")
    app.state.settings = settings
    app.state.broker = Broker(settings.viewer_queue_events)
    app.state.metrics = ServiceMetrics(app.state)
    install_error_handlers(app)
    app.include_router(routes_sessions.router, responses=ERROR_RESPONSES)
    app.include_router(ingest_ws.router)
    app.include_router(captions_ws.router)
    app.include_router(routes_transcripts.router, responses=ERROR_RESPONSES)
    app.include_router(routes_segments.router, responses=ERROR_RESPONSES)
    app.include_router(routes_translation.router)
    app.include_router(routes_ops.router)

    app.include_router(routes_pages.router)
    app.include_router(routes_live_vtt.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
