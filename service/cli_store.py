"""The captions store opened from a CLI command: same settings as the server, errors as exit codes."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from captions_store.store import Store, StoreError
from service.cli_settings import load_settings

__all__ = ["opened_store"]

_err = Console(stderr=True)


@contextmanager
def opened_store() -> Iterator[Store]:
    """Exit 2 if the store cannot be opened, 1 if a command's store call fails (message on stderr)."""
    settings = load_settings()
    try:
        store = Store.open(settings.database_url, settings.data_dir.resolve())
    except StoreError as exc:
        _err.print(f"[red]cannot open the captions store:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    try:
        yield store
    except StoreError as exc:
        _err.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from None
    finally:
        store.close()
