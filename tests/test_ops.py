"""Operations: /healthz, /readyz, /metrics and the JSON logs, on real servers.

* A real ``uvicorn`` process streams a real clip to a viewer; ``/metrics`` (parsed
  with prometheus-client's own parser) counts what the viewer saw, the decodes,
  the commits and the translations, and shows the ingest stream and the viewer
  while they are connected.
* ``/readyz`` turns 503 when the store cannot answer (a table renamed away on
  SQLite, a table locked on PostgreSQL) or the writer thread has stopped.
* ``floorcast serve`` in production writes JSON lines only, with the session on
  session lines, and the token (sent in query strings and headers) never appears.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from store_support import PG_ENV, fresh_database
from support import (REPO_ROOT, CaptionViewer, LiveServer, ServerProcess, expect_close, free_port, load_audio, pcm16,
                     stream_pcm)

JFK = "asr/en/whisper_jfk/jfk.flac"


def scrape(server: LiveServer, token: str | None) -> dict[tuple[str, tuple], float]:
    """``/metrics`` parsed: {(sample name, sorted labels): value}."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{server.base_url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def matching(samples: dict, name: str, **labels) -> list[float]:
    return [v for (n, found), v in samples.items() if n == name and set(labels.items()) <= set(found)]


# -- a real server with a metrics token -----------------------------------------------------
METRICS_TOKEN = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def ops_server(base_model, data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("ops")
    env = {"FLOORCAST_DATABASE_URL": f"sqlite:///{root / 'ops.db'}", "FLOORCAST_METRICS_TOKEN": METRICS_TOKEN}
    with ServerProcess(data_dir, root / "server.log", env=env) as process:
        yield process.live


@pytest.mark.model
def test_healthz_and_readyz_need_no_token(ops_server):
    health = httpx.get(f"{ops_server.base_url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok", "model": "base"}
    ready = httpx.get(f"{ops_server.base_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"model": "ok", "store": "ok", "store_writer": "ok"}}


@pytest.mark.model
def test_metrics_asks_for_its_token_when_one_is_set(ops_server):
    url = f"{ops_server.base_url}/metrics"
    for headers in ({}, {"Authorization": "Bearer wrong"}, ops_server.headers):  # the admin token is not it
        response = httpx.get(url, headers=headers, timeout=10)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
    assert value(scrape(ops_server, METRICS_TOKEN), "floorcast_ingest_streams") == 0


async def _stream_and_watch(server: LiveServer, session_id: str, pcm: bytes) -> tuple[list[dict], dict, dict]:
    """Stream with one viewer open; scrape once mid-stream and once after ``stopped``."""
    async with CaptionViewer(server, session_id) as viewer:
        streaming = asyncio.create_task(stream_pcm(server, session_id, pcm))
        during = {}
        async with asyncio.timeout(60):
            while not streaming.done():
                during = await asyncio.to_thread(scrape, server, METRICS_TOKEN)
                if value(during, "floorcast_ingest_streams") == 1:
                    break
                await asyncio.sleep(0.1)
        await streaming
        events = await viewer.catch_up()
        after = await asyncio.to_thread(scrape, server, METRICS_TOKEN)
    return events, during, after


@pytest.mark.model
def test_metrics_count_what_a_real_stream_did(ops_server, clip):
    before = scrape(ops_server, METRICS_TOKEN)
    translating = shutil.which("apertium") is not None  # en->es by Apertium, when it is installed
    session = ops_server.create_session(title="metrics", translation_languages=["es"] if translating else [])
    pcm = pcm16(load_audio(clip(JFK)))
    events, during, after = asyncio.run(_stream_and_watch(ops_server, session["id"], pcm))

    assert value(during, "floorcast_ingest_streams") == 1
    assert value(during, "floorcast_viewers") >= 1
    assert matching(during, "floorcast_audio_queued_seconds", session=session["id"], channel="floor")
    assert value(after, "floorcast_ingest_streams") == 0

    def grew(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    finals = [e for e in events if e["type"] == "final"]
    spoken = [e for e in finals if e["text"] and e.get("source_lang") is None]
    assert spoken, events
    # every event the viewer got was published once; the viewer follows the spoken language only
    assert grew("floorcast_caption_events_published_total", type="final") >= len(finals)
    assert grew("floorcast_caption_events_published_total", type="partial") >= sum(
        e["type"] == "partial" for e in events)
    assert grew("floorcast_recognition_decode_seconds_count", kind="final") >= len(spoken)
    assert grew("floorcast_recognition_decode_seconds_sum", kind="final") > 0
    assert grew("floorcast_store_commit_seconds_count") >= 1
    assert grew("floorcast_recognition_audio_seconds_total") >= len(pcm) / 32000 - 0.5
    assert grew("floorcast_recognition_busy_seconds_total") > 0
    if translating:  # one translation job per spoken final, all done before ``stopped``
        assert grew("floorcast_translation_latency_seconds_count") == len(spoken)
    assert value(after, "floorcast_store_writer_backlog", state="refused") == 0
    deadline = time.monotonic() + 10
    while value(scrape(ops_server, METRICS_TOKEN), "floorcast_viewers") != 0:  # the viewer has closed
        assert time.monotonic() < deadline, "viewer still counted after it closed"
        time.sleep(0.1)


# -- readiness, in process (the real store and writer) --------------------------------------
def _app(data_dir: Path, database_url: str | None, tmp_path: Path):
    from service.app import create_app
    from service.settings import Settings

    settings = Settings(data_dir=data_dir, model="base", admin_token=secrets.token_urlsafe(24), translation=False,
                        database_url=database_url or f"sqlite:///{tmp_path / 'ready.db'}")
    return create_app(settings)


def _readiness(client: TestClient) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.json()


@pytest.mark.model
def test_readyz_turns_503_when_the_store_fails_and_recovers(base_model, data_dir, tmp_path):
    from sqlalchemy import create_engine, text

    with TestClient(_app(data_dir, None, tmp_path)) as client:
        assert _readiness(client) == (200, {"status": "ready", "checks": {
            "model": "ok", "store": "ok", "store_writer": "ok"}})
        outside = create_engine(f"sqlite:///{tmp_path / 'ready.db'}")
        with outside.begin() as conn:
            conn.execute(text("ALTER TABLE sessions RENAME TO sessions_away"))
        code, body = _readiness(client)
        assert code == 503 and body["status"] == "not ready", body
        assert body["checks"]["store"].startswith("failed: ") and body["checks"]["model"] == "ok", body
        with outside.begin() as conn:
            conn.execute(text("ALTER TABLE sessions_away RENAME TO sessions"))
        outside.dispose()
        assert _readiness(client)[0] == 200


@pytest.mark.model
def test_readyz_turns_503_when_the_store_does_not_answer(base_model, data_dir, tmp_path):
    if not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} is not set (bash .ci/run starts PostgreSQL and sets it)")
    import psycopg
    from sqlalchemy.engine import make_url

    from service.routes_ops import STORE_TIMEOUT_S

    with fresh_database("postgres", tmp_path) as database, TestClient(_app(data_dir, database.url, tmp_path)) as client:
        assert _readiness(client)[0] == 200
        url = make_url(database.url)
        with psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                             dbname=url.database) as locker:
            locker.execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")  # held until the block ends
            code, body = _readiness(client)
            assert code == 503, body
            assert body["checks"]["store"] == f"no answer within {STORE_TIMEOUT_S} s", body
            locker.rollback()
        assert _readiness(client)[0] == 200


@pytest.mark.model
def test_readyz_turns_503_when_the_store_writer_stops(base_model, data_dir, tmp_path):
    with TestClient(_app(data_dir, None, tmp_path)) as client:
        assert _readiness(client)[0] == 200
        client.app.state.writer.stop()
        code, body = _readiness(client)
        assert (code, body["checks"]) == (503, {"model": "ok", "store": "ok", "store_writer": "stopped"}), body
        assert client.get("/healthz").status_code == 200  # alive, not ready


# -- logs ------------------------------------------------------------------------------------
def test_redaction_covers_query_strings_headers_and_tracebacks():
    from service.logging_setup import JsonFormatter, RedactSecrets, SessionContext, set_log_context

    secret = "s3cr3t-" + secrets.token_urlsafe(12)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SessionContext())
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("floorcast.test_ops")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)

    def emit() -> None:
        set_log_context(session_id="AbCd1234", channel="floor")
        logger.info('127.0.0.1:5 - "WebSocket /v1/sessions/AbCd1234/audio?channel=floor&token=%s" [accepted]', secret)
        logger.info("headers: %s", {"authorization": f"Bearer {secret}", "host": "x"})
        logger.info("Authorization: Bearer %s", secret)
        try:
            raise ValueError(f"bad url http://h/?admin_token={secret}")
        except ValueError:
            logger.exception("failed")
        logger.info("off the loop", extra={"session_id": "Other999", "channel": "booth-fr"})

    try:
        import contextvars

        contextvars.copy_context().run(emit)
        logger.info("no session here")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert secret not in output
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 6
    assert "token=[redacted]" in lines[0]["message"] and lines[2]["message"] == "Authorization: [redacted]"
    assert "[redacted]" in lines[1]["message"] and "[redacted]" in lines[3]["exception"]
    assert [(l.get("session_id"), l.get("channel")) for l in lines] == [("AbCd1234", "floor")] * 4 + [
        ("Other999", "booth-fr"), (None, None)]
    assert {"ts", "level", "logger", "message"} <= set(lines[0])


