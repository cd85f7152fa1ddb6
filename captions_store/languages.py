"""Which full-text index and which text-search configuration serve a language.

The six UN languages each have an index group of their own (an FTS5 table on
SQLite; on PostgreSQL a text-search configuration); every other language
shares the group ``xx``, indexed without stemming. Changing these lists
changes the schema: it needs a migration.
"""

from __future__ import annotations

__all__ = ["INDEX_GROUPS", "PG_CONFIGS", "index_group", "pg_config", "CJK_LANGUAGES"]

INDEX_GROUPS = ("en", "fr", "es", "ru", "ar", "zh", "xx")
PG_CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic"}
CJK_LANGUAGES = frozenset({"zh", "ja"})


def index_group(lang: str) -> str:
    """``"fr-CA"`` -> ``"fr"``; languages without a group of their own -> ``"xx"``."""
    base = lang.split("-", 1)[0].split("_", 1)[0].lower()
    return base if base in INDEX_GROUPS else "xx"


def pg_config(group: str) -> str:
    return PG_CONFIGS.get(group, "simple")
