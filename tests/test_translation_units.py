"""Pure parts of models.translation: languages, long-text cutting, glossary matching, exports, the CLI."""

from __future__ import annotations

import importlib
import json
import pkgutil
import secrets

import pytest
import typer
from typer.testing import CliRunner

import models.translation
from models.translation.chunking import join_pieces, split_long_text
from models.translation.engine import UnknownLanguage
from models.translation.glossary import Glossary, GlossaryError
from models.translation.languages import DIRECTIONS, LANGUAGES, UN_CODES, parse_direction

pytest_plugins = ["translation_fixtures"]


def test_six_languages_and_thirty_directions():
    assert UN_CODES == ("ar", "zh", "en", "fr", "ru", "es")
    assert [LANGUAGES[c].native_name for c in UN_CODES] == ["العربية", "中文", "English", "Français", "Русский",
                                                             "Español"]
    assert LANGUAGES["zh"].english_name == "Chinese"
    assert len(DIRECTIONS) == 30 == len(set(DIRECTIONS))
    assert all(src != tgt for src, tgt in DIRECTIONS)
    assert parse_direction(" EN-es ") == ("en", "es")
    for bad in ("en-en", "en", "en-de", "en-es-fr"):
        with pytest.raises(ValueError):
            parse_direction(bad)


def test_every_module_declares_what_it_exports():
    for info in pkgutil.iter_modules(models.translation.__path__):
        module = importlib.import_module(f"models.translation.{info.name}")
        assert module.__all__, info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.{name}"


@pytest.mark.parametrize("text", [
    "The Commission adopted its report. " * 300,
    "会议现在开始。" * 1500,
    "x" * 10_000,
    "word " * 2500,
    "A long sentence without a full stop " * 250 + ". Then a short one.",
])
def test_long_texts_are_cut_into_bounded_pieces_that_join_back(text):
    pieces = split_long_text(text, 600)
    assert len(pieces) > 1
    assert all(0 < len(piece) <= 600 for piece, _ in pieces)
    assert join_pieces([p for p, _ in pieces], pieces) == text.strip()


def test_short_text_is_one_piece():
    assert split_long_text("The meeting is open.", 600) == [("The meeting is open.", "")]


def test_glossary_protects_longest_terms_case_insensitively_and_whole_words_only():
    glossary = Glossary({"Conference": {"es": "Conferencia"},
                         "Plenipotentiary Conference": {"es": "Conferencia de Plenipotenciarios"},
                         "ITU": {"es": "UIT"}})
    protected = glossary.protect("The plenipotentiary conference of ITU met; the Conference of ITUs too.", "en",
                                 "es")
    assert protected.text == "The ZXQ0QXZ of ZXQ1QXZ met; the ZXQ2QXZ of ITUs too."
    assert [r.rendering for r in protected.replacements] == ["Conferencia de Plenipotenciarios", "UIT",
                                                              "Conferencia"]
    assert protected.restore("La zxq0qxz de ZXQ 1 QXZ; la ZXQ2QXZ.") == (
        "La Conferencia de Plenipotenciarios de UIT; la Conferencia.")
    assert protected.restore("La ZXQ0QXZ de ZXQ0QXZ; la ZXQ2QXZ.") is None  # duplicated, one lost
    assert protected.restore("La ZXQ0QXZ de ZXQ1QXZ; la ZXQ2QXZ ZXQ9QXZ.") is None


def test_glossary_matches_the_source_language_rendering_and_skips_missing_targets():
    glossary = Glossary({"Member States": {"fr": "États membres", "es": "Estados Miembros"}})
    protected = glossary.protect("Les états membres ont voté.", "fr", "es")
    assert [r.source for r in protected.replacements] == ["états membres"]
    assert glossary.protect("Member States voted.", "en", "ru").replacements == ()
    assert glossary.protect("Member States voted.", "en", "en").replacements == ()
    chinese = Glossary({"国际电联": {"en": "ITU"}}).protect("国际电联会议", "zh", "en")
    assert chinese.text == "ZXQ0QXZ会议"


def test_bad_glossaries_are_refused():
    with pytest.raises(UnknownLanguage):
        Glossary({"ITU": {"de": "ITU"}})
    with pytest.raises(GlossaryError, match="empty rendering"):
        Glossary({"ITU": {"es": "  "}})
    with pytest.raises(GlossaryError, match="non-empty"):
        Glossary({"": {"es": "x"}})


def _cli(data_dir, engines=None) -> typer.Typer:
    from service.cli_translation import register
    from service.settings import Settings

    class TranslationSettings(Settings):  # what the lead adds to Settings: per-direction engine choice
        translation_engines: dict[str, str] = {}

    app, models_app = typer.Typer(), typer.Typer()
    app.add_typer(models_app, name="models")
    register(models_app, lambda: TranslationSettings(admin_token=secrets.token_urlsafe(24), data_dir=data_dir,
                                                     translation_engines=engines or {}))
    return app


def test_cli_install_translation_and_status(tmp_path, argos_archives, apertium_installed):
    app, runner = _cli(tmp_path), CliRunner()
    done = runner.invoke(app, ["models", "install-translation", str(argos_archives.en_fr),
                               str(argos_archives.en_de)])
    output = " ".join(done.output.split())  # rich wraps lines at the terminal width
    assert done.exit_code == 1
    assert "installed en -> fr" in output and "de is not one of the UN languages" in output
    status = runner.invoke(app, ["models", "translation-status", "--json"])
    assert status.exit_code == 0, status.output
    rows = {row["direction"]: row for row in json.loads(status.output)}
    assert len(rows) == 30 and rows["en-fr"]["engine"] == "argos" and rows["en-fr"]["route"] == "direct"
    table = runner.invoke(app, ["models", "translation-status"])
    assert table.exit_code == 0 and "en-fr" in table.output and "directions covered" in table.output
    if apertium_installed:
        overridden = runner.invoke(_cli(tmp_path, {"en-fr": "apertium"}), ["models", "translation-status", "--json"])
        rows = {row["direction"]: row for row in json.loads(overridden.output)}
        assert (rows["en-fr"]["engine"], rows["en-fr"]["route"], rows["en-fr"]["via"]) == ("apertium", "pivot", "es")
    assert runner.invoke(app, ["models", "install-translation"]).exit_code == 2
