"""Logging for ``floorcast serve``: one JSON object per line (or plain text), secrets redacted.

Each line carries ``ts``, ``level``, ``logger`` and ``message``, plus
``session_id`` and ``channel`` when the line is about one session:

* on the event loop, from a :class:`~contextvars.ContextVar` that the
  websocket handlers set with :func:`set_log_context` as they start (each
  connection runs in a task of its own, so the value ends with it, and tasks
  and threads started from the handler inherit it);
* off the loop, from ``extra={"session_id": ..., "channel": ...}``.

Secrets never reach the output: ``token=...`` and ``code=...`` (the
websocket URLs' query strings in uvicorn's access lines), ``Authorization``/
``Bearer`` values and anything shaped like an access token (``fc_<id>_<secret>``)
are replaced by ``[redacted]`` in messages and tracebacks alike.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Literal

__all__ = ["configure_logging", "set_log_context", "redact", "JsonFormatter", "TextFormatter", "RedactSecrets",
           "SessionContext", "CONTEXT_FIELDS"]

CONTEXT_FIELDS = ("session_id", "channel")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_context: ContextVar[dict[str, str]] = ContextVar("floorcast_log_context", default={})

_SECRETS = (
    (re.compile(r"(?i)(token=)[^&\s\"'#]+"), r"\1[redacted]"),  # ?token=, &admin_token=, ...
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+)?[^\s\"',}]+"), r"\1[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[\w\-.~+/]+=*"), r"\1[redacted]"),
    (re.compile(r"(?i)([?&]code=)[^&\s\"'#]+"), r"\1[redacted]"),  # a session's join code in a URL
    (re.compile(r"\bfc_([0-9a-f]{12})_[\w-]+"), r"fc_\1_[redacted]"),  # an access token anywhere: its id stays
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def set_log_context(**fields: str) -> None:
    """Attach ``session_id``/``channel`` to every line logged from this task from now on."""
    _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})


class SessionContext(logging.Filter):
    """Copies the task's session context onto the record, unless ``extra=`` already set it."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        return True


class RedactSecrets(logging.Filter):
    """Renders the message and traceback once, with secrets replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        where = " ".join(f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS
                         if getattr(record, key, None) is not None)
        if not where:
            return text
        first, _, rest = text.partition("\n")
        return f"{first}  [{where}]" + (f"\n{rest}" if rest else "")


def configure_logging(log_format: Literal["json", "text"], level: int | str = logging.INFO) -> logging.Handler:
    """Route the root logger and uvicorn's loggers to one stderr handler; returns that handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(SessionContext())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:  # uvicorn's own config (if it ran) gave these handlers of their own
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.captureWarnings(True)
    return handler
