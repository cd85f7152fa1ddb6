"""The viewer page without an access token: a public session, a private one with its join code, in Chromium.

Each page is opened as a member of the audience would open it: no ``?token=``.
That it is really connected is shown by a live event: the captioner takes the
session off the record and the page shows the banner.
"""

from __future__ import annotations

import asyncio

import pytest

from security_support import SecureServer, http_client, secure_server  # noqa: F401  (fixture)
from web.browser import PageLog, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]


async def open_as_audience(browser, server: SecureServer, path: str, log: PageLog):
    page = await (await browser.new_context()).new_page()
    log.attach(page)
    await page.goto(f"{server.live.base_url}{path}")
    return page


async def banner_follows_the_record(page, server: SecureServer, session: str) -> None:
    """Off the record and back, as the session's captioner: the page's banner shows and hides."""
    url = f"/v1/sessions/{server.sessions[session]}"
    with http_client(server.live, server.token("captioner")) as captioner:
        assert captioner.patch(url, json={"off_record": True}).status_code == 200
        await page.wait_for_selector("#record-banner", state="visible", timeout=30_000)
        assert captioner.patch(url, json={"off_record": False}).status_code == 200
        await page.wait_for_selector("#record-banner", state="hidden", timeout=30_000)


def _real_errors(log: PageLog) -> list[str]:
    """Console errors other than the refused requests the test provokes on purpose."""
    return [e for e in log.errors if "401" not in e]


def test_a_public_session_plays_with_no_token(secure_server, chromium):
    async def main() -> None:
        async with chromium() as browser:
            log = PageLog()
            page = await open_as_audience(browser, secure_server, f"/s/{secure_server.sessions['P']}", log)
            await wait_for_text(page, "#connection", "^Live$")
            assert await page.text_content("#session-title") == "Session P"
            assert await page.locator("#token-input").count() == 0, "nobody is asked for anything"
            await banner_follows_the_record(page, secure_server, "P")
            assert log.errors == []

    asyncio.run(main())


def test_a_private_session_plays_with_the_join_code_in_the_link(secure_server, chromium):
    async def main() -> None:
        async with chromium() as browser:
            log = PageLog()
            b, code = secure_server.sessions["B"], secure_server.join_codes["B"]
            page = await open_as_audience(browser, secure_server, f"/s/{b}?code={code}", log)
            await wait_for_text(page, "#connection", "^Live$")
            assert "code=" not in page.url, "the code is kept by the tab, out of the address bar"
            await banner_follows_the_record(page, secure_server, "B")
            await page.reload()  # the tab keeps the code
            await wait_for_text(page, "#connection", "^Live$")
            assert log.errors == []

    asyncio.run(main())


def test_a_private_session_asks_for_its_join_code_and_refuses_a_wrong_one(secure_server, chromium):
    """Opened with a token that has since been revoked: the page asks, and the code replaces the token."""
    async def main() -> None:
        async with chromium() as browser:
            log = PageLog()
            stale = secure_server.token("revoked")  # a token this tab was once given, since revoked
            page = await open_as_audience(browser, secure_server, f"/s/{secure_server.sessions['B']}?token={stale}",
                                          log)
            await wait_for_text(page, "#connection", "private")
            assert await page.text_content("label[for=token-input]") == "Join code or access token"
            await page.fill("#token-input", secure_server.join_codes["A"])  # another session's code
            await page.click(".token-form button")
            await wait_for_text(page, "#connection", "not this session's")
            code = secure_server.join_codes["B"].lower()
            await page.fill("#token-input", f"{code[:4]}-{code[4:]}")  # as a person may type it
            await page.click(".token-form button")
            await wait_for_text(page, "#connection", "^Live$")
            assert _real_errors(log) == []

    asyncio.run(main())
