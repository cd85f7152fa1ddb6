"""FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from captions_store.store import Store
from models.cpu_priority import call_lowered
from models.provisioning import ResolvedModel, resolve_model
from models.recognizer.decoder import WhisperDecoder
from models.recognizer.streamer import RecognizerConfig
from models.translation.translator import Translator
from service import captions_ws, ingest_ws, routes_segments, routes_sessions, routes_transcripts, routes_translation
from service import ingest_control, routes_live_vtt, routes_ops, routes_outputs, routes_pages, routes_share, routes_tokens
from service.body_limit import BodyLimit
from service.security_headers import SecurityHeaders
from service.errors import ERROR_RESPONSES, install_error_handlers
from service.event_bus import LocalBus
from service.fanout import Broker
from service.live_translation import LiveTranslation
from service.speech_translation import SpeechTranslation
from service.translation_setup import translator_for
from service.metrics import ServiceMetrics
from service.open_sockets import OpenSockets
from service.outputs.delivery import RetryPolicy
from service.outputs.hub import OutputHub
from service.rate_limit import RateLimits
from service.session_lifecycle import LifecycleWatch
from service.session_registry import SessionRegistry
from service.session_services import SessionServices
from service.settings import Settings, get_settings
from service.store_writer import StoreWriter
from web_client import STATIC_DIR

__all__ = ["create_app", "load_decoder"]

log = logging.getLogger("floorcast")
SPEECH_NICE_STEP = 5  # speech translation runs this far below the recogniser


def load_decoder(settings: Settings) -> tuple[WhisperDecoder, ResolvedModel]:
    resolved = resolve_model(settings.model, settings.data_dir.resolve(), verify=settings.verify_models)
    decoder = WhisperDecoder.load(resolved.path, name=resolved.name, cpu_threads=settings.cpu_threads,
                                  window=settings.decode_window, local_files_only=resolved.source != "hub")
    return decoder, resolved


def speech_translation_wanted(settings: Settings, decoder: WhisperDecoder) -> bool:
    if settings.speech_translation == "off" or not decoder.multilingual:
        return False
    return settings.speech_translation == "on" or (os.cpu_count() or 1) >= 4


def load_speech_translation(settings: Settings, resolved: ResolvedModel, translator: Translator) -> SpeechTranslation:
    """A model of its own, one thread: its decodes never wait for the live recogniser's lock, nor it for theirs."""
    decoder = WhisperDecoder.load(resolved.path, name=resolved.name, cpu_threads=1, window=settings.decode_window,
                                  local_files_only=resolved.source != "hub")
    return SpeechTranslation(decoder, translator, max_jobs=settings.speech_translation_queue,
                             nice=min(19, settings.inference_nice + SPEECH_NICE_STEP))


