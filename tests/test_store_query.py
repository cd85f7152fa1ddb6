"""Captions store, pure parts: query parsing, the tokenizer, snippets, cursors and the modules' exports."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import captions_store
from captions_store.doc_keys import decode_cursor, doc_id, encode_cursor, session_range
from captions_store.errors import InvalidInput, QueryError
from captions_store.query import Clause, parse_query
from captions_store.search_postgres import tsquery_text
from captions_store.search_sqlite import match_expression
from captions_store.snippets import snippet
from captions_store.search_tokens import search_form, tokens


def test_query_grammar():
    parsed = parse_query('"United Nations" develop* 联合国 co-operation')
    assert parsed.clauses == (Clause(("united", "nations")), Clause(("develop",), prefix=True),
                              Clause(("联", "合", "国")), Clause(("co", "operation")))


@pytest.mark.parametrize("q", ['NEAR(a b)', 'x" OR "y', "title:secret", "a AND NOT b", "'); DROP TABLE x; --"])
def test_engine_syntax_is_never_passed_through(q):
    for group in ("en", "zh", "xx"):
        expression = match_expression(parse_query(q), group)
        assert all(part.startswith('"') for part in expression.split(" AND "))
    assert not set(tsquery_text(parse_query(q))) & set("!'\\:|")


def test_short_prefixes_and_junk_are_refused():
    for q in ("a*", "", "   ", '"', ")(", "\x00\x01", "\ud800", "x" * 257, " ".join(f"w{i}" for i in range(17))):
        with pytest.raises(QueryError):
            parse_query(q)


def test_tokens_normalise_case_accents_width_and_split_chinese():
    assert [t.norm for t in tokens("Développement ＤＵＲＡＢＬＥ")] == ["developpement", "durable"]
    assert [t.norm for t in tokens("联合国2030年")] == ["联", "合", "国", "2030", "年"]
    assert search_form("مُتَّحِدَة") == search_form("متحدة")
    assert search_form("हिन्दी भाषा").split() == ["हिन्दी", "भाषा"]  # vowel signs stay inside the word
    assert search_form("Ёлка й", stem_lang=None) == "ёлка й"  # Cyrillic letters keep their marks
    assert search_form("nations developments", stem_lang="en") == "nation develop"


def test_snippet_window_and_escaping():
    text = " ".join(f"w{i}" for i in range(60)) + " <b>budget</b> " + " ".join(f"x{i}" for i in range(60))
    out = snippet(text, "en", parse_query("budget"))
    assert out.startswith("…") and out.endswith("…") and "&lt;b&gt;<mark>budget</mark>&lt;/b&gt;" in out
    assert 18 <= len(out.split()) <= 22
    chinese = "在联合国大会上各国代表讨论了可持续发展议程以及气候变化问题会议持续了三个小时许多代表发言秘书长也出席了会议并发表讲话"
    out = snippet(chinese, "zh", parse_query("秘书长"))
    assert "<mark>秘书长</mark>" in out and len(out.replace("<mark>", "").replace("</mark>", "")) <= 42


def test_document_ids_order_sessions_then_segments_and_cursors_round_trip():
    assert doc_id(100, 5, 0) < doc_id(100, 5, 1) < doc_id(100, 6, 0) < doc_id(101, 0, 0)
    lo, hi = session_range(100)
    assert lo <= doc_id(100, 0, 0) and doc_id(100, 2**26 - 1, 31) <= hi < doc_id(101, 0, 0)
    with pytest.raises(InvalidInput):
        doc_id(100, 2**26, 0)
    assert decode_cursor(encode_cursor(doc_id(7, 8, 9))) == doc_id(7, 8, 9)


def test_every_module_exports_what_it_lists():
    names = [m.name for m in pkgutil.walk_packages(captions_store.__path__, "captions_store.")
             if ".migrations" not in m.name]
    assert "captions_store.store" in names
    for name in names:
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), name
        for exported in module.__all__:
            assert hasattr(module, exported), f"{name}.{exported}"
