"""``floorcast models install-translation`` and ``floorcast models translation-status``.

``register(models_app, settings_factory)`` adds both commands to the ``models`` typer group. The settings
object needs ``data_dir`` and, optionally, ``translation_engines`` (per-direction engine choice such as
``{"en-es": "apertium"}``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from models.translation.argos import ArgosEngine
from models.translation.engine import TranslationError
from models.translation.languages import LANGUAGES, parse_direction
from service.translation_setup import translator_for

__all__ = ["register"]

console = Console()
_DIRECTION = re.compile(r"[A-Za-z]{2,3}-[A-Za-z]{2,3}")


def _sort_sources(sources: list[str]) -> tuple[list[Path], list[str], list[str]]:
    """Files (or folders) that exist, directions (``en-ar``) to fetch from the index, and the rest."""
    files, directions, unknown = [], [], []
    for source in sources:
        if Path(source).exists():
            files.append(Path(source))
        elif _DIRECTION.fullmatch(source.strip()):
            directions.append(source.strip())
        else:
            unknown.append(source)
    return files, directions, unknown


def register(models_app: typer.Typer, settings_factory: Callable[[], Any]) -> None:
    @models_app.command("install-translation")
    def install_translation(
            sources: Optional[list[str]] = typer.Argument(
                None, help=".argosmodel files, unpacked package folders, or directions such as en-ar to download "
                           "from the Argos package index (needs the internet)"),
            from_index: Optional[list[str]] = typer.Option(
                None, "--from-index", help="A direction to download from the Argos package index; repeatable")) -> None:
        """Install Argos Translate packages for UN directions into the data dir."""
        if not sources and not from_index:
            console.print("[red]give .argosmodel files, package folders, or directions such as en-ar[/]")
            raise typer.Exit(2)
        files, directions, unknown = _sort_sources(sources or [])
        for source in unknown:
            console.print(f"[red]not installed[/] {source}: no such file, and not a direction such as en-ar")
        engine = ArgosEngine(Path(settings_factory().data_dir).resolve())
        failed = bool(unknown)
        for path in files:
            try:
                installed = engine.install(path)
            except TranslationError as exc:
                failed = True
                console.print(f"[red]not installed[/] {path}: {exc}")
                continue
            console.print(f"[green]installed[/] {installed.from_code} -> {installed.to_code} "
                          f"version {installed.package_version or '?'} ({installed.path})")
        for pair in directions + list(from_index or []):
            try:
                installed = engine.install_from_index(*parse_direction(pair))
            except (TranslationError, ValueError) as exc:
                failed = True
                console.print(f"[red]not installed[/] {pair}: {exc}")
                continue
            console.print(f"[green]installed[/] {pair} from the Argos index, version "
                          f"{installed.package_version or '?'} ({installed.path})")
        if failed:
            raise typer.Exit(1)

    @models_app.command("translation-status")
    def translation_status(as_json: bool = typer.Option(False, "--json")) -> None:
        """Which engine translates each of the 30 UN directions, and how (direct, pivot, none)."""
        try:
            translator = translator_for(settings_factory())
        except TranslationError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(2) from None
        rows = translator.status()
        servers = [engine.server_status() for engine in translator.router.engines_named("libretranslate")]
        if as_json:
            print(json.dumps([row.to_dict() for row in rows], ensure_ascii=False, indent=2))
            return
        table = Table(title="translation: 30 UN directions")
        for column in ("direction", "languages", "engine", "route", "model", "chosen by"):
            table.add_column(column)
        for row in rows:
            route = f"pivot via {row.via}" if row.route == "pivot" else row.route
            style = "" if row.engine else "dim"
            table.add_row(row.direction, f"{LANGUAGES[row.src].native_name} → {LANGUAGES[row.tgt].native_name}",
                          row.engine or "-", route, row.model_version or "-",
                          row.chosen_by + (f" ({row.note})" if row.note else ""), style=style)
        console.print(table)
        covered = sum(1 for row in rows if row.engine)
        engines = ", ".join(engine.version for engine in translator.router.engines)
        console.print(f"{covered}/30 directions covered; engines: {engines}")
        for server in servers:
            if server["answers"]:
                console.print(f"LibreTranslate at {server['url']} answers: {len(server['directions'])} UN "
                              f"directions ({', '.join(server['directions']) or 'none'})", soft_wrap=True)
            else:
                console.print(f"[red]LibreTranslate at {server['url']} does not answer:[/] {server['error']}",
                              soft_wrap=True)
        missing = [row for row in rows if row.route == "none" and row.how]
        if missing:
            console.print("To cover the others:")
            for row in missing:
                console.print(f"  {row.direction}: {row.how}", soft_wrap=True)