def test_text_logs_in_development_json_in_production_and_the_modules_export_what_they_declare():
    import importlib

    from service.logging_setup import RedactSecrets, SessionContext, TextFormatter
    from service.settings import Settings

    assert Settings(admin_token="x" * 24).log_format == "text"
    assert Settings(admin_token="x" * 24, environment="production").log_format == "json"
    assert Settings(admin_token="x" * 24, environment="production", log_format="text").log_format == "text"
    record = logging.LogRecord("service.ingest_ws", logging.INFO, __file__, 1, "ingest started at %s?token=%s",
                               ("/v1/x", "abc"), None)
    record.session_id, record.channel = "AbCd1234", "floor"
    for check in (SessionContext(), RedactSecrets()):
        check.filter(record)
    line = TextFormatter().format(record)
    assert line.endswith("INFO    service.ingest_ws: ingest started at /v1/x?token=[redacted]  "
                         "[session_id=AbCd1234 channel=floor]"), line
    for name in ("service.metrics", "service.logging_setup", "service.routes_ops"):
        module = importlib.import_module(name)
        assert module.__all__ and all(hasattr(module, item) for item in module.__all__), name


@contextlib.contextmanager
def floorcast_serve(env: dict[str, str], stdout: Path, stderr: Path):
    """``floorcast serve`` as a deployment runs it; stopped with SIGTERM so that every line is flushed."""
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=REPO_ROOT,
                                   env={**os.environ, **env}, stdout=out, stderr=err)
    try:
        base_url = f"http://127.0.0.1:{env['FLOORCAST_PORT']}"
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, stderr.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, stderr.read_text()
            time.sleep(0.2)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _session_traffic(server: LiveServer, session_id: str, pcm: bytes, wrong_token: str) -> None:
    async with websockets.connect(f"{server.ws_url}/v1/sessions/{session_id}/audio?token={wrong_token}") as ws:
        code, _, _ = await expect_close(ws)
        assert code == 4401
    async with CaptionViewer(server, session_id) as viewer:  # ?token= in its URL
        async with websockets.connect(server.audio_url(session_id, token=server.token)) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
            assert json.loads(await ws.recv())["type"] == "ready"
            for i in range(0, len(pcm), 3200):
                await ws.send(pcm[i:i + 3200])
                await asyncio.sleep(0.025)
            await ws.send(json.dumps({"type": "stop"}))
            assert json.loads(await ws.recv())["type"] == "stopped"
        await viewer.catch_up()
        assert any(e["type"] == "final" and e["text"] for e in viewer.events)


