"""Which caption events a viewer receives, given the language and source it asked for.

A viewer asks for a language (``?lang=fr``) and a source (``?source=``):

* no language: every channel as spoken, no translations (the default);
* ``source=auto`` (default with a language): interpretation first. Where the
  session has a booth in that language, the viewer gets the booth's captions,
  plus the floor whenever the floor itself speaks that language (the booth is
  silent then); elsewhere the floor's captions in that language, translated
  where the floor spoke another one;
* ``source=machine``: the floor in that language, machine-translated where
  needed, even where a booth exists;
* ``source=interpretation``: only the booth in that language.

Events that are not captions (``session_ended``, ``record``) reach everyone.
Pure logic, no I/O: the broker calls :func:`accepts` for every viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ViewerChoice", "accepts", "Source"]

Source = Literal["auto", "machine", "interpretation"]
_CAPTIONS = frozenset({"partial", "final", "correction"})


@dataclass(frozen=True)
class ViewerChoice:
    lang: str | None = None
    source: Source = "auto"
    booths: frozenset[str] = frozenset()  # names of the session's channels in ``lang`` (interpretation)


def accepts(choice: ViewerChoice, event: dict) -> bool:
    if event.get("type") not in _CAPTIONS:
        return True
    translated = event.get("source_lang") is not None  # translation events carry the language they came from
    if choice.lang is None:
        return not translated
    if event.get("lang") != choice.lang:
        return False
    from_booth = event.get("channel") in choice.booths
    if choice.source == "interpretation":
        return from_booth
    if choice.source == "machine":
        return not from_booth
    # auto: the booth where there is one; the floor when it speaks this language itself
    if choice.booths:
        return from_booth or not translated
    return True
