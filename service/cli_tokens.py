"""``floorcast tokens create|list|revoke``: access tokens, managed on the server's host.

Like ``floorcast transcripts``, these commands open the store directly (the
same ``FLOORCAST_DATABASE_URL`` or SQLite file the server uses), so they work
whether or not the server runs, and a revoked token is refused by the server
at its next request. ``create`` prints the token once; only a digest of it is
kept.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from captions_store.records import TokenRecord
from captions_store.tokens_store import TOKEN_ROLES
from service.cli_store import opened_store

__all__ = ["register", "tokens_app", "parse_duration"]

tokens_app = typer.Typer(help="Access tokens: create, list, revoke", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d{1,6})([smhdw])")


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``12h``, ``7d``, ``2w`` (one number, one unit)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 12h, 7d or 2w")
    return timedelta(seconds=int(match.group(1)) * _UNITS_S[match.group(2)])


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _as_dict(record: TokenRecord, now: datetime) -> dict:
    return {"id": record.id, "role": record.role, "session_id": record.session_id, "label": record.label,
            "state": record.state(now), **{name: value.isoformat() if value else None for name, value in (
                ("created_at", record.created_at), ("expires_at", record.expires_at),
                ("revoked_at", record.revoked_at), ("last_used_at", record.last_used_at))}}


@tokens_app.command("create")
def create_command(role: str = typer.Option(..., help=f"One of {', '.join(TOKEN_ROLES)}"),
                   session: Optional[str] = typer.Option(None, help="Limit to this session (viewer: required)"),
                   expires: Optional[str] = typer.Option(None, help="Lifetime: 90s, 15m, 12h, 7d, 2w; default none"),
                   label: str = typer.Option("", help="Who or what holds it"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """Create a token and print it: it is shown this once."""
    try:
        lifetime = parse_duration(expires) if expires else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None
    expires_at = datetime.now(timezone.utc) + lifetime if lifetime else None
    with opened_store() as store:
        issued = store.create_token(role=role, session_id=session, label=label, expires_at=expires_at)
    if as_json:
        print(json.dumps({**_as_dict(issued.record, datetime.now(timezone.utc)), "token": issued.token}, indent=2))
        return
    record = issued.record
    scope = f"session {record.session_id}" if record.session_id else "every session"
    until = f", until {_when(record.expires_at)}" if record.expires_at else ""
    err.print(f"{record.role} token {record.id} for {escape(scope)}{until}. It is shown this once:")
    print(issued.token)


@tokens_app.command("list")
def list_command(limit: int = typer.Option(100, min=1, max=1000),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Tokens, newest first, with their state (never their secrets)."""
    now = datetime.now(timezone.utc)
    with opened_store() as store:
        records = store.list_tokens(limit=limit)
    if as_json:
        print(json.dumps([_as_dict(r, now) for r in records], indent=2, ensure_ascii=False))
        return
    table = Table(title="access tokens")
    for column in ("id", "role", "session", "label", "state", "created", "expires", "last used"):
        table.add_column(column)
    for r in records:
        table.add_row(r.id, r.role, r.session_id or "(all)", escape(r.label), r.state(now), _when(r.created_at),
                      _when(r.expires_at), _when(r.last_used_at))
    console.print(table)


@tokens_app.command("revoke")
def revoke_command(token_id: str = typer.Argument(..., help="The token's id (the part after fc_)")) -> None:
    """Revoke a token: the server refuses it from its next request on."""
    with opened_store() as store:
        record = store.revoke_token(token_id)
    console.print(f"token {record.id} revoked at {_when(record.revoked_at)}")


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")
