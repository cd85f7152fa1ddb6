"""Container health check: exit 0 when the local floorcast answers 200 on a path, else 1.

``python /opt/floorcast/healthcheck.py /healthz`` is the image's HEALTHCHECK (liveness: the process
answers); docker-compose.yml uses ``/readyz`` (model loaded, store answering, store writer alive) so that
the proxy starts only in front of instances that can serve. The port is ``FLOORCAST_PORT`` (8000).
Standard library only: the slim image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

__all__ = ["answers_ok", "main"]

TIMEOUT_S = 4.0


def answers_ok(url: str, timeout_s: float = TIMEOUT_S) -> bool:
    """True if ``url`` answers 200 within ``timeout_s``; never through an HTTP proxy from the environment."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):  # refused, timed out, or an HTTP error status such as 503
        return False


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    port = os.environ.get("FLOORCAST_PORT", "8000")
    return 0 if answers_ok(f"http://127.0.0.1:{port}{path}") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