async def _bus(settings: Settings, broker: Broker):
    """In-process fan-out, or Redis pub/sub + streams and session leases when FLOORCAST_REDIS_URL is set."""
    if not settings.redis_url:
        return LocalBus(broker), None, None
    import redis.asyncio as aioredis

    from service.event_bus import RedisBus
    from service.lease import LeaseManager

    client = aioredis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5,
                               health_check_interval=10)
    instance = settings.instance_id or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    log.info("fan-out through redis as instance %s", instance)
    return RedisBus(broker, client, instance), LeaseManager(client, instance), client


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = await asyncio.to_thread(Store.open, settings.database_url, settings.data_dir.resolve())
        if not settings.redis_url:  # with several instances, a live session may be another instance's
            interrupted = await asyncio.to_thread(store.mark_interrupted)
            if interrupted:
                log.warning("sessions interrupted by the last shutdown: %s", ", ".join(interrupted))
        metrics: ServiceMetrics = app.state.metrics
        writer = StoreWriter(store, on_commit_s=metrics.store_commit_s.observe).start()
        # loaded in a lowered thread: the inference threads CTranslate2 starts for it inherit the priority
        decoder, resolved = await asyncio.to_thread(call_lowered, partial(load_decoder, settings),
                                                    settings.inference_nice)
        log.info("model %s loaded from %s", resolved.name, resolved.path)
        translation = None
        if settings.translation:
            translator = translator_for(settings)
            translation = LiveTranslation(translator, threads=settings.translation_threads,
                                          on_final_latency_s=metrics.translation_latency_s.observe,
                                          nice=settings.inference_nice)
            if speech_translation_wanted(settings, decoder):
                translation.speech = await asyncio.to_thread(
                    call_lowered, partial(load_speech_translation, settings, resolved, translator),
                    min(19, settings.inference_nice + SPEECH_NICE_STEP))
            # probe engines and load models once, off the loop and, like the decoder, in a lowered thread
            await asyncio.to_thread(call_lowered, translation.warm_up, settings.inference_nice)
            translation.start(asyncio.get_running_loop())
        app.state.store = store
        app.state.writer = writer
        app.state.decoder = decoder
        app.state.translation = translation
        app.state.sockets.start(store)
        app.state.bus, app.state.leases, redis_client = await _bus(settings, app.state.broker)
        await app.state.bus.start()
        if app.state.leases is not None:
            app.state.leases.start()
        app.state.registry = SessionRegistry(SessionServices(
            app.state.bus, metrics.timed(decoder), RecognizerConfig(final_beam_size=settings.final_beam_size),
            max_queued_s=settings.audio_queue_s, policy=settings.recognizer_policy, writer=writer,
            translation=translation, inference_nice=settings.inference_nice, default_languages=resolved.languages))
        lifecycle = LifecycleWatch(app, grace_s=settings.session_end_grace_s,
                                   idle_timeout_s=settings.session_idle_timeout_s).start()
        app.state.outputs = OutputHub(
            app.state.registry, store, app.state.bus,
            RetryPolicy(base_s=settings.output_retry_base_s, max_s=settings.output_retry_max_s,
                        timeout_s=settings.output_timeout_s, queue_captions=settings.output_queue_captions),
            on_delivered=metrics.output_delivered).start()
        try:
            yield
        finally:
            await lifecycle.stop()
            await app.state.outputs.stop()
            await app.state.sockets.stop()
            if app.state.leases is not None:
                await app.state.leases.stop()
            await app.state.bus.stop()
            if redis_client is not None:
                await redis_client.aclose()
            if translation is not None:
                await asyncio.to_thread(translation.stop)
            await asyncio.to_thread(writer.stop)
            await asyncio.to_thread(store.close)

    app = FastAPI(title="floorcast", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Live, multilingual captions for conference meetings")
    app.state.settings = settings
    app.state.broker = Broker(settings.viewer_queue_events)
    app.state.sockets = OpenSockets(ingest_idle_timeout_s=settings.ingest_idle_timeout_s)
    app.state.metrics = ServiceMetrics(app.state)
    app.state.rate_limits = RateLimits(
        auth_failures_per_minute=settings.auth_failures_per_minute, search_per_minute=settings.search_per_minute,
        join_code_failures_per_session_per_minute=settings.join_code_failures_per_session_per_minute)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.allowed_origins:  # otherwise no CORS headers at all: this origin only
        app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)
    app.add_middleware(SecurityHeaders)  # outermost but one: also on the 413s and CORS answers
    if settings.trusted_proxies:  # outermost: every layer sees the client the proxy saw (run uvicorn without its own)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    install_error_handlers(app)
    app.include_router(routes_tokens.router, responses=ERROR_RESPONSES)
    app.include_router(routes_sessions.router, responses=ERROR_RESPONSES)
    app.include_router(routes_share.router, responses=ERROR_RESPONSES)
    app.include_router(ingest_control.router, responses=ERROR_RESPONSES)
    app.include_router(routes_outputs.router, responses=ERROR_RESPONSES)
    app.include_router(ingest_ws.router)
    app.include_router(captions_ws.router)
    app.include_router(routes_transcripts.router, responses=ERROR_RESPONSES)
    app.include_router(routes_segments.router, responses=ERROR_RESPONSES)
    app.include_router(routes_translation.router)
    app.include_router(routes_ops.router)

    app.include_router(routes_pages.router)
    app.include_router(routes_live_vtt.router)
    app.mount("/docs/assets", StaticFiles(directory=routes_pages.API_DOCS_ASSETS), name="api-docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
