"""The ``floorcast`` command line: serve, stream, transcribe, models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from models.catalog import CATALOG
from models.provisioning import ModelUnavailable, package_dir, packaged_available, prepare_packaged, resolve_model
from service.settings import Settings

__all__ = ["app"]

app = typer.Typer(help="floorcast: live, multilingual captions for conference meetings", no_args_is_help=True)
models_app = typer.Typer(help="Speech models: list, verify, prepare", no_args_is_help=True)
app.add_typer(models_app, name="models")
console = Console()


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="Bind address (FLOORCAST_HOST)"),
          port: Optional[int] = typer.Option(None, help="Port (FLOORCAST_PORT)"),
          model: Optional[str] = typer.Option(None, help="Speech model (FLOORCAST_MODEL): auto, base, tiny.en, a dir")) -> None:
    """Run the captioning service."""
    import uvicorn

    from service.app import create_app

    overrides = {k: v for k, v in {"host": host, "port": port, "model": model}.items() if v is not None}
    settings = Settings(**overrides)
    token_from_env = bool(Settings.model_fields["admin_token"].default) or "admin_token" in settings.model_fields_set
    console.print(f"[bold]floorcast[/] on http://{settings.host}:{settings.port}/  model={settings.model}")
    if not token_from_env:
        console.print(f"admin token (set FLOORCAST_ADMIN_TOKEN to choose one): [bold]{settings.admin_token}[/]")
        console.print(f"viewer: http://{settings.host}:{settings.port}/?token={settings.admin_token}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                ws_max_size=16 * 1024 * 1024)


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Speech models floorcast can use here, their languages, sizes and location."""
    settings = Settings()
    rows = []
    for name, entry in CATALOG.items():
        installed = packaged_available(name)
        where = ""
        if installed:
            where = str(settings.data_dir.resolve() / "models" / name) if entry.needs_assembly else str(
                package_dir(entry.parts["model.bin"][0][0]) or "")
        size = sum(_piece_size(pkg, rel) for pieces in entry.parts.values() for pkg, rel in pieces) if installed else 0
        rows.append({"name": name, "installed": installed, "multilingual": entry.multilingual,
                     "languages": "99 (UN six by default)" if entry.multilingual else "en",
                     "size_mb": round(size / 1e6, 1), "distributions": list(entry.distributions), "path": where})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="speech models")
    for col in ("name", "installed", "languages", "size MB", "location / install"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], "yes" if r["installed"] else "no", r["languages"], str(r["size_mb"]),
                      r["path"] or "pip install " + " ".join(r["distributions"]))
    console.print(table)
    try:
        console.print(f"default (auto): [bold]{resolve_model('auto', settings.data_dir.resolve(), verify=False).name}[/]")
    except ModelUnavailable as exc:
        console.print(f"[red]{exc}[/]")


def _piece_size(package: str, rel: str) -> int:
    root = package_dir(package)
    return (root / rel).stat().st_size if root and (root / rel).is_file() else 0


@models_app.command("prepare")
def models_prepare(name: str = typer.Argument("auto")) -> None:
    """Join split model files into the data dir and verify them."""
    settings = Settings()
    try:
        resolved = resolve_model(name, settings.data_dir.resolve())
    except ModelUnavailable as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"{resolved.name}: ready at {resolved.path} ({resolved.size_bytes() / 1e6:.1f} MB)")


@models_app.command("verify")
def models_verify(name: Optional[str] = typer.Argument(None)) -> None:
    """Re-hash every installed packaged model against its pinned SHA-256."""
    settings = Settings()
    names = [name] if name else [n for n in CATALOG if packaged_available(n)]
    failed = False
    for n in names:
        try:
            stamp = settings.data_dir.resolve() / "models" / f"{n}.verified.json"
            stamp.unlink(missing_ok=True)
            path = prepare_packaged(n, settings.data_dir.resolve(), verify=True)
            console.print(f"[green]ok[/] {n} ({path})")
        except ModelUnavailable as exc:
            failed = True
            console.print(f"[red]FAILED[/] {n}: {exc}")
    if failed or not names:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
