"""Static pages served by the service (viewer)."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent

__all__ = ["STATIC_DIR"]
