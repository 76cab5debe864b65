"""The store: order, facet counts, paging, text search over values, narrowing, first()."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest

from audit_tui.model import parse_time
from audit_tui.query import Query
from audit_tui.store import Facets, Store

ALICE = {"type": "user", "id": "usr_alice", "name": "Alice Liddell", "email": "alice@example.com"}
BOB = "Bob"  # a bare string is the actor's name
CAROL = {"type": "user", "id": "usr_carol", "email": "carol@example.com"}
ZOE = {"type": "user", "id": "usr_zoe", "name": "Zoë Ångström", "email": "zoe@example.com"}
PROD = {"id": "ws_prod", "name": "Production"}
STAGING = {"id": "ws_staging", "name": "Staging"}


def _ev(id: str, at: str, etype: str, actor: Any, ws: Any, **metadata: Any) -> dict[str, Any]:
    return {
        "id": id,
        "audited_at": at,
        "event_type": etype,
        "resource": {"type": "thing", "id": f"res_{id}", "name": f"thing {id}"},
        "organization": {"id": "org_1", "name": "Acme"},
        "workspace": ws,
        "actor": actor,
        "metadata": metadata,
    }


EVENTS = [
    _ev(
        "e01",
        "2026-11-19T10:00:00Z",
        "user.login",
        ALICE,
        PROD,
        user_agent="Mozilla/5.0",
        ip="10.0.0.1",
    ),
    _ev("e02", "2026-11-19T10:00:00Z", "user.login", BOB, STAGING, ip="10.0.0.2"),
    _ev("e03", "2026-11-19T09:00:00Z", "user.logout", ALICE, PROD),
    _ev(
        "e04",
        "2026-11-18T12:00:00Z",
        "api_key.created",
        CAROL,
        PROD,
        key={"name": "deploy-bot", "scopes": ["read", "write"]},
    ),
    _ev(
        "e05", "2026-11-17T08:00:00Z", "workspace.updated", ZOE, None, school="ÉCOLE Polytechnique"
    ),
    _ev(
        "e06",
        "2026-11-10T00:00:00Z",
        "user.login",
        ALICE,
        STAGING,
        count=42,
        ok=True,
        nothing=None,
        ratio=0.5,
    ),
    _ev("e07", "2026-11-01T00:00:00Z", "user.login", BOB, STAGING),
    _ev("e08", "2026-10-01T00:00:00Z", "api_key.revoked", CAROL, PROD),
    _ev("e09", "2026-11-19T12:00:00+02:00", "user.logout", ALICE, PROD),  # = 10:00Z: a tie
    _ev("e10", "2026-11-19T10:00:00Z", "user.login", ZOE, STAGING, note="tie"),
]
# A line written by hand: JSON escapes (\" and \u00e9 and \\) must be searched as their values.
ESCAPED = (
    b'{"id":"e11","audited_at":"2026-11-16T00:00:00Z","event_type":"comment.added",'
    b'"actor":{"type":"user","id":"usr_alice","name":"Alice Liddell","email":"alice@example.com"},'
    b'"workspace":{"id":"ws_prod","name":"Production"},'
    b'"metadata":{"text":"say \\"hi\\" at the caf\\u00e9","path":"C:\\\\temp\\\\x"}}'
)
ALL = [*EVENTS, orjson.loads(ESCAPED)]


def _lines() -> list[Any]:
    return [*EVENTS[:5], ESCAPED, *EVENTS[5:]]


@pytest.fixture
def store(open_store) -> Store:
    s = open_store(_lines())
    assert s.error is None and s.total == len(ALL) and not s.skipped
    return s


def ids(store: Store, positions: Any) -> list[str]:
    return [store.row(int(p)).id for p in positions]


def found(store: Store, now, **query: Any) -> list[str]:
    return ids(store, store.search(Query(**query), now).positions)


def counts(facets: Facets, name: str) -> dict[str, int]:
    return {f.value: f.count for f in facets.get(name)}


# -- order and paging --------------------------------------------------------------------


def test_newest_first_ties_by_id_descending(store, fixed_now) -> None:
    expected = [
        r["id"]
        for r in sorted(ALL, key=lambda r: (parse_time(r["audited_at"]), r["id"]), reverse=True)
    ]
    assert expected[:4] == ["e10", "e09", "e02", "e01"]  # the four at 10:00Z, ids descending
    assert found(store, fixed_now) == expected
    result = store.search(Query(), fixed_now)
    assert result.count == result.total == len(ALL)
    times = [store.row(int(p)).audited_at for p in result.positions]
    assert times == sorted(times, reverse=True)


def test_tie_order_is_by_id_text(open_store, fixed_now) -> None:
    at = "2026-11-19T10:00:00Z"
    s = open_store(
        [{"id": i, "audited_at": at, "event_type": "x"} for i in ["b", "a10", "c", "a9", "B"]]
    )
    assert found(s, fixed_now) == ["c", "b", "a9", "a10", "B"]


def test_paging(store, fixed_now) -> None:
    result = store.search(Query(), fixed_now)
    everything = ids(store, result.positions)
    pages = [ids(store, result.positions[i : i + 3]) for i in range(0, result.count, 3)]
    assert [i for page in pages for i in page] == everything
    assert len(pages) == 4 and len(pages[-1]) == 2
    logins = store.search(Query(event_types=["user.login"]), fixed_now)
    assert (
        ids(store, logins.positions[1:3])
        == found(store, fixed_now, event_types=["user.login"])[1:3]
    )
    assert store.rows(result.positions[:2]) == [store.row(int(p)) for p in result.positions[:2]]


def test_first_is_the_prefix_of_search(open_store, fixed_now) -> None:
    queries = [
        Query(),
        Query(text="alice"),
        Query(text="user"),
        Query(text="10.0.0"),
        Query(text="login", actors=["usr_alice"]),
        Query(text="nomatchatall"),
        Query(period="7d", text="e"),
        Query(text="caf"),
    ]
    for q in queries:
        for limit in (1, 2, 5, 100):
            fresh = open_store(_lines(), name="first.jsonl")  # nothing cached: first()'s own path
            expected = fresh.search(q, fixed_now).positions[:limit].tolist()
            again = open_store(_lines(), name="first2.jsonl")
            assert again.first(q, limit, fixed_now).positions.tolist() == expected, (q, limit)
            # and with the text already cached
            assert fresh.first(q, limit, fixed_now).positions.tolist() == expected, (q, limit)


def test_first_finds_verified_matches(open_store, fixed_now) -> None:
    # 20 newer events whose values 1 and 2 sit side by side ("1,2" in the raw line), then one
    # whose value really holds "1,2": hits dropped by the exact check must not end the scan
    lines = [
        {
            "id": f"a{i:02d}",
            "audited_at": f"2026-11-19T10:00:{i:02d}Z",
            "event_type": "x",
            "metadata": {"p": 1, "q": 2},
        }
        for i in range(20)
    ]
    lines.append(
        {
            "id": "b",
            "audited_at": "2026-01-01T00:00:00Z",
            "event_type": "x",
            "metadata": {"s": "1,2"},
        }
    )
    s = open_store(lines)
    assert found(s, fixed_now, text="1,2") == ["b"]
    fresh = open_store(lines, name="fresh.jsonl")
    assert ids(fresh, fresh.first(Query(text="1,2"), 1, fixed_now).positions) == ["b"]


def test_ties_broken_even_if_queried_while_loading(fixed_now) -> None:
    """A query while loading sorts without the id tie-break; the final sort must still do it."""
    from audit_tui.sources.blocks import BlockIndexer

    data = b"".join(
        orjson.dumps({"id": i, "audited_at": "2026-11-19T10:00:00Z", "event_type": "x"}) + b"\n"
        for i in ["a", "c", "b"]
    )
    s = Store("test")
    s.set_raw_buffer(data)
    result, texts = BlockIndexer().index_block(data, 0)
    s.add_block(0, result, texts)
    s.search(Query(), fixed_now)  # the browser asks while the source is loading
    s.finish()
    assert found(s, fixed_now) == ["c", "b", "a"]


# -- facets --------------------------------------------------------------------------------


def test_facet_values_and_labels(store, fixed_now) -> None:
    f = store.facets(Query(), fixed_now)
    assert counts(f, "actors") == {"usr_alice": 5, "Bob": 2, "usr_carol": 2, "usr_zoe": 2}
    labels = {v.value: v.label for v in f.actors}
    assert labels["usr_alice"] == "Alice Liddell <alice@example.com>"
    assert labels["Bob"] == "Bob"
    assert labels["usr_carol"] == "carol@example.com"
    assert {v.value: v.kind for v in f.actors}["usr_alice"] == "user"
    assert counts(f, "event_types") == {
        "user.login": 5,
        "user.logout": 2,
        "api_key.created": 1,
        "api_key.revoked": 1,
        "workspace.updated": 1,
        "comment.added": 1,
    }
    assert counts(f, "workspaces") == {"ws_prod": 6, "ws_staging": 4, "": 1}
    assert {v.value: v.label for v in f.workspaces}[""] == "(organization level)"
    # most frequent first
    assert [v.count for v in f.actors] == sorted((v.count for v in f.actors), reverse=True)


def test_facet_counts_use_the_other_conditions(store, fixed_now) -> None:
    q = Query(event_types=["user.login"])
    f = store.facets(q, fixed_now)
    # actors and workspaces: counted over logins only
    assert counts(f, "actors") == {"usr_alice": 2, "Bob": 2, "usr_zoe": 1}
    assert counts(f, "workspaces") == {"ws_prod": 1, "ws_staging": 4}
    # event types: its own selection does not narrow its counts
    assert counts(f, "event_types") == counts(store.facets(Query(), fixed_now), "event_types")

    q = Query(actors=["usr_alice"], event_types=["user.login"], period="7d")
    f = store.facets(q, fixed_now)
    assert counts(f, "event_types") == {"user.login": 1, "user.logout": 2, "comment.added": 1}
    assert counts(f, "actors") == {"usr_alice": 1, "Bob": 1, "usr_zoe": 1}
    assert counts(f, "workspaces") == {"ws_prod": 1}

    f = store.facets(Query(text="10.0.0"), fixed_now)
    assert counts(f, "actors") == {"usr_alice": 1, "Bob": 1}


def test_selected_value_with_no_matches_stays_listed(store, fixed_now) -> None:
    f = store.facets(Query(text="deploy-bot", actors=["Bob"]), fixed_now)
    assert counts(f, "actors") == {"usr_carol": 1, "Bob": 0}
    assert "Bob" not in counts(store.facets(Query(text="deploy-bot"), fixed_now), "actors")


BASE_QUERIES = [
    Query(),
    Query(period="7d"),
    Query(text="user"),
    Query(text="alice"),
    Query(event_types=["user.login"]),
    Query(actors=["usr_alice", "Bob"]),
    Query(workspaces=["ws_staging"], since="2026-11-01", until="2026-11-18"),
]


@pytest.mark.parametrize("base", BASE_QUERIES, ids=lambda q: q.summary() or "all")
def test_selecting_a_value_gives_the_count_shown(store, fixed_now, base: Query) -> None:
    f = store.facets(base, fixed_now)
    for name in ("actors", "event_types", "workspaces"):
        total = 0
        for value in f.get(name):
            q = base.with_(**{name: frozenset({value.value})})
            assert store.search(q, fixed_now).count == value.count, (name, value)
            total += value.count
        # every event matching the other conditions is counted under exactly one value
        assert total == store.search(base.without_facet(name), fixed_now).count


def test_facet_matching(store, fixed_now) -> None:
    by_id = found(store, fixed_now, actors=["usr_alice"])
    assert len(by_id) == 5
    # the actor's id, email or name; case-insensitive; exact, not partial
    assert found(store, fixed_now, actors=["ALICE@example.com"]) == by_id
    assert found(store, fixed_now, actors=["alice liddell"]) == by_id
    assert found(store, fixed_now, actors=["alice"]) == []
    assert found(store, fixed_now, actors=["bob"]) == ["e02", "e07"]
    assert found(store, fixed_now, actors=["carol@example.com"]) == ["e04", "e08"]
    assert found(store, fixed_now, actors=["zoë ångström"]) == ["e10", "e05"]
    # workspaces: id or name; "" is the organization level
    assert found(store, fixed_now, workspaces=["staging"]) == found(
        store, fixed_now, workspaces=["WS_STAGING"]
    )
    assert found(store, fixed_now, workspaces=[""]) == ["e05"]
    # event types: the label
    assert found(store, fixed_now, event_types=["USER.LOGOUT"]) == ["e09", "e03"]
    assert found(store, fixed_now, event_types=["user"]) == []


def test_or_within_and_across(store, fixed_now) -> None:
    a = set(found(store, fixed_now, actors=["usr_alice"]))
    b = set(found(store, fixed_now, actors=["bob"]))
    both = found(store, fixed_now, actors=["usr_alice", "bob"])
    assert set(both) == a | b and len(both) == len(a | b)
    logins = set(found(store, fixed_now, event_types=["user.login"]))
    combined = found(store, fixed_now, actors=["usr_alice", "bob"], event_types=["user.login"])
    assert set(combined) == (a | b) & logins
    assert found(
        store, fixed_now, actors=["usr_alice"], workspaces=["Staging"], event_types=["user.login"]
    ) == ["e06"]
    assert found(store, fixed_now, actors=["nobody at all"]) == []


# -- text search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "user_agent",
        "metadata",
        "audited_at",
        "event_type",
        "organization",
        "scopes",
        "school",
        "ratio",
        "email",
    ],
)
def test_key_names_do_not_match(store, fixed_now, word: str) -> None:
    assert found(store, fixed_now, text=word) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mozilla", ["e01"]),  # a value in nested metadata
        ("MOZILLA/5.0", ["e01"]),
        ("deploy-bot", ["e04"]),  # nested two levels
        ("write", ["e04"]),  # inside a list
        ("zoë", ["e10", "e05"]),  # non-ASCII, any case
        ("ZOË", ["e10", "e05"]),
        ("ångström", ["e10", "e05"]),
        ("école", ["e05"]),
        ("ÉCOLE", ["e05"]),
        ("polytech", ["e05"]),
        ('"\\"hi\\""', ["e11"]),  # from \"hi\" in the source (a quote, quoted: \")
        ("café", ["e11"]),  # from caf\u00e9
        ("CAFÉ", ["e11"]),
        ('"c:\\temp\\x"', ["e11"]),  # from C:\\temp\\x (quoted: c: is no path)
        ("42", ["e06"]),  # numbers, booleans and null are searched as their JSON text
        ("true", ["e06"]),
        ("null", ["e05", "e06"]),  # e05's workspace is null
        ("0.5", ["e06"]),
        ("res_e03", ["e03"]),  # top-level values too
        ("acme", ["e10", "e09", "e02", "e01", "e03", "e04", "e05", "e06", "e07", "e08"]),  # not e11
        ("alice login", ["e01", "e06"]),  # several words: all of them, anywhere
        ("login alice", ["e01", "e06"]),
        ("alice logout", ["e09", "e03"]),
        ("alice bob", []),
        ("10.0.0.1", ["e01"]),
        ("10.0.0", ["e02", "e01"]),
        ('"hi" café', ["e11"]),
        ('"read","write"', []),  # JSON punctuation across values is no value
        ("read,write", []),
        ('"ok\\":true"', []),
    ],
)
def test_text_search(store, fixed_now, text: str, expected: list[str]) -> None:
    assert found(store, fixed_now, text=text) == expected


def test_narrowing_and_widening(store, fixed_now) -> None:
    alice = ["e09", "e01", "e03", "e11", "e06"]
    assert found(store, fixed_now, text="ali") == alice  # "ali" is also in no other value
    assert found(store, fixed_now, text="alice") == alice
    assert found(store, fixed_now, text="alice liddell") == alice
    assert found(store, fixed_now, text="alice logout") == ["e09", "e03"]
    assert found(store, fixed_now, text="alice logou") == ["e09", "e03"]
    assert found(store, fixed_now, text="bo") == ["e02", "e04", "e07"]  # Bob, deploy-bot
    assert found(store, fixed_now, text="bob") == ["e02", "e07"]
    assert found(store, fixed_now, text="bob deploy") == []
    assert found(store, fixed_now, text="bo") == ["e02", "e04", "e07"]
    assert found(store, fixed_now, text="ali") == alice
    assert found(store, fixed_now, text="l") == found(store, fixed_now)  # every event has an "l"


def test_narrowing_with_first(open_store, fixed_now) -> None:
    s = open_store(_lines())
    for text, expected in [
        ("a", None),
        ("al", None),
        ("ali", ["e09", "e01"]),
        ("alic", ["e09", "e01"]),
        ("alice logout", ["e09", "e03"]),
        ("alice", ["e09", "e01"]),
    ]:
        got = ids(s, s.first(Query(text=text), 2, fixed_now).positions)
        assert got == found(s, fixed_now, text=text)[:2]
        if expected is not None:
            assert got == expected


def test_text_with_other_conditions(store, fixed_now) -> None:
    assert found(store, fixed_now, text="alice", period="7d") == ["e09", "e01", "e03", "e11"]
    assert found(store, fixed_now, text="login", workspaces=["production"]) == ["e01"]
    assert found(store, fixed_now, text="   ") == found(store, fixed_now)


# -- raw records -------------------------------------------------------------------------------


def test_raw_is_the_source_line(store, fixed_now) -> None:
    by_id = {orjson.loads(line)["id"]: line for line in (orjson.dumps(r) for r in EVENTS)}
    by_id["e11"] = ESCAPED
    for p in range(store.total):
        raw = store.raw(p)
        assert raw == by_id[orjson.loads(raw)["id"]]
        assert store.record(p) == orjson.loads(raw)
    row = store.row(found(store, fixed_now).index("e11"))
    assert row.metadata == {"text": 'say "hi" at the café', "path": "C:\\temp\\x"}


def test_result_positions_dtype(store, fixed_now) -> None:
    result = store.search(Query(text="alice"), fixed_now)
    assert isinstance(result.positions, np.ndarray)
    assert result.positions.tolist() == sorted(result.positions.tolist())
    assert store.count(Query(text="alice"), fixed_now) == result.count == 5


# -- regressions: bugs found by these tests, now fixed -------------------------------------


def test_unknown_actor_can_be_selected(open_store, fixed_now) -> None:
    s = open_store([{"id": "a", "audited_at": "2026-11-19T10:00:00Z", "event_type": "system.tick"}])
    unknown = [v for v in s.facets(Query(), fixed_now).actors if v.label == "(unknown)"]
    assert unknown and unknown[0].count == 1
    assert s.search(Query(actors=[unknown[0].value]), fixed_now).count == 1


def test_values_with_spaces_can_be_selected(open_store, fixed_now) -> None:
    s = open_store(
        [
            {
                "id": "a",
                "audited_at": "2026-11-19T10:00:00Z",
                "event_type": " padded ",
                "actor": {"name": " Spacey "},
                "workspace": " ws ",
            }
        ]
    )
    f = s.facets(Query(), fixed_now)
    for name in ("actors", "event_types", "workspaces"):
        for v in f.get(name):
            assert s.search(Query(**{name: [v.value]}), fixed_now).count == v.count, (name, v)


def test_empty_workspace_objects_count_as_selected(open_store, fixed_now) -> None:
    s = open_store(
        [
            {"id": "a", "audited_at": "2026-11-19T10:00:00Z", "event_type": "x"},
            {"id": "b", "audited_at": "2026-11-19T10:00:00Z", "event_type": "x", "workspace": {}},
            {"id": "c", "audited_at": "2026-11-19T10:00:00Z", "event_type": "x", "workspace": ""},
        ]
    )
    (org,) = s.facets(Query(), fixed_now).workspaces
    assert s.search(Query(workspaces=[org.value]), fixed_now).count == org.count


def test_number_text_does_not_depend_on_escapes(open_store, fixed_now) -> None:
    plain = (
        b'{"id":"a","audited_at":"2026-11-19T10:00:00Z","event_type":"x","m":{"n":1.50,"e":1e5}}'
    )
    escaped = b'{"id":"b","audited_at":"2026-11-19T10:00:00Z","event_type":"x","m":{"n":1.50,"e":1e5,"s":"\\u00e9"}}'
    s = open_store([plain, escaped])
    for word in ("1.50", "1.5", "1e5", "100000"):
        assert sorted(found(s, fixed_now, text=word)) in ([], ["a", "b"]), word


@pytest.mark.parametrize("space", [b"\r", b" ", b"\t", b" \r\t "])
def test_key_name_before_spaced_colon_does_not_match(open_store, fixed_now, space: bytes) -> None:
    """Whitespace between a key and its colon is valid JSON: the key is still no value."""
    line = b'{"audited_at"%s:"2026-11-19T10:00:00Z","event_type":"x","secretkey"%s:"v"}' % (
        space,
        space,
    )
    s = open_store([line])
    assert s.total == 1
    assert found(s, fixed_now, text="secretkey") == []
    assert found(s, fixed_now, text="v") == [""]


@pytest.mark.parametrize(
    "line",
    [
        b'{"id":"a","audited_at":"2026-11-19T10:00:00Z","event_type":"x","m":"\xff"}',
        b'{"id":"a","audited_at":"2026-11-19T10:00:00Z","event_type":"x","m":1e400}',
    ],
    ids=["invalid-utf8", "infinity"],
)
def test_every_loaded_record_can_be_read(open_store, line: bytes) -> None:
    s = open_store([line, b'{"id":"b","audited_at":"2026-11-18T10:00:00Z","event_type":"x"}'])
    for p in range(s.total):
        s.row(p)  # the table and the detail view read every loaded record like this


@pytest.mark.parametrize(
    "line",
    [
        b'{"id":"a","audited_at":"2026-11-19T10:00:00Z","event_type":"x","m":1e400,"s":"\\n"}',
        b'{"id":"a","audited_at":"2026-11-19T10:00:00Z","event_type":"x","m":"\xff\\n"}',
    ],
    ids=["infinity", "invalid-utf8"],
)
def test_one_hostile_line_does_not_stop_loading(open_store, line: bytes) -> None:
    good = [
        b'{"id":"b","audited_at":"2026-11-18T10:00:00Z","event_type":"x"}',
        b'{"id":"c","audited_at":"2026-11-17T10:00:00Z","event_type":"x"}',
    ]
    s = open_store([good[0], line, good[1]])
    assert s.error is None
    assert s.total + len(s.skipped) == 3
    assert s.total >= 2


def test_actor_value_count_with_a_shared_name(open_store, fixed_now) -> None:
    s = open_store(
        [
            {
                "id": "a",
                "audited_at": "2026-11-19T10:00:00Z",
                "event_type": "x",
                "actor": {"id": "u1", "name": "Al"},
            },
            {"id": "b", "audited_at": "2026-11-19T09:00:00Z", "event_type": "x", "actor": "Al"},
            {
                "id": "c",
                "audited_at": "2026-11-19T08:00:00Z",
                "event_type": "x",
                "actor": {"name": "al"},
            },
        ]
    )
    for v in s.facets(Query(), fixed_now).actors:
        assert s.search(Query(actors=[v.value]), fixed_now).count == v.count, v
