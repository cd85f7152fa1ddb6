"""A real LibreTranslate server for the tests, from the PyPI package in its own virtualenv.

LibreTranslate pins its own argostranslate fork, Flask and numpy<2, so it lives in
``.venv-libretranslate`` beside the checkout (``.ci/run`` creates it:
``python3 -m venv .venv-libretranslate && .venv-libretranslate/bin/pip install libretranslate==1.9.6``).
It starts offline: the stand-in argos packages the tests build are unpacked into its
``ARGOS_PACKAGES_DIR`` (two packages or more: it then never asks the Argos index), and its
sentence splitter, MiniSBD, whose model is a download from GitHub, is replaced in the launcher
by "each text is one sentence" (captions are a sentence or two). Everything else — Flask routes,
API keys, argostranslate, CTranslate2 — is LibreTranslate's own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import httpx

from support import REPO_ROOT, free_port

__all__ = ["LIBRETRANSLATE_PYTHON", "LibreTranslateServer"]

LIBRETRANSLATE_PYTHON = REPO_ROOT / ".venv-libretranslate" / "bin" / "python"
_LAUNCHER = """
import sys
import argostranslate.sbd as sbd
sbd.MiniSBDSentencizer.split_sentences = lambda self, text: [text]  # MiniSBD's model is a download
from libretranslate.api_keys import Database
keys = __import__("json").loads(sys.argv.pop(1))
if keys:
    db = Database(keys["db"])
    db.add(120, keys["key"], 0)
from libretranslate.main import main
main()
"""


class LibreTranslateServer:
    def __init__(self, root: Path, archives: list[Path], *, api_key: str = "", languages: str = "en,fr",
                 options: tuple[str, ...] = ()) -> None:
        self.root = root
        self.options = options  # more of LibreTranslate's own command-line options (e.g. --req-limit 5)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = api_key
        self.languages = languages
        self.process: subprocess.Popen | None = None
        packages = root / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        for archive in archives:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(packages)
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "ARGOS_PACKAGES_DIR": str(packages),
                    "XDG_DATA_HOME": str(root / "data"), "XDG_CACHE_HOME": str(root / "cache"),
                    "XDG_CONFIG_HOME": str(root / "config"), "ARGOS_DEVICE_TYPE": "cpu"}

    def start(self) -> "LibreTranslateServer":
        keys = {"db": str(self.root / "api_keys.db"), "key": self.api_key} if self.api_key else {}
        command = [str(LIBRETRANSLATE_PYTHON), "-c", _LAUNCHER, json.dumps(keys), "--host", "127.0.0.1",
                   "--port", str(self.port), "--load-only", self.languages, "--disable-web-ui", "--disable-files-translation",
                   "--threads", "1", *self.options]
        if self.api_key:
            command += ["--api-keys", "--api-keys-db-path", keys["db"]]
        log = (self.root / "libretranslate.log").open("ab")
        self.process = subprocess.Popen(command, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"LibreTranslate exited with {self.process.returncode}:\n"
                                   f"{(self.root / 'libretranslate.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/languages", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "LibreTranslate did not start in 90 s"
            time.sleep(0.3)

    def freeze(self) -> None:
        """SIGSTOP: the server hangs as a stuck one does (the kernel still accepts connections; nothing answers)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None

    def __enter__(self) -> "LibreTranslateServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
