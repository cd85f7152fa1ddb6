"""Security headers on every response, and what they do in a real Chromium (issue 15 item 6).

Every page has a Content-Security-Policy and may not be framed, except the
webcast overlay, which only the origins of ``FLOORCAST_OVERLAY_FRAME_ANCESTORS``
may frame; every other response carries ``default-src 'none'`` and every
response ``nosniff``. ``/docs`` renders the API's Swagger UI with no request
leaving this server.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
from urllib.parse import urlsplit

import httpx
import pytest

from support import ServerProcess, free_port
from web.browser import PageLog

pytestmark = [pytest.mark.model]

PAGES = ["/", "/s/K7QMZP4W", "/console", "/staff", "/staff/sessions/K7QMZP4W", "/docs"]
FRAMER_PORT = free_port()
FRAMER = f"http://localhost:{FRAMER_PORT}"  # the webcast page allowed to frame the overlay
ELSEWHERE = f"http://127.0.0.1:{FRAMER_PORT}"  # the same page, from an origin not on the list


def _directives(csp: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in csp.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_a_csp_and_may_not_be_framed(server, path):
    response = httpx.get(server.base_url + path, timeout=10)
    assert response.status_code == 200, response.text[:200]
    csp = _directives(response.headers["content-security-policy"])
    assert csp["frame-ancestors"] == "'none'" and response.headers["x-frame-options"] == "DENY"
    assert csp["script-src"] == "'self'" and csp["object-src"] == "'none'", csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_overlay_may_be_framed_by_default(server):
    response = httpx.get(f"{server.base_url}/overlay/K7QMZP4W", timeout=10)
    assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == "*"
    assert "x-frame-options" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path, status", [
    ("/healthz", 200), ("/openapi.json", 200), ("/v1/sessions", 401), ("/v1/sessions/NOPE2345", 404),
    ("/static/viewer.js", 200), ("/docs/assets/swagger-ui.css", 200), ("/no/such/route", 404),
])
def test_every_other_response_is_nosniff_and_scriptless(server, path, status):
    headers = server.headers if path == "/v1/sessions/NOPE2345" else {}
    response = httpx.get(server.base_url + path, headers=headers, timeout=10)
    assert response.status_code == status, (path, response.status_code)
    assert response.headers["x-content-type-options"] == "nosniff", path
    assert _directives(response.headers["content-security-policy"]) == {"default-src": "'none'",
                                                                        "frame-ancestors": "'none'"}, path


@pytest.fixture(scope="module")
def framed_server(base_model, data_dir, tmp_path_factory):
    env = {"FLOORCAST_OVERLAY_FRAME_ANCESTORS": FRAMER}
    with ServerProcess(data_dir, tmp_path_factory.mktemp("framed") / "server.log", env=env) as process:
        yield process.live


def test_chromium_frames_the_overlay_for_the_allowed_origin_and_never_the_console(framed_server, chromium):
    server = framed_server
    session_id = server.create_session(title="framed", public=True)["id"]
    response = httpx.get(f"{server.base_url}/overlay/{session_id}", timeout=10)
    assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == FRAMER

    framer_html = (f'<!doctype html><title>webcast</title>'
                   f'<iframe id="overlay" src="{server.base_url}/overlay/{session_id}"></iframe>'
                   f'<iframe id="console" src="{server.base_url}/console"></iframe>'
                   f'<iframe id="staff" src="{server.base_url}/staff"></iframe>').encode()

    class WebcastPage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(framer_html)

        def log_message(self, *args) -> None:
            pass

    async def frames_from(origin: str) -> dict[str, bool]:
        """Which of the server's pages render inside iframes of a real page served from ``origin``."""
        async with chromium() as browser:
            page = await (await browser.new_context()).new_page()
            await page.goto(f"{origin}/")
            await page.wait_for_timeout(1500)
            rendered = {}
            for name in ("overlay", "console", "staff"):
                frame = await (await page.query_selector(f"#{name}")).content_frame()
                rendered[name] = frame is not None and urlsplit(frame.url).scheme == "http" and \
                    await frame.evaluate("() => !!document.querySelector('script[src]')")
            return rendered

    webcast = http.server.ThreadingHTTPServer(("127.0.0.1", FRAMER_PORT), WebcastPage)
    threading.Thread(target=webcast.serve_forever, daemon=True).start()
    try:
        assert asyncio.run(frames_from(FRAMER)) == {"overlay": True, "console": False, "staff": False}
        assert asyncio.run(frames_from(ELSEWHERE)) == {"overlay": False, "console": False, "staff": False}
    finally:
        webcast.shutdown()



def test_api_docs_render_with_nothing_from_another_host(server, chromium):
    async def main() -> tuple[str, set[str], list[str]]:
        async with chromium() as browser:
            page = await (await browser.new_context()).new_page()
            log = PageLog()
            log.attach(page)
            hosts: set[str] = set()
            page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
            await page.goto(f"{server.base_url}/docs")
            title = await page.locator(".info .title").first.text_content(timeout=30_000)
            await page.locator(".opblock-tag").first.wait_for(timeout=30_000)
            return title or "", hosts, log.errors

    title, hosts, errors = asyncio.run(main())
    assert title.startswith("floorcast"), title
    assert hosts == {urlsplit(server.base_url).netloc}, hosts
    assert errors == [], errors
