"""Settings read from the environment (prefix ``FLOORCAST_``) with embedded defaults."""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "get_settings", "settings_problems", "UN_LANGUAGES"]

UN_LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")
_ORIGIN = re.compile(r"https?://[^/\s]+")


class Settings(BaseSettings):
    """Everything a deployment may change; defaults give a working room on one machine."""

    model_config = SettingsConfigDict(env_prefix="FLOORCAST_", env_file=None, extra="ignore")

    environment: Literal["development", "production"] = Field("development", description="development | production")
    data_dir: Path = Field(Path(".data"), description="Where assembled models and state live")
    host: str = "127.0.0.1"
    port: int = 8000
    model: str = Field("auto", description="auto, a catalog name (base, tiny.en), a CTranslate2 dir, or a faster-whisper name")
    cpu_threads: int = 2
    inference_nice: int = Field(
        10, ge=0, le=19, description="How far below the event loop recognition and translation run (Linux nice "
                                     "levels), so that captions reach viewers while the decoders use every core; 0: same")
    admin_token: str = Field("", description="The bootstrap admin credential (Bearer); generated at start when empty")
    redis_url: str | None = Field(None, description="redis://... : fan-out across instances, session leases")
    instance_id: str = Field("", description="This instance's name in Redis leases (default: host-pid-random)")
    database_url: str | None = Field(None, description="postgresql+psycopg://... ; default: SQLite in the data dir")
    eval_dir: Path = Field(Path("../shared/eval"), description="Evaluation data for tests and benchmarks")
    max_frame_bytes: int = 1024 * 1024
    audio_queue_s: float = Field(30.0, description="Seconds of audio a channel may buffer before ingest is slowed")
    viewer_queue_events: int = 512
    decode_window: Literal["tight", "full"] = Field("tight", description="tight: encoder sees the utterance only; full: padded 30 s window")
    recognizer_policy: Literal["vad", "naive"] = Field("vad", description="vad (default) or naive (re-decode growing buffer, LocalAgreement-2)")
    final_beam_size: int = 5
    translation: bool = Field(True, description="Translate finals into the session's languages (false: captions as spoken only)")
    translation_engines: dict[str, str] = Field(
        default_factory=dict, description='Engine per direction, e.g. {"en-es": "apertium", "en-ar": "none"}')
    translation_threads: int = Field(1, description="Translation worker threads (each may use one CPU core)")
    speech_translation: Literal["auto", "on", "off"] = Field(
        "auto", description="English decoded from the audio for floor languages no text engine translates into "
                            "English (a second decode per final, one thread below the recogniser); auto: on with "
                            "4 cores or more and a multilingual model")
    speech_translation_queue: int = Field(4, ge=1, le=64, description="Speech translation jobs that may wait; "
                                                                      "more are refused (marked untranslated)")
    apertium_command: str = "apertium"
    libretranslate_url: str = Field("", description="A LibreTranslate server to translate with (e.g. "
                                                    "http://libretranslate:5000); empty: none")
    libretranslate_api_key: str = Field("", description="Its API key, when the server asks for one")
    libretranslate_timeout_s: float = Field(10.0, gt=0, le=120, description="Per request to LibreTranslate")
    libretranslate_retries: int = Field(2, ge=0, le=10, description="Tries again on no answer, 429 or 5xx")
    libretranslate_rest_s: float = Field(30.0, ge=0, le=3600, description="After that still fails, this long "
                                         "with no request: captions go untranslated at once instead of waiting")
    verify_models: bool = True
    log_format: Literal["json", "text"] | None = Field(None, description="json or text; default: json in production")
    metrics_token: str = Field("", description="Bearer token /metrics asks for; empty: none")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Other web origins whose pages may call the API and open websockets: "
                                          'https://a.example,https://b.example or ["https://a.example"]; "*" any; '
                                          "empty: this origin only")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="Largest HTTP request body; larger ones get 413")
    auth_failures_per_minute: int = Field(
        20, ge=1, description="Different unknown tokens one client address may present a minute, and different "
                              "wrong join codes for one session, before 429 (known tokens are never refused)")
    session_end_grace_s: float = Field(
        90.0, ge=0, description="A session ends this long after its last ingest client stopped, unless one "
                                "reconnects (floorcast stream --retry-for continues the same session)")
    session_idle_timeout_s: float = Field(1800.0, gt=0, description="A live session that gets no audio this long ends")
    join_code_failures_per_session_per_minute: int = Field(
        100, ge=1, description="Different wrong join codes for one session a minute, from all addresses together, "
                               "before that session's join code is refused (429) until the window moves")
    search_per_minute: int = Field(60, ge=1, description="Searches per minute per token before 429")
    ingest_idle_timeout_s: float = Field(
        300.0, gt=0, description="An ingest client that sends no audio this long is closed (4408) and its channel "
                                 "freed")
    ingest_handover_s: float = Field(
        60.0, gt=0, le=600, description="A client reconnecting to a channel while its previous connection's last "
                                        "audio is still being captioned waits this long for it before 4409")
    header_timeout_s: float = Field(
        10.0, gt=0, le=300, description="A connection's request line and headers must arrive within this long, "
                                        "else 408 and the connection is closed (slow-header clients)")
    max_connections: int = Field(
        4000, ge=10, description="Connections (HTTP and websockets) one instance holds; a new one beyond gets 503")
    max_sockets_per_client: int = Field(
        1000, ge=1, description="Open websockets from one client address (a venue's NAT: every delegate's "
                                "phone); one more is closed 1013")
    output_retry_max_s: float = Field(
        5.0, gt=0, le=300, description="Longest wait between two tries of a caption output's post (Zoom, YouTube, "
                                       "webhook); waits double from output_retry_base_s, randomised")
    output_retry_base_s: float = Field(0.25, gt=0, le=60, description="First wait before a failed output post is "
                                                                       "tried again")
    output_timeout_s: float = Field(10.0, gt=0, le=120, description="An output post that takes longer has failed")
    output_queue_captions: int = Field(
        500, ge=10, le=100_000, description="Captions one output holds while its destination is away; beyond, the "
                                            "oldest is dropped and counted as failed")
    max_live_sessions_per_token: int = Field(
        20, ge=1, description="Live sessions one captioner token may have created on an instance at once; the "
                              "next POST /v1/sessions gets 409 until one ends (admin tokens are not capped)")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Peers whose X-Forwarded-For/-Proto are believed (the reverse proxy in "
                                          "front): addresses or networks, comma-separated, or \"*\"; empty (the "
                                          "default): none, the client address is the peer's")
    overlay_frame_ancestors: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"], description="Who may frame the webcast overlay (/overlay/...): origins, "
                                                   "'self' or \"*\" (any; the default); every other page may "
                                                   "not be framed at all")

    @field_validator("overlay_frame_ancestors", mode="before")
    @classmethod
    def _ancestors(cls, value: object) -> list[str]:
        return _origin_list(value, ("*", "'self'", "'none'"), "https://webcast.example.org, 'self' or *") or ["'none'"]

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> list[str]:
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        proxies = [str(proxy).strip() for proxy in value or [] if str(proxy).strip()]
        for proxy in proxies:
            if proxy != "*":
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ValueError(f"{proxy!r} is not an address or network such as 10.0.0.5 or 172.28.0.0/24"
                                     ) from None
        return proxies

    @model_validator(mode="after")
    def _token(self) -> "Settings":
        if not self.admin_token:
            if self.environment == "production":
                raise ValueError("FLOORCAST_ADMIN_TOKEN must be set in production")
            self.admin_token = secrets.token_urlsafe(24)
        elif self.environment == "production" and len(self.admin_token) < 16:
            raise ValueError("FLOORCAST_ADMIN_TOKEN must be at least 16 characters in production")
        return self

    @field_validator("libretranslate_url")
    @classmethod
    def _libretranslate_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"FLOORCAST_LIBRETRANSLATE_URL must be an http(s) URL, not {value!r}")
        return value.rstrip("/")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> list[str]:
        return _origin_list(value, ("*",), "https://captions.example.org (no path)")

    @model_validator(mode="after")
    def _log_format(self) -> "Settings":
        if self.log_format is None:
            self.log_format = "json" if self.environment == "production" else "text"
        return self


def settings_problems(exc: ValidationError) -> list[str]:
    """One line per refused setting, named as the environment variable a deployment sets."""
    lines = []
    for error in exc.errors():
        name = "_".join(str(part) for part in error["loc"]).upper()
        where = f"FLOORCAST_{name}" if name else "settings"
        got = f" (got {error['input']!r})" if name and not isinstance(error.get("input"), dict) else ""
        lines.append(f"{where}: {error['msg']}{got}")
    return lines


@lru_cache
def get_settings() -> Settings:
    return Settings()


def _origin_list(value: object, keywords: tuple[str, ...], example: str) -> list[str]:
    """A list setting of origins, from JSON or comma-separated text; each an origin or one of ``keywords``."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("[") else value.split(",")
    origins = [str(origin).strip().rstrip("/") for origin in value or [] if str(origin).strip()]
    for origin in origins:
        if origin not in keywords and not _ORIGIN.fullmatch(origin):
            raise ValueError(f"{origin!r} is not an origin such as {example}")
    return origins
