"""Per-utterance language identification, restricted to the session's allowed set."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LanguageChoice", "choose_language"]


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    probability: float
    fell_back: bool  # True when the detector was unsure and the previous language was kept


def choose_language(probs: dict[str, float], *, previous: str | None, threshold: float = 0.5,
                    stickiness: float = 1.0) -> LanguageChoice:
    """Pick the most likely allowed language; below ``threshold`` keep ``previous``.

    ``probs`` holds the detector's probabilities for the allowed languages only;
    they are renormalised over that set so that a floor restricted to the six
    UN languages is not distracted by, say, Portuguese. ``stickiness`` weighs
    the previous language up before renormalising: speakers switch language
    far less often than the detector errs on a second of audio.
    """
    if not probs:
        raise ValueError("no allowed language to choose from")
    if previous in probs and stickiness != 1.0:
        probs = {**probs, previous: probs[previous] * stickiness}
    total = sum(probs.values())
    best = max(sorted(probs), key=lambda lang: probs[lang])
    share = probs[best] / total if total > 0 else 0.0
    if share < threshold and previous is not None and previous in probs:
        return LanguageChoice(previous, probs[previous] / total if total > 0 else 0.0, True)
    return LanguageChoice(best, share, False)
