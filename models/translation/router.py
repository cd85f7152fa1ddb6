"""Which engine translates each direction, and the status of all 30.

Order of choice for ``src -> tgt``:

1. the per-direction setting (``{"en-es": "apertium"}``; ``"none"`` turns a direction off), when that engine
   covers the direction (otherwise the status says so and the automatic choice applies);
2. the first engine, in the order given (floorcast gives Argos, then Apertium), that covers the direction,
   directly or by pivot;
3. none: the text is passed through untranslated.

Coverage is asked afresh on every choice (a dictionary lookup), so a package installed while the service
runs is used at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

from models.translation.engine import NO_COVERAGE, Coverage, Route, TranslationEngine, TranslationError
from models.translation.engine_hints import how_to_get
from models.translation.languages import DIRECTIONS, direction_key, parse_direction

__all__ = ["Router", "Choice", "DirectionStatus", "RoutingSettingError", "DISABLED"]

DISABLED = "none"


class RoutingSettingError(TranslationError, ValueError):
    """A per-direction engine setting that names no direction or no engine."""


@dataclass(frozen=True)
class Choice:
    engine: TranslationEngine | None
    coverage: Coverage
    chosen_by: str  # "setting", "auto" or "identity"
    note: str | None = None

    @property
    def route(self) -> Route:
        return self.coverage.route


@dataclass(frozen=True)
class DirectionStatus:
    """One row of ``GET /v1/translation/status``."""

    src: str
    tgt: str
    engine: str | None
    route: Route
    via: str | None
    model_version: str | None
    chosen_by: str
    note: str | None
    how: str | None = None  # what to install for a direct engine (engine_hints)

    @property
    def direction(self) -> str:
        return direction_key(self.src, self.tgt)

    def to_dict(self) -> dict:
        return {"direction": self.direction, **asdict(self)}


class Router:
    def __init__(self, engines: Sequence[TranslationEngine], overrides: Mapping[str, str] | None = None) -> None:
        self.engines = list(engines)
        self._by_name = {engine.name: engine for engine in self.engines}
        self.overrides: dict[tuple[str, str], str] = {}
        for key, name in (overrides or {}).items():
            try:
                direction = parse_direction(key)
            except ValueError as exc:
                raise RoutingSettingError(f"translation engine setting: {exc}") from None
            name = str(name).strip().lower()
            if name != DISABLED and name not in self._by_name:
                raise RoutingSettingError(f"translation engine setting {key!r}: unknown engine {name!r} "
                                          f"(one of {', '.join([*self._by_name, DISABLED])})")
            self.overrides[direction] = name

    def engine(self, name: str) -> TranslationEngine:
        return self._by_name[name]

    def engines_named(self, name: str) -> list[TranslationEngine]:
        return [engine for engine in self.engines if engine.name == name]

    def choose(self, src: str, tgt: str) -> Choice:
        if src == tgt:
            return Choice(None, Coverage("identity"), "identity")
        note = None
        wanted = self.overrides.get((src, tgt))
        if wanted == DISABLED:
            return Choice(None, NO_COVERAGE, "setting", "turned off by setting")
        if wanted is not None:
            engine = self._by_name[wanted]
            coverage = engine.coverage(src, tgt)
            if coverage.covered:
                return Choice(engine, coverage, "setting")
            note = f"setting asks for {wanted}, which does not cover {direction_key(src, tgt)}"
        for engine in self.engines:
            coverage = engine.coverage(src, tgt)
            if coverage.covered:
                return Choice(engine, coverage, "auto", note)
        return Choice(None, NO_COVERAGE, "auto", note)

    def status(self) -> list[DirectionStatus]:
        rows = []
        for src, tgt in DIRECTIONS:
            choice = self.choose(src, tgt)
            rows.append(DirectionStatus(src=src, tgt=tgt, engine=choice.engine.name if choice.engine else None,
                                        route=choice.route, via=choice.coverage.via,
                                        model_version=choice.coverage.model_version, chosen_by=choice.chosen_by,
                                        note=choice.note, how=how_to_get(src, tgt, route=choice.route)))
        return rows
