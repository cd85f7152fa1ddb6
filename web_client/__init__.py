"""The web client, served by the service: viewer, captioner console, staff pages, webcast overlay.

Plain HTML, CSS and JavaScript modules, no build step and nothing fetched from
elsewhere. ``service.routes_pages`` serves the pages; everything in this folder
is also mounted at ``/static``.
"""

from pathlib import Path

STATIC_DIR = Path(__file__).parent

__all__ = ["STATIC_DIR"]