@pytest.mark.model
def test_serve_in_production_logs_json_lines_without_the_token(base_model, data_dir, clip, tmp_path):
    token = secrets.token_urlsafe(24)
    wrong_token = "not-the-token-" + secrets.token_urlsafe(12)
    env = {"FLOORCAST_ENVIRONMENT": "production", "FLOORCAST_ADMIN_TOKEN": token, "FLOORCAST_MODEL": "base",
           "FLOORCAST_DATA_DIR": str(data_dir), "FLOORCAST_PORT": str(free_port()), "HF_HUB_OFFLINE": "1",
           "FLOORCAST_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}", "FLOORCAST_TRANSLATION": "false"}
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    pcm = pcm16(load_audio(clip(JFK)))
    with floorcast_serve(env, stdout, stderr) as base_url:
        server = LiveServer(base_url, token, data_dir, stderr)
        with httpx.Client(base_url=base_url, timeout=30) as http:  # a token in the query string is logged
            assert http.get(f"/v1/sessions?token={token}", headers=server.headers).status_code == 200
            assert http.get(f"/v1/sessions?token={wrong_token}").status_code == 401
        session_id = server.create_session(title="logs")["id"]
        asyncio.run(_session_traffic(server, session_id, pcm, wrong_token))

    everything = stdout.read_text() + stderr.read_text()
    assert token not in everything and wrong_token not in everything
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.strip()]  # every line is JSON
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access" and "/v1/sessions?" in line["message"]]
    assert len(access) == 2 and all("token=[redacted]" in line["message"] for line in access), access
    accepted = [line for line in lines if "WebSocket" in line["message"] and "token=" in line["message"]]
    assert accepted and all("token=[redacted]" in line["message"] for line in accepted), accepted
    ingest = [line for line in lines if line["logger"] == "service.ingest_ws"]
    assert any(line["message"].startswith("ingest started") for line in ingest), ingest
    assert any(line["message"].startswith("ingest stopped") for line in ingest), ingest
    assert all((line.get("session_id"), line.get("channel")) == (session_id, "floor") for line in ingest), ingest
    viewers = [line for line in lines if line["logger"] == "service.captions_ws"]
    assert {line["message"] for line in viewers} >= {"viewer joined: lang=None source=auto since=None", "viewer left"}
    assert all(line.get("session_id") == session_id for line in viewers), viewers
