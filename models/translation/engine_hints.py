"""How a deployment gets an engine for a direction: the line ``translation-status`` prints beside it.

Two sources are offline-friendly and real: Debian's Apertium pairs (en<->es, fr<->es, so en<->fr by
pivot through Spanish) and Argos Translate packages, either a ``.argosmodel`` file carried in or the
Argos package index (``floorcast models install-translation en-ar``, which needs the internet).
"""

from __future__ import annotations

from models.translation.languages import direction_key

__all__ = ["APERTIUM_DEBIAN_PACKAGES", "how_to_get"]

# Debian packages of Apertium pairs between UN languages (both directions each).
APERTIUM_DEBIAN_PACKAGES: dict[frozenset[str], str] = {
    frozenset({"en", "es"}): "apertium-eng-spa",
    frozenset({"fr", "es"}): "apertium-fr-es",
}


def _apertium_packages(src: str, tgt: str) -> list[str]:
    direct = APERTIUM_DEBIAN_PACKAGES.get(frozenset({src, tgt}))
    if direct:
        return [direct]
    via = [APERTIUM_DEBIAN_PACKAGES.get(frozenset({src, "es"})), APERTIUM_DEBIAN_PACKAGES.get(frozenset({"es", tgt}))]
    return [p for p in via if p] if all(via) else []


def how_to_get(src: str, tgt: str, *, route: str) -> str | None:
    """What to install for ``src -> tgt``; None when a direct engine already covers it."""
    if route in ("direct", "identity"):
        return None
    key = direction_key(src, tgt)
    # The Argos index's packages go to and from English; other directions are a pivot through it.
    wanted = [key] if "en" in (src, tgt) else [direction_key(src, "en"), direction_key("en", tgt)]
    argos = (f"floorcast models install-translation {' '.join(wanted)} (Argos package index, needs the internet; "
             f"or .argosmodel files for {' and '.join(wanted)})")
    apertium = _apertium_packages(src, tgt)
    options = [f"apt-get install apertium {' '.join(apertium)}"] if apertium and route == "none" else []
    prefix = "direct: " if route == "pivot" else ""
    return prefix + "; or ".join(options + [argos, f"a LibreTranslate server serving {key} (FLOORCAST_LIBRETRANSLATE_URL)"])
