"""schemathesis against the OpenAPI schema of a real server: no input makes any route answer 5xx.

Every operation of ``/openapi.json`` is called with generated requests, valid
and invalid (schemathesis' positive and negative modes), with the admin token.
About half the requests with a session or segment id in their path are aimed
at real records instead of random ids: GETs at a session recorded from a real
clip (and its segments), changes at a live session that is replaced once it
has been ended or deleted. Checks: no 5xx, and a response with a documented
status matches its documented schema and content type.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from support import LiveServer, ServerProcess, load_audio, pcm16, stream_pcm

pytestmark = [pytest.mark.model]

EXAMPLES_PER_OPERATION = 40
JFK = "asr/en/whisper_jfk/jfk.flac"


@pytest.fixture(scope="module")
def api_server(base_model, data_dir, tmp_path_factory) -> LiveServer:
    root = tmp_path_factory.mktemp("openapi")
    with ServerProcess(data_dir, root / "server.log", env={"FLOORCAST_DATABASE_URL": f"sqlite:///{root / 'api.db'}"}) \
            as process:
        yield process.live


@dataclass
class RealRecords:
    server: LiveServer
    recorded_session: str
    segments: list[str]
    live_session: str = ""

    def target(self, case) -> None:
        """Aim a generated request at a real session or segment (deterministically, for about half)."""
        params = case.path_parameters
        if "session_id" in params and len(str(params["session_id"])) % 2 == 0:
            params["session_id"] = self.recorded_session if case.method.upper() == "GET" else self._live()
        if "segment_id" in params and len(str(params["segment_id"])) % 2 == 0:
            params["segment_id"] = self.segments[len(str(params["segment_id"])) % len(self.segments)]

    def _live(self) -> str:
        with self.server.http() as client:
            found = client.get(f"/v1/sessions/{self.live_session}") if self.live_session else None
        if found is None or found.status_code != 200 or found.json()["status"] != "live":
            self.live_session = self.server.create_session(title="schemathesis target")["id"]
        return self.live_session


@pytest.fixture(scope="module")
def real_records(api_server, clip) -> RealRecords:
    session_id = api_server.create_session(title="recorded", translation_languages=["es", "fr"])["id"]
    asyncio.run(stream_pcm(api_server, session_id, pcm16(load_audio(clip(JFK)))))
    with api_server.http() as client:
        transcript = client.get(f"/v1/sessions/{session_id}/transcript").json()
    segments = [line["segment_id"] for line in transcript["lines"]]
    assert segments, transcript
    return RealRecords(api_server, session_id, segments)


def _openapi_document() -> dict:
    """The app's OpenAPI document, built without starting it (the tests need it at collection time;
    schemathesis' lazy fixture loader does not work with this pytest). The server must serve the same."""
    from service.app import create_app
    from service.settings import Settings

    return create_app(Settings(admin_token="collection-only-token")).openapi()


OPENAPI = _openapi_document()
schema = schemathesis.openapi.from_dict(OPENAPI)


def test_the_server_serves_this_schema(api_server):
    response = httpx.get(f"{api_server.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200 and response.json() == OPENAPI


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_request_makes_a_route_fail(case, api_server, real_records):
    real_records.target(case)
    response = case.call(base_url=api_server.base_url, headers=api_server.headers, timeout=30)
    case.validate_response(response, checks=[checks.not_a_server_error, checks.response_schema_conformance,
                                             checks.content_type_conformance])
