"""``floorcast transcripts list|show|export|search|delete``: the record, read on the server's host.

These commands open the store directly (the same ``FLOORCAST_DATABASE_URL`` or
SQLite file the server uses), so they work whether or not the server runs.
"""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from captions_store.exports import FORMATS, export
from service.cli_store import opened_store

__all__ = ["transcripts_app"]

transcripts_app = typer.Typer(help="Stored transcripts: list, show, export, search, delete", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _marked(snippet: str) -> Text:
    """The store's HTML snippet (escaped text, <mark> around matches) as terminal text."""
    text = Text()
    for n, part in enumerate(re.split(r"</?mark>", snippet)):
        text.append(html.unescape(part), style="reverse" if n % 2 else "")
    return text


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@transcripts_app.command("list")
def list_command(limit: int = typer.Option(50, min=1, max=1000), as_json: bool = typer.Option(False, "--json")) -> None:
    """Sessions in the record, newest first."""
    with opened_store() as store:
        sessions = store.list_sessions(limit=limit)
    if as_json:
        print(json.dumps([{"id": s.id, "title": s.title, "room": s.room, "status": s.status,
                           "started_at": s.started_at.isoformat() if s.started_at else None,
                           "segments": s.segment_count} for s in sessions], indent=2, ensure_ascii=False))
        return
    table = Table(title="sessions")
    for column in ("id", "title", "room", "status", "started", "segments"):
        table.add_column(column)
    for s in sessions:
        table.add_row(s.id, escape(s.title), escape(s.room), s.status, _when(s.started_at), str(s.segment_count))
    console.print(table)


@transcripts_app.command("show")
def show_command(session: str, lang: Optional[str] = typer.Option(None, help="Language (default: as spoken)")) -> None:
    """Print a transcript as text."""
    with opened_store() as store:
        doc = store.transcript(session, lang=lang)
    sys.stdout.write(export(doc, "txt").body.decode("utf-8"))


@transcripts_app.command("export")
def export_command(session: str,
                   fmt: str = typer.Option("vtt", "--format", "-f", help=f"One of {', '.join(FORMATS)}"),
                   lang: Optional[str] = typer.Option(None, help="Language (default: as spoken)"),
                   output: Optional[Path] = typer.Option(None, "--output", "-o", help="File (default: its own name)")) -> None:
    """Write a transcript as json, txt, srt, vtt, ttml (EBU-TT-D) or docx."""
    if fmt not in FORMATS:
        err.print(f"[red]unknown format {fmt!r}; choose one of {', '.join(FORMATS)}[/]")
        raise typer.Exit(2)
    with opened_store() as store:
        exported = export(store.transcript(session, lang=lang), fmt)
    target = output or Path(exported.filename)
    target.write_bytes(exported.body)
    err.print(f"wrote {target} ({len(exported.body)} bytes)")


@transcripts_app.command("search")
def search_command(query: str, lang: Optional[str] = typer.Option(None), session: Optional[str] = typer.Option(None),
                   limit: int = typer.Option(20, min=1, max=100), as_json: bool = typer.Option(False, "--json")) -> None:
    """Full-text search across every stored session and language."""
    with opened_store() as store:
        page = store.search(query, lang=lang, session_id=session, limit=limit)
    if as_json:
        print(json.dumps([{"segment_id": h.segment_id, "session_id": h.session_id, "lang": h.lang,
                           "start": h.start_s, "text": h.text} for h in page.hits], indent=2, ensure_ascii=False))
        return
    for hit in page.hits:
        minutes, seconds = divmod(int(hit.start_s), 60)
        line = Text.assemble((hit.session_title, "bold"), f" {hit.session_id} {minutes:02d}:{seconds:02d} [{hit.lang}] ")
        line.append_text(_marked(hit.snippet))
        console.print(line)
    if not page.hits:
        err.print("no matches")


@transcripts_app.command("delete")
def delete_command(session: str, yes: bool = typer.Option(False, "--yes", help="Do not ask")) -> None:
    """Delete a session and everything recorded of it."""
    if not yes:
        typer.confirm(f"Delete session {session} and all its captions?", abort=True)
    with opened_store() as store:
        store.delete_session(session)
    err.print(f"deleted {session}")
