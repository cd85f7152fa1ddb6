"""The ``floorcast`` command line: serve, stream, transcribe, models."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from models.catalog import CATALOG
from models.provisioning import ModelUnavailable, package_dir, packaged_available, prepare_packaged, resolve_model
from service import transcribe as offline
from service.terminal.audio_source import SAMPLE_RATE_HZ, AudioSourceError, decode_all, open_source
from service.terminal.captions_format import LiveCaptions
from service.cli_transcripts import transcripts_app
from service.cli_translation import register as register_translation
from service.cli_tokens import register as register_tokens
from service.terminal.watch import register as register_watch
from service.cli_settings import load_settings
from service.terminal.stream_client import (Caption, Server, StreamError, StreamResult, default_server_url, open_session,
                                   participant_url, stream)

__all__ = ["app"]

app = typer.Typer(help="floorcast: live, multilingual captions for conference meetings", no_args_is_help=True)
models_app = typer.Typer(help="Speech and translation models: list, verify, prepare, install-translation, translation-status",
                        no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(transcripts_app, name="transcripts")
register_translation(models_app, load_settings)
register_watch(app)
register_tokens(app)
console = Console()


@app.command()
def serve(host: Optional[str] = typer.Option(None, help="Bind address (FLOORCAST_HOST)"),
          port: Optional[int] = typer.Option(None, help="Port (FLOORCAST_PORT)"),
          model: Optional[str] = typer.Option(None, help="Speech model (FLOORCAST_MODEL): auto, base, tiny.en, a dir")) -> None:
    """Run the captioning service."""
    import uvicorn

    from service import http_limits
    from service.app import create_app
    from service.logging_setup import configure_logging

    overrides = {k: v for k, v in {"host": host, "port": port, "model": model}.items() if v is not None}
    settings = load_settings(**overrides)
    token_from_env = bool(os.environ.get("FLOORCAST_ADMIN_TOKEN"))
    console.print(f"[bold]floorcast[/] on http://{settings.host}:{settings.port}/  model={settings.model}")
    if not token_from_env:
        console.print(f"admin token (set FLOORCAST_ADMIN_TOKEN to choose one): [bold]{settings.admin_token}[/]")
        console.print(f"viewer: http://{settings.host}:{settings.port}/?token={settings.admin_token}")
    configure_logging(settings.log_format)
    _raise_open_file_limit(settings.max_connections + 256)  # connections, plus the store, models and logs
    # proxy headers: the app believes them from FLOORCAST_TRUSTED_PROXIES only (uvicorn's own would trust 127.0.0.1)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info", log_config=None,
                ws_max_size=16 * 1024 * 1024, ws_ping_interval=20.0, ws_ping_timeout=60.0, http=http_limits.PROTOCOL,
                proxy_headers=False, timeout_keep_alive=5)


def _raise_open_file_limit(wanted: int) -> None:
    """Lift the soft open-file limit towards ``wanted`` (up to the hard limit) so the connection cap is reached
    before the process runs out of descriptors."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        console.print(f"[yellow]open-file limit {target} is below FLOORCAST_MAX_CONNECTIONS + 256 ({wanted})[/]")


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Speech models floorcast can use here, their languages, sizes and location."""
    settings = load_settings()
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
    settings = load_settings()
    try:
        resolved = resolve_model(name, settings.data_dir.resolve())
    except ModelUnavailable as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"{resolved.name}: ready at {resolved.path} ({resolved.size_bytes() / 1e6:.1f} MB)")


@models_app.command("verify")
def models_verify(name: Optional[str] = typer.Argument(None)) -> None:
    """Re-hash every installed packaged model against its pinned SHA-256."""
    settings = load_settings()
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


@app.command("stream")
def stream_command(
        source: str = typer.Argument(..., help="File, '-' for stdin, a device or an RTMP/SRT/HLS/HTTP URL: "
                                                "anything ffmpeg reads"),
        server: Optional[str] = typer.Option(None, help="Server URL "
                                                        "(default: http://FLOORCAST_HOST:FLOORCAST_PORT)"),
        token: Optional[str] = typer.Option(None, help="Bearer token (default: FLOORCAST_ADMIN_TOKEN)"),
        session: Optional[str] = typer.Option(None, help="Stream into this session instead of creating one"),
        channel: str = typer.Option("floor", help="floor, or an interpretation booth such as booth-fr"),
        as_json: bool = typer.Option(False, "--json", help="One JSON line per caption event, with received_at"),
        speed: float = typer.Option(1.0, help="Pace at real time x speed; 0 = as fast as possible (use 0 for "
                                              "live sources, which pace themselves)"),
        title: str = typer.Option("floorcast stream", help="Title of the session created"),
        language: Optional[str] = typer.Option(None, help="The language spoken in the session created, e.g. es"),
        languages: Optional[str] = typer.Option(None, help="Languages that may be spoken in the session created, "
                                                           "comma-separated, e.g. en,fr,es"),
        retry_for: float = typer.Option(60.0, help="After a lost connection keep reconnecting for this many "
                                                   "seconds, continuing the session; 0 = give up at once")) -> None:
    """Stream audio into a live session and show its captions as they come."""
    settings = load_settings()
    token = token or os.environ.get("FLOORCAST_ADMIN_TOKEN")
    if not token:
        print("floorcast stream: no token; pass --token or set FLOORCAST_ADMIN_TOKEN", file=sys.stderr)
        raise typer.Exit(2)
    if speed < 0:
        print("floorcast stream: --speed must be 0 (as fast as possible) or positive", file=sys.stderr)
        raise typer.Exit(2)
    if retry_for < 0:
        print("floorcast stream: --retry-for must be 0 or more seconds", file=sys.stderr)
        raise typer.Exit(2)
    if language and languages:
        print("floorcast stream: give --language or --languages, not both", file=sys.stderr)
        raise typer.Exit(2)
    spoken = tuple(code.strip() for code in (language or languages or "").split(",") if code.strip())
    if session and spoken:
        print("floorcast stream: --language/--languages apply to the session it creates (not with --session)",
              file=sys.stderr)
        raise typer.Exit(2)
    notices = Console(stderr=True, highlight=False)

    def notice(message: str) -> None:
        notices.print(f"[yellow]floorcast stream: {escape(message)}[/]")
    target = Server(server or default_server_url(settings.host, settings.port), token)

    def print_json(event: Caption, received_at: float) -> None:
        print(json.dumps({**event.model_dump(), "received_at": round(received_at, 3)}, ensure_ascii=False),
              flush=True)

    async def run() -> StreamResult:
        pcm = await open_source(source)  # a source that cannot be decoded fails before a session is made
        async with contextlib.aclosing(pcm):
            live = await open_session(target, session, channel=channel, title=title, languages=spoken)
            link = participant_url(target, live)
            if as_json:
                print(live.id, file=sys.stderr, flush=True)
                print(f"participants: {link}", file=sys.stderr, flush=True)
                return await stream(pcm, server=target, session_id=live.id, on_event=print_json, channel=channel,
                                    speed=speed, reconnect_s=retry_for, on_notice=notice)
            console.print(f"session [bold]{live.id}[/]  participants open: {escape(link)}"
                          + ("" if live.public or live.join_code is None else f"  (join code {live.join_code})"))
            with LiveCaptions(console) as view:
                return await stream(pcm, server=target, session_id=live.id, on_event=view.show, channel=channel,
                                    speed=speed, reconnect_s=retry_for, on_notice=notice)

    try:
        result = asyncio.run(run())
    except (StreamError, AudioSourceError) as exc:
        print(f"floorcast stream: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if not as_json:
        Console(stderr=True, highlight=False).print(
            f"[dim]{result.sent_s:.1f} s of audio sent, {result.audio_s:.1f} s recognised, "
            f"{result.events} caption events"
            + (f", {result.reconnects} reconnection(s)" if result.reconnects else "") + "[/]")


@app.command("transcribe")
def transcribe_command(
        file: str = typer.Argument(..., help="Audio or video file, URL or '-' for stdin: anything ffmpeg reads"),
        fmt: offline.OutputFormat = typer.Option("txt", "--format", "-f", help="Output format"),
        model: Optional[str] = typer.Option(None, help="auto, base, tiny.en or a CTranslate2 dir "
                                                       "(default: FLOORCAST_MODEL)"),
        language: Optional[str] = typer.Option(None, help="Language code such as en or fr (default: detected)"),
        output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout")) -> None:
    """Transcribe a file offline, in one pass, to text, JSON, SRT or WebVTT."""
    settings = load_settings()
    err = Console(stderr=True)
    try:
        with err.status("decoding audio"):
            audio = decode_all(file)
        with err.status("loading model"):
            whisper, resolved = offline.load_model(model or settings.model, settings)
        duration_s = len(audio) / SAMPLE_RATE_HZ
        columns = (TextColumn("transcribing"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("transcribe", total=max(duration_s, 0.001))
            transcript = offline.transcribe(whisper, audio, language=language, word_timestamps=fmt != "txt",
                                            on_progress=lambda done_s: progress.update(task, completed=done_s))
    except (AudioSourceError, ModelUnavailable) as exc:
        print(f"floorcast transcribe: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    text = offline.render(transcript, fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"floorcast transcribe: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            raise typer.Exit(1) from None
    err.print(f"[dim]{resolved.name}: {transcript.duration:.1f} s, language {transcript.language}, "
              f"{len(transcript.segments)} segments" + (f" -> {output}" if output else "") + "[/]")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
