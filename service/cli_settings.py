"""The CLI's settings: refused FLOORCAST_* values end the command with exit 2 and one line per variable."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from service.settings import Settings, settings_problems

__all__ = ["load_settings"]


def load_settings(**overrides: object) -> Settings:
    """The settings, or exit 2 naming each refused variable (a typo must not silently run the defaults)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        for line in settings_problems(exc):
            print(f"floorcast: {line}", file=sys.stderr)
        raise typer.Exit(2) from None
