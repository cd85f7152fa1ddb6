"""Which events a viewer receives for ``?lang=`` and ``?source=`` (pure logic, no server)."""

from __future__ import annotations

import pytest

from service.viewer_filter import ViewerChoice, accepts

FLOOR_EN = {"type": "final", "channel": "floor", "lang": "en", "text": "The meeting is open."}
FLOOR_FR = {"type": "final", "channel": "floor", "lang": "fr", "text": "La séance est ouverte."}
MT_FR = {"type": "final", "channel": "floor", "lang": "fr", "source_lang": "en", "text": "…", "translated": True}
MT_ES = {"type": "final", "channel": "floor", "lang": "es", "source_lang": "en", "text": "…", "translated": True}
BOOTH_FR = {"type": "final", "channel": "booth-fr", "lang": "fr", "text": "La séance est ouverte."}
PARTIAL_EN = {"type": "partial", "channel": "floor", "lang": "en", "text": "The meet", "stable": 0}
ENDED = {"type": "session_ended"}
FR_BOOTH = frozenset({"booth-fr"})


@pytest.mark.parametrize("choice, delivered", [
    (ViewerChoice(), [FLOOR_EN, FLOOR_FR, BOOTH_FR, PARTIAL_EN, ENDED]),
    (ViewerChoice("fr", booths=FR_BOOTH), [FLOOR_FR, BOOTH_FR, ENDED]),
    (ViewerChoice("fr", "machine", FR_BOOTH), [FLOOR_FR, MT_FR, ENDED]),
    (ViewerChoice("fr", "interpretation", FR_BOOTH), [BOOTH_FR, ENDED]),
    (ViewerChoice("en", booths=frozenset()), [FLOOR_EN, PARTIAL_EN, ENDED]),
    (ViewerChoice("es"), [MT_ES, ENDED]),
])
def test_session_with_a_french_booth(choice, delivered):
    events = [FLOOR_EN, FLOOR_FR, MT_FR, MT_ES, BOOTH_FR, PARTIAL_EN, ENDED]
    assert [e for e in events if accepts(choice, e)] == delivered


@pytest.mark.parametrize("choice, delivered", [
    (ViewerChoice(), [FLOOR_EN, FLOOR_FR, PARTIAL_EN, ENDED]),
    (ViewerChoice("fr"), [FLOOR_FR, MT_FR, ENDED]),
    (ViewerChoice("fr", "machine"), [FLOOR_FR, MT_FR, ENDED]),
    (ViewerChoice("fr", "interpretation"), [ENDED]),
    (ViewerChoice("es"), [MT_ES, ENDED]),
])
def test_session_without_booths_gets_the_floor_translated(choice, delivered):
    events = [FLOOR_EN, FLOOR_FR, MT_FR, MT_ES, PARTIAL_EN, ENDED]
    assert [e for e in events if accepts(choice, e)] == delivered
