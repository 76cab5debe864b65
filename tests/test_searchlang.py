"""The search language: the parser, its errors, and the store's evaluation against a naive one.

The naive evaluator below walks the parsed records directly (no index, no dictionaries, no
prefilter); hypothesis builds query trees, renders them as text, and the store must find exactly
what the walk finds.
"""

from __future__ import annotations

import json
import lzma
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_tui import searchlang as sl
from audit_tui.model import parse_time
from audit_tui.query import Query, QueryError, parse_when
from tests.test_store import _lines

# -- the fixture: the store tests' events and the start of the bundled sample -----------------

_BASE = datetime(2026, 11, 20, tzinfo=UTC)


def _sample(n: int) -> list[dict[str, Any]]:
    data = resources.files("audit_tui").joinpath("data/sample.jsonl.xz").read_bytes()
    out = []
    for line in lzma.decompress(data).split(b"\n")[:n]:
        rec = orjson.loads(line)
        # the sample's times are relative (ms before now); make them absolute
        at = _BASE + timedelta(milliseconds=rec["audited_at"]) / 1000
        rec["audited_at"] = at.isoformat().replace("+00:00", "Z")
        out.append(rec)
    return out


LINES: list[Any] = [*_lines(), *_sample(160)]
RECORDS = [orjson.loads(x) if isinstance(x, bytes) else x for x in LINES]


@pytest.fixture(scope="module")
def lang_store(tmp_path_factory):
    from audit_tui.sources.file import open_source

    path = tmp_path_factory.mktemp("lang") / "events.jsonl"
    path.write_bytes(
        b"".join((x if isinstance(x, bytes) else orjson.dumps(x)) + b"\n" for x in LINES)
    )
    store = open_source(str(path))
    store.wait()
    assert store.total == len(RECORDS) and not store.skipped
    yield store
    store.close()


# -- the naive evaluator -------------------------------------------------------------------


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaves(v)]
    if isinstance(value, list):
        return [t for v in value for t in _leaves(v)]
    return [value if isinstance(value, str) else json.dumps(value)]


def _under(value: Any, keys: tuple[str, ...]) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _under(v, keys)]
    if not keys:
        return [value]
    if isinstance(value, dict) and keys[0] in value:
        return _under(value[keys[0]], keys[1:])
    return []


