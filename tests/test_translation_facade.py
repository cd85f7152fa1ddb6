"""The Translator facade and the router: real engines (Argos test packages, Debian's Apertium)."""

from __future__ import annotations

import pytest

from models.translation.engine import TextTooLong, UnknownLanguage
from models.translation.languages import DIRECTIONS
from models.translation.router import RoutingSettingError
from models.translation.translator import TranslationResult, Translator

pytest_plugins = ["translation_fixtures"]


@pytest.fixture()
def translator(argos_data_dir) -> Translator:
    return Translator(argos_data_dir, {})


def test_status_lists_all_30_directions_argos_first_then_apertium(translator, apertium_installed):
    rows = {row.direction: row for row in translator.status()}
    assert len(rows) == 30 and set(rows) == {f"{s}-{t}" for s, t in DIRECTIONS}
    assert (rows["en-fr"].engine, rows["en-fr"].route) == ("argos", "direct")
    assert (rows["en-es"].engine, rows["en-es"].route) == ("argos", "direct")
    assert (rows["fr-es"].engine, rows["fr-es"].route, rows["fr-es"].via) == ("argos", "pivot", "en")
    assert (rows["en-ru"].engine, rows["en-ru"].route) == (None, "none")
    if apertium_installed:
        assert (rows["es-en"].engine, rows["es-en"].route) == ("apertium", "direct")
        assert (rows["es-fr"].engine, rows["es-fr"].route) == ("apertium", "direct")
    assert rows["en-fr"].to_dict()["direction"] == "en-fr"


@pytest.mark.usefixtures("require_apertium")
def test_setting_overrides_the_engine_for_a_direction(argos_data_dir):
    translator = Translator(argos_data_dir, {"en-es": "apertium", "fr-en": "none", "en-ru": "apertium"})
    rows = {row.direction: row for row in translator.status()}
    assert (rows["en-es"].engine, rows["en-es"].chosen_by) == ("apertium", "setting")
    assert (rows["fr-en"].engine, rows["fr-en"].note) == (None, "turned off by setting")
    assert rows["en-ru"].engine is None and "does not cover" in rows["en-ru"].note
    assert rows["en-fr"].engine == "argos"
    result = translator.translate("The meeting is open.", "en", ["es", "fr"])
    assert result["es"].engine == "apertium" and "reunión" in result["es"].text
    assert result["fr"].engine == "argos" and result["fr"].model_version == "argos:en-fr@1.0"


@pytest.mark.parametrize("setting, message", [({"en-xx": "apertium"}, "not a translation direction"),
                                              ({"en-es": "deepl"}, "unknown engine 'deepl'")])
def test_bad_engine_settings_are_refused(tmp_path, setting, message):
    with pytest.raises(RoutingSettingError, match=message):
        Translator(tmp_path, setting)


def test_results_for_every_kind_of_target(translator):
    results = translator.translate("The meeting is open.", "en", ["fr", "es", "ru", "en"])
    assert set(results) == {"fr", "es", "ru", "en"}
    assert isinstance(results["fr"], TranslationResult)
    assert results["fr"].translated and results["fr"].route == "direct" and results["fr"].engine == "argos"
    assert results["fr"].text != "The meeting is open."
    assert results["ru"] == TranslationResult("The meeting is open.", None, None, False, "none")
    assert results["en"].text == "The meeting is open." and results["en"].route == "identity"
    pivot = translator.translate("La séance est ouverte.", "fr", ["es"])["es"]
    assert (pivot.route, pivot.via, pivot.translated) == ("pivot", "en", True)


def test_empty_text_calls_no_engine(translator):
    argos = translator.argos
    before = (argos.cache.hits, argos.cache.misses, argos.models_loaded)
    results = translator.translate("", "en", ["fr", "es"])
    assert [r.text for r in results.values()] == ["", ""]
    assert all(r.engine == "argos" for r in results.values())
    assert translator.translate("  \n", "en", ["fr"])["fr"].text == "  \n"
    assert (argos.cache.hits, argos.cache.misses, argos.models_loaded) == before


@pytest.mark.timeout(120)
def test_ten_thousand_characters_are_cut_and_translated_in_one_batch(translator, un_corpus_dir):
    text = (un_corpus_dir / "UNv1.0.devset.en").read_text(encoding="utf-8")[:10_000] if un_corpus_dir else (
        "The Commission adopted its report on the situation. " * 200)[:10_000]
    text = text.replace("\n", " ")
    result = translator.translate(text, "en", ["fr"])["fr"]
    assert result.translated and result.text.strip()
    assert result.text.count("\n") == 0
    assert translator.argos.cache.misses >= 10_000 // translator.chunk_chars  # one entry per piece


def test_text_over_the_limit_and_unknown_codes_are_clear_errors(translator):
    with pytest.raises(TextTooLong, match="20000-character limit"):
        translator.translate("x" * 20_001, "en", ["fr"])
    with pytest.raises(UnknownLanguage, match="'de'.*ar, zh, en, fr, ru, es"):
        translator.translate("Hallo", "de", ["fr"])
    with pytest.raises(UnknownLanguage, match="'EN'"):
        translator.translate("Hello", "en", ["EN"])


@pytest.mark.parametrize("text", ["会议现在开始。", "Заседание открыто.", "الجلسة مفتوحة", "🙂🙂🙂", "\x00\x07 ~~~",
                                  "ZXQ0QXZ"])
def test_text_in_an_unexpected_script_never_crashes(translator, text, apertium_installed):
    results = translator.translate(text, "en", ["fr", "es", "zh"])
    assert results["fr"].translated and isinstance(results["fr"].text, str)
    assert results["zh"].text == text and not results["zh"].translated
    if apertium_installed:
        apertium_only = Translator(translator.data_dir, {"en-es": "apertium"})
        assert isinstance(apertium_only.translate(text, "en", ["es"])["es"].text, str)


def test_duplicate_targets_give_one_result(translator):
    assert list(translator.translate("Thank you.", "en", ["fr", "fr", "es"])) == ["fr", "es"]


@pytest.mark.usefixtures("require_apertium")
def test_a_failing_engine_leaves_the_other_languages_translated(argos_data_dir):
    from models.translation.apertium import ApertiumEngine
    from models.translation.argos import ArgosEngine

    unreachable = ApertiumEngine()
    assert unreachable.covers("en", "es")  # modes are read now; from here on every run times out
    unreachable.timeout_s, unreachable.seconds_per_char = 0.0, 0.0
    translator = Translator(argos_data_dir, {"en-es": "apertium"}, engines=[ArgosEngine(argos_data_dir), unreachable])
    results = translator.translate("The meeting is open.", "en", ["es", "fr"])
    assert results["es"].text == "The meeting is open." and not results["es"].translated
    assert "no answer" in results["es"].error
    assert results["fr"].translated and results["fr"].error is None
