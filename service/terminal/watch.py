"""``floorcast watch SESSION [--lang fr] [--live]``: a session's captions in a terminal.

By default only finished lines are printed, one per line, never redrawn, so
the output suits screen readers, braille displays, pipes and log files. A
speaker's name opens the first line of each turn (``Chair: ...``); notices
(off the record, no translation model, session ended) are lines of their own
between ``--`` marks. ``--live`` shows the open segment too, on a line that is
redrawn in place (:class:`service.terminal.captions_format.LiveCaptions`).

A lost connection is retried with back-off; the recent finals are asked for
again and everything already printed (``seq`` not above the last one handled)
is skipped, so nothing is repeated or missed. Missing token, unknown session
or language end the command with exit code 1; the session ending ends it with 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional, TextIO
from urllib.parse import quote

import typer
from rich.console import Console
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from service.terminal.captions_format import LiveCaptions
from service.protocol import CloseCode, caption_event_adapter
from service.settings import Settings
from service.terminal.stream_client import Server, default_server_url

__all__ = ["WatchError", "PlainPrinter", "watch", "watch_command", "register"]

BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
FATAL_CLOSES = {
    CloseCode.UNAUTHORIZED: "missing or wrong token",
    CloseCode.NOT_FOUND: "no live session with that id",
    CloseCode.BAD_REQUEST: "the server refused the language or source",
}


class WatchError(Exception):
    """Watching cannot go on (bad token, unknown session or language); ``str()`` is one line for a human."""


@dataclass
class PlainPrinter:
    """Finished lines only, each printed once; nothing is ever redrawn."""

    out: TextIO
    speaker: Optional[str] = None
    untranslated: set[tuple[str, str]] = field(default_factory=set)

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, event: dict) -> None:
        kind = event["type"]
        if kind == "final" and event.get("text"):
            self._untranslated(event)
            speaker = event.get("speaker")
            opens_turn = speaker is not None and speaker != self.speaker
            self.speaker = speaker
            self.line(f"{speaker}: {event['text']}" if opens_turn else event["text"])
        elif kind == "correction":
            self.line(f"-- corrected: {event['text']} --")
        elif kind == "record":
            self.line("-- off the record --" if event["off_record"] else "-- back on the record --")
        elif kind == "session_ended":
            self.line("-- session ended --")

    def _untranslated(self, event: dict) -> None:
        pair = (event.get("source_lang") or "", event["lang"])
        if event.get("translated") is False and pair[0] and pair[0] != pair[1] and pair not in self.untranslated:
            self.untranslated.add(pair)
            self.line(f"-- no translation model for {pair[1]} from {pair[0]}; showing the original --")


class _LivePrinter:
    """The redrawn view of ``floorcast stream``, fed the same events."""

    def __init__(self, view: LiveCaptions) -> None:
        self.view = view

    def show(self, event: dict) -> None:
        if event["type"] in ("partial", "final", "session_ended"):
            self.view.show(caption_event_adapter.validate_python(event))


async def _watch(server: Server, session_id: str, show: Callable[[dict], None], *, lang: str | None, source: str,
                 recent: int, notify: Callable[[str], None]) -> None:
    last_seq = 0
    attempt = 0
    first = True
    path = f"/v1/sessions/{quote(session_id, safe='')}/captions"
    while True:
        query = {"token": server.token, "recent": str(recent if first else 200), "source": source}
        if lang:
            query["lang"] = lang
        try:
            async with connect(server.ws(path, **query), open_timeout=30) as ws:
                async for raw in ws:
                    try:
                        event = json.loads(raw)
                    except ValueError:
                        notify(f"skipped a message that is not JSON: {str(raw)[:80]!r}")
                        continue
                    attempt = 0
                    if event.get("seq", 0) <= last_seq:
                        continue
                    last_seq = event["seq"]
                    show(event)
                    if event["type"] == "session_ended":
                        return
            code = ws.close_code
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
        except (OSError, TimeoutError, InvalidStatus) as exc:
            code = None
            if first:
                raise WatchError(f"cannot connect to {server.url}: {exc}") from None
        except InvalidURI as exc:
            raise WatchError(f"bad server URL {server.url!r}: {exc}") from None
        if code in FATAL_CLOSES:
            raise WatchError(f"{FATAL_CLOSES[code]} (close code {code})")
        if code == CloseCode.NORMAL:
            return
        first = False
        delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)] * (1 + random.random() * 0.2)
        attempt += 1
        notify(f"connection lost (close code {code}); reconnecting in {delay:.0f} s")
        await asyncio.sleep(delay)


def watch(session_id: str, *, server: Server, lang: str | None = None, source: str = "auto", live: bool = False,
          recent: int = 10, out: TextIO | None = None, err: TextIO | None = None) -> None:
    """Print a session's captions until it ends; raises :class:`WatchError` when it cannot."""
    out = out or sys.stdout
    err = err or sys.stderr

    def notify(message: str) -> None:
        err.write(f"floorcast watch: {message}\n")
        err.flush()

    if not live:
        asyncio.run(_watch(server, session_id, PlainPrinter(out).show, lang=lang, source=source, recent=recent,
                           notify=notify))
        return
    with LiveCaptions(Console(file=out)) as view:
        asyncio.run(_watch(server, session_id, _LivePrinter(view).show, lang=lang, source=source, recent=recent,
                           notify=notify))


def watch_command(
        session: str = typer.Argument(..., help="Session id (the code viewers join with)"),
        lang: Optional[str] = typer.Option(None, help="Language code such as fr (default: as spoken)"),
        source: str = typer.Option("auto", help="auto, machine (translation) or interpretation (booth)"),
        live: bool = typer.Option(False, "--live", help="Also show the open segment, redrawn in place"),
        recent: int = typer.Option(10, min=0, max=200, help="Lines said before joining to print first"),
        server: Optional[str] = typer.Option(None, help="Server URL (default: http://FLOORCAST_HOST:FLOORCAST_PORT)"),
        token: Optional[str] = typer.Option(None, help="Bearer token (default: FLOORCAST_ADMIN_TOKEN)")) -> None:
    """Print a session's captions in the terminal: finished lines only, for screen readers and braille."""
    token = token or os.environ.get("FLOORCAST_ADMIN_TOKEN")
    if not token:
        print("floorcast watch: no token; pass --token or set FLOORCAST_ADMIN_TOKEN", file=sys.stderr)
        raise typer.Exit(2)
    if source not in ("auto", "machine", "interpretation"):
        print("floorcast watch: --source must be auto, machine or interpretation", file=sys.stderr)
        raise typer.Exit(2)
    if server is None:
        settings = Settings(admin_token=token)
        server = default_server_url(settings.host, settings.port)
    try:
        watch(session, server=Server(server, token), lang=lang, source=source, live=live, recent=recent)
    except WatchError as exc:
        print(f"floorcast watch: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    """Add ``watch`` to the ``floorcast`` command line."""
    app.command("watch")(watch_command)