def _party_texts(value: Any, parts: tuple[str, ...]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if "name" in parts else []
    return [str(value[p]) for p in parts if value.get(p) is not None]


def _has(texts: list[str], needle: str) -> bool:
    return any(needle.lower() in t.lower() for t in texts)


def naive(expr: sl.Expr, rec: dict[str, Any], now: datetime) -> bool:
    if isinstance(expr, sl.And):
        return all(naive(i, rec, now) for i in expr.items)
    if isinstance(expr, sl.Or):
        return any(naive(i, rec, now) for i in expr.items)
    if isinstance(expr, sl.Not):
        return not naive(expr.item, rec, now)
    if isinstance(expr, sl.Word):
        return _has(_leaves(rec), expr.text)
    if isinstance(expr, sl.Time):
        at = parse_time(rec["audited_at"])
        bound = parse_when(expr.spec, now, end=expr.bound == "until")
        ms = int(bound.timestamp() * 1000)
        return at >= ms if expr.bound == "since" else at < ms
    if isinstance(expr, sl.Path):
        return _has([t for v in _under(rec, expr.keys) for t in _leaves(v)], expr.value)
    assert isinstance(expr, sl.Field)
    texts = {
        "actor": lambda: _party_texts(rec.get("actor"), ("id", "name", "email")),
        "type": lambda: [rec["event_type"]],
        "resource": lambda: _party_texts(rec.get("resource"), ("type", "id", "name")),
        "workspace": lambda: _party_texts(rec.get("workspace"), ("id", "name")),
        "org": lambda: _party_texts(rec.get("organization"), ("id", "name")),
        "id": lambda: [rec["id"]],
    }[expr.name]()
    return _has(texts, expr.value)


# -- generated queries -----------------------------------------------------------------------

WORDS = ["alice", "login", "prod", "10.0", "key", "bot", "é", "école", "acme", "secret", "zz"]
PHRASES = ["alice liddell", "api key", "finance ops", "user.log", 'say "hi', "c:\\temp", "hi"]
FIELD_VALUES = {
    "actor": ["ali", "usr_", "bob", "@example", "chloe", "tom becker"],
    "type": ["login", "key", "secret accessed", "deleted", "out"],
    "resource": ["thing", "sec_", "openai", "e0"],
    "workspace": ["prod", "ws_", "finance", "staging"],
    "org": ["acme", "org_1", "nothing"],
    "id": ["e0", "evt_", "e11"],
}
PATHS = {
    "metadata.ip": ["10.0", "73.", "1"],
    "metadata.key.scopes": ["read", "wr"],
    "actor.email": ["example", "acme"],
    "metadata": ["tie", "mozilla"],
    "a.b": ["x"],
    "metadata.text": ["caf"],
}
TIMES = [("since", "2026-11-18"), ("until", "2026-11-19T10:00:00Z"), ("since", "30d")]


def _escape(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote(value: str) -> str:
    return _escape(value) if " " in value or "\\" in value else value


terms = st.one_of(
    st.sampled_from(WORDS).map(sl.Word),
    st.sampled_from(PHRASES).map(lambda p: sl.Word(p, quoted=True)),
    st.sampled_from([(f, v) for f, vs in FIELD_VALUES.items() for v in vs]).map(
        lambda fv: sl.Field(*fv)
    ),
    st.sampled_from([(p, v) for p, vs in PATHS.items() for v in vs]).map(
        lambda pv: sl.Path(tuple(pv[0].split(".")), pv[1])
    ),
    st.sampled_from(TIMES).map(lambda tv: sl.Time(*tv)),
)
trees = st.recursive(
    terms,
    lambda inner: st.one_of(
        inner.map(sl.Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: sl.Or(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: sl.And(tuple(xs))),
    ),
    max_leaves=6,
)


def render(expr: sl.Expr) -> str:
    if isinstance(expr, sl.Word):
        return _escape(expr.text) if expr.quoted else expr.text
    if isinstance(expr, sl.Field):
        return f"{expr.name}:{_quote(expr.value)}"
    if isinstance(expr, sl.Path):
        return f"{'.'.join(expr.keys)}:{_quote(expr.value)}"
    if isinstance(expr, sl.Time):
        return f"{expr.bound}:{expr.spec}"
    if isinstance(expr, sl.Not):
        inner = render(expr.item)
        return f"-({inner})" if isinstance(expr.item, sl.And | sl.Or) else f"-{inner}"
    if isinstance(expr, sl.Or):  # OR binds tighter: only an AND inside needs parentheses
        return " OR ".join(
            f"({render(i)})" if isinstance(i, sl.And | sl.Or) else render(i) for i in expr.items
        )
    return " ".join(f"({render(i)})" if isinstance(i, sl.And) else render(i) for i in expr.items)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=trees)
def test_store_agrees_with_a_naive_walk(lang_store, fixed_now, tree) -> None:
    text = render(tree)
    expected = [r["id"] for r in RECORDS if naive(tree, r, fixed_now)]
    result = lang_store.search(Query(text=text), fixed_now)
    got = [lang_store.row(int(p)).id for p in result.positions]
    assert sorted(got) == sorted(expected), text
    assert lang_store.count(Query(text=text), fixed_now) == len(expected)
    first = lang_store.first(Query(text=text), 5, fixed_now)
    assert list(first.positions) == list(result.positions[:5])


@given(tree=trees)
def test_parse_reads_back_what_render_writes(tree) -> None:
    def flat(e: sl.Expr) -> sl.Expr:  # nested ANDs in an AND are one AND; same for OR
        if isinstance(e, sl.And | sl.Or):
            items: list[sl.Expr] = []
            for i in map(flat, e.items):
                items.extend(i.items if type(i) is type(e) else [i])  # type: ignore[union-attr]
            return type(e)(tuple(items)) if len(items) > 1 else items[0]
        if isinstance(e, sl.Not):
            return sl.Not(flat(e.item))
        return e

    parsed = sl.parse(render(tree))
    assert flat(parsed) == flat(sl.And((tree,)))


# -- the language's meaning ------------------------------------------------------------------


def ids_of(store, text: str, now) -> set[str]:
    return {store.row(int(p)).id for p in store.search(Query(text=text), now).positions}


def test_or_binds_tighter_than_and(lang_store, fixed_now) -> None:
    got = ids_of(lang_store, "type:logout OR type:created workspace:prod", fixed_now)
    assert got == {"e03", "e04", "e09"}


def test_words_keep_their_meaning(lang_store, fixed_now) -> None:
    q = Query(text="Alice  login alice")
    assert q.plain and q.words == ("alice", "login")
    assert ids_of(lang_store, "alice login", fixed_now) == {"e01", "e06"}


def test_language_needs_the_parser() -> None:
    assert not Query(text="a OR b").plain
    assert Query(text="-x y").required_words == ("y",)  # for the prefilter
    assert Query(text="(a OR b) c").required_words == ("c",)
    assert Query(text='"a b" c:d').required_words == ()
    assert Query(text="A b a").required_words == ("a", "b")


def test_negation_excludes(lang_store, fixed_now) -> None:
    all_ids = {r["id"] for r in RECORDS}
    assert ids_of(lang_store, "-actor:alice", fixed_now) == all_ids - ids_of(
        lang_store, "actor:alice", fixed_now
    )


def test_time_terms_intersect_the_period(lang_store, fixed_now) -> None:
    q = Query(text="since:2026-11-18 type:login -id:evt_", since="2026-11-19")
    got = {lang_store.row(int(p)).id for p in lang_store.search(q, fixed_now).positions}
    assert got == {"e01", "e02", "e10"}


def test_path_terms_read_the_original_record(lang_store, fixed_now) -> None:
    assert ids_of(lang_store, "metadata.key.name:deploy", fixed_now) == {"e04"}
    assert ids_of(lang_store, "key.name:deploy", fixed_now) == set()  # from the root
    assert ids_of(lang_store, 'metadata.text:"say \\"hi"', fixed_now) == {"e11"}
    assert ids_of(lang_store, 'metadata.path:"c:\\\\temp"', fixed_now) == {"e11"}


# -- errors say where ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('actor:ada "api key', 'search, column 11: unbalanced quote: this " is never closed'),
        ("(a OR b", "search, column 1: unbalanced parenthesis: this ( is never closed"),
        ("a OR b) c", "search, column 7: unbalanced parenthesis: this ) has no ("),
        ("x actor: y", "search, column 3: empty actor: give a value"),
        ('x a.b:"" y', "search, column 3: empty a.b: give a value"),
        ("x since:bogus", "search, column 3: cannot read the time 'bogus'"),
        ("a ()", "search, column 3: empty parentheses"),
        ("a OR", "search, column 3: OR needs a term on each side"),
        ("OR a", "search, column 1: OR needs a term on each side"),
        ("x -OR y", "search, column 3: nothing to negate"),
    ],
)
def test_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        Query(text=text)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("", sl.EMPTY),
        ("10.0.0.1:443", sl.And((sl.Word("10.0.0.1:443"),))),  # not a name: a word
        ("a-b -", sl.And((sl.Word("a-b"), sl.Word("-")))),
        ("Actor:x", sl.And((sl.Path(("Actor",), "x"),))),  # field names are lower case
        ('actor:"Ada L"', sl.And((sl.Field("actor", "Ada L"),))),
        ("or", sl.And((sl.Word("or"),))),
        ('"a \\"b\\" c\\\\d \\x"', sl.And((sl.Word('a "b" c\\d \\x', quoted=True),))),
        (
            "-(a OR b) since:3d",
            sl.And((sl.Not(sl.Or((sl.Word("a"), sl.Word("b")))), sl.Time("since", "3d"))),
        ),
        ("since:2026-11-20T14:00:00Z", sl.And((sl.Time("since", "2026-11-20T14:00:00Z"),))),
    ],
)
def test_parse(text: str, tree: sl.Expr) -> None:
    assert sl.parse(text) == tree
