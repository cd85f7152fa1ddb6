"""The Apertium engine and the glossary, on the Debian packages apertium-eng-spa and apertium-fr-es."""

from __future__ import annotations

import pytest

from models.translation.apertium import ApertiumEngine
from models.translation.engine import EngineFailure, UnsupportedDirection
from models.translation.glossary import Glossary
from models.translation.translator import Translator

pytest_plugins = ["translation_fixtures"]
pytestmark = pytest.mark.usefixtures("require_apertium")

UN_GLOSSARY = {
    "Plenipotentiary Conference": {"en": "Plenipotentiary Conference", "es": "Conferencia de Plenipotenciarios",
                                   "fr": "Conférence de plénipotentiaires"},
    "Member States": {"es": "Estados Miembros", "fr": "États membres", "en": "Member States"},
    "ITU-T": {"es": "UIT-T", "fr": "UIT-T"},
}


@pytest.fixture()
def apertium() -> ApertiumEngine:
    return ApertiumEngine()


def test_installed_modes_give_direct_and_pivot_directions(apertium):
    assert apertium.coverage("en", "es").route == "direct"
    assert apertium.coverage("es", "en").route == "direct"
    assert apertium.coverage("fr", "es").route == "direct"
    assert apertium.coverage("es", "fr").route == "direct"
    en_fr = apertium.coverage("en", "fr")
    assert (en_fr.route, en_fr.via) == ("pivot", "es")
    assert apertium.coverage("fr", "en").via == "es"
    assert not apertium.covers("en", "ru") and not apertium.covers("zh", "ar")
    assert apertium.version.lower().startswith("apertium")


def test_real_translations(apertium):
    [es] = apertium.translate_batch(["The meeting is open."], "en", "es")
    assert "reunión" in es
    [en] = apertium.translate_batch(["Se abre la sesión."], "es", "en")
    assert "session" in en.lower()
    [fr] = apertium.translate_batch(["The meeting is open."], "en", "fr")
    assert "réunion" in fr
    [es_from_fr] = apertium.translate_batch(["Les États membres ont voté."], "fr", "es")
    assert "Estados" in es_from_fr


def test_a_batch_is_one_process_and_stays_aligned(apertium):
    texts = ["The meeting is open.", "the red", "car is here", "", "Line with\nnewline inside",
             "A & B <c> > d", "Thank you, Mr. President.", "   "]
    out = apertium.translate_batch(texts, "en", "es")
    assert apertium.process_calls == 1
    singles = [ApertiumEngine().translate_batch([t], "en", "es")[0] for t in texts]
    assert out == singles
    assert out[1] != "El coche" and "rojo" in out[1]  # neighbours do not swap words across texts
    assert out[3] == "" and out[7] == "   "
    assert out[4].count("\n") == 1
    assert out[5].startswith("Un & B <c> >")


def test_unknown_words_are_not_marked_unless_asked():
    text = ["Tedros greeted the delegates."]
    assert "*" not in ApertiumEngine().translate_batch(text, "en", "es")[0]
    assert "*Tedros" in ApertiumEngine(mark_unknown=True).translate_batch(text, "en", "es")[0]


def test_cache_answers_repeats_without_a_process(apertium):
    apertium.translate_batch(["The meeting is open."], "en", "es")
    calls = apertium.process_calls
    assert "reunión" in apertium.translate_batch(["The meeting is open."], "en", "es")[0]
    assert apertium.process_calls == calls


def test_errors_are_translation_errors(apertium):
    with pytest.raises(UnsupportedDirection):
        apertium.translate_batch(["hello"], "en", "ru")
    with pytest.raises(EngineFailure, match="exited"):
        apertium._call("no-such-mode", ["hello"])
    with pytest.raises(EngineFailure, match="no answer"):
        ApertiumEngine(timeout_s=0.001, seconds_per_char=0.0)._call("eng-spa", ["hello " * 2000])
    assert not ApertiumEngine(command="apertium-not-installed").covers("en", "es")


def test_glossary_placeholders_survive_apertium(apertium):
    glossary = Glossary(UN_GLOSSARY)
    protected = glossary.protect("The Plenipotentiary Conference of ITU-T elected the Member States.", "en", "es")
    assert len(protected.replacements) == 3
    [out] = apertium.translate_batch([protected.text], "en", "es")
    restored = protected.restore(out)
    assert restored is not None
    for rendering in ("Conferencia de Plenipotenciarios", "UIT-T", "Estados Miembros"):
        assert rendering in restored


def test_translator_applies_the_glossary_through_apertium(tmp_path):
    translator = Translator(tmp_path, {"en-es": "apertium", "en-fr": "apertium"})
    text = "The plenipotentiary conference thanked the Member States and ITU-T."
    plain = translator.translate(text, "en", ["es"])["es"].text
    assert "Estados Miembros" not in plain  # Apertium alone says "Estados de miembro"
    results = translator.translate(text, "en", ["es", "fr"], glossary=UN_GLOSSARY)
    assert "Conferencia de Plenipotenciarios" in results["es"].text
    assert "Estados Miembros" in results["es"].text and "UIT-T" in results["es"].text
    assert "Conférence de plénipotentiaires" in results["fr"].text and "États membres" in results["fr"].text
    assert "ZXQ" not in results["es"].text + results["fr"].text


def test_glossary_post_edit_when_placeholders_are_lost(apertium):
    """A placeholder an engine drops: the engine's own rendering of the term is replaced instead."""
    glossary = Glossary(UN_GLOSSARY)
    protected = glossary.protect("The Member States voted.", "en", "es")
    lost = apertium.translate_batch([protected.text.replace("ZXQ0QXZ", "")], "en", "es")[0]
    assert protected.restore(lost) is None
    plain = apertium.translate_batch(["The Member States voted."], "en", "es")[0]
    terms = dict(zip(protected.source_terms, apertium.translate_batch(protected.source_terms, "en", "es")))
    edited = protected.post_edit(plain, terms)
    assert "Estados Miembros" in edited and "Estados de miembro" not in edited
