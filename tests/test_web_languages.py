"""Language honesty in the viewer: before a language is chosen, the menu says which ones this session
cannot translate into (they would show the captions as spoken), from the session's own coverage."""

from __future__ import annotations

import asyncio

import pytest

from web.browser import axe_violations, open_page, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]


def test_the_language_menu_marks_languages_without_an_engine_before_they_are_chosen(server, chromium):
    session = server.create_session(title="Menu honesty", allowed_languages=["en"], translation_languages=["fr", "es"])
    missing = set(session["missing_directions"])
    expected = {"ar", "zh", "ru"} | {code for code in ("fr", "es") if f"en-{code}" in missing}

    async def main() -> dict[str, dict]:
        async with chromium() as browser:
            page = await open_page(browser, server, f"/s/{session['id']}", bypass_csp=True)
            await wait_for_text(page, "#connection", "^Live$")
            await page.wait_for_selector("#lang option[data-untranslated]", state="attached")
            options = await page.eval_on_selector_all(
                "#lang option", "els => Object.fromEntries(els.filter((o) => o.value).map((o) => [o.value,"
                " {text: o.textContent, marked: o.dataset.untranslated === 'true', lang: o.lang}]))")
            assert await axe_violations(page) == []
            return options

    options = asyncio.run(main())
    assert {code for code, o in options.items() if o["marked"]} == expected, options
    for code, option in options.items():
        if option["marked"]:
            assert option["text"].endswith("— no translation, shown as spoken") and option["lang"] == "", option
        else:
            assert "no translation" not in option["text"] and option["lang"] == code, option
    assert options["en"]["text"] == "English", "the language spoken is never marked"
