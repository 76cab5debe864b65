"""The first rows painted before the interface is up (audit_tui.tui.preview)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from audit_tui.commands import browse
from audit_tui.tui import preview
from audit_tui.tui.tablelayout import layout

OUR_SEQUENCES = re.compile(r"\x1b\[(\?1049[hl]|\?25[hl]|[0-9]*m|2J|[0-9]+;[0-9]+H)")


def event(i: int, actor: str = "Olga Becker", etype: str = "Agent Created") -> dict:
    return {
        "id": f"evt-{i}",
        "audited_at": f"2026-11-{1 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "event_type": etype,
        "resource": {"id": f"agt-{i}", "name": f"agent-{i}", "type": "agent"},
        "organization": {"id": "org-1", "name": "Acme Corp"},
        "workspace": {"id": "ws-1", "name": "Production"},
        "actor": {"id": "usr-1", "name": actor, "email": "olga@acme.com", "type": "user"},
        "metadata": {},
    }


def write(path: Path, events: list[dict], filler: int = 0) -> Path:
    """``events`` in order, with ``filler`` older events in the middle (to pass MIN_BYTES)."""
    with open(path, "w") as f:
        for e in events[:2]:
            f.write(json.dumps(e) + "\n")
        for i in range(filler):
            f.write(json.dumps(event(1000 + i)) + "\n")
        for e in events[2:]:
            f.write(json.dumps(e) + "\n")
    return path


def test_newest_rows_come_from_both_ends_newest_first(tmp_path: Path) -> None:
    # newest at the start of the file (a log written newest first) and at its end
    early = [event(500_000), event(400_000)]
    late = [event(100), event(300_000)]
    path = write(tmp_path / "a.jsonl", early + late, filler=2000)
    rows, years = preview.newest_rows(str(path), 3)
    assert [r.id for r in rows] == ["evt-500000", "evt-400000", "evt-300000"]
    assert years is False


def test_unreadable_lines_are_left_out(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(
        '{"broken\n' + json.dumps(event(5)) + "\n[1, 2]\n" + json.dumps(event(9)) + "\n"
    )
    rows, _ = preview.newest_rows(str(path), 10)
    assert [r.id for r in rows] == ["evt-9", "evt-5"]


def test_render_places_rows_where_the_table_will_be() -> None:
    rows = [preview.flatten(event(i)) for i in (30, 20, 10)]
    wide = preview.render(rows, "audit-tui — x", (160, 45))
    # the table's header and first row: below the search box and the timeline, right of the
    # 38-cell sidebar
    assert "\x1b[7;39H\x1b[1m Audited At (UTC)" in wide
    assert "\x1b[8;39H" in wide and "agent-30" in wide
    narrow = preview.render(rows, "audit-tui — x", (80, 24))
    assert "\x1b[5;1H\x1b[1m Audited (UTC) " in narrow  # short times: within one year
    # the columns the table shows at that width (Organization goes first when short of room)
    for width, dropped in ((80, False), (60, True)):
        plan = layout(width - 1, len("Agent Created"))
        out = preview.render(rows, "t", (width, 24))
        assert ("Organization" not in [c.title for c, _ in plan.columns]) is dropped
        assert ("Organiz" in out) is not dropped and "Event Type" in out


def test_hostile_values_never_reach_the_terminal_raw() -> None:
    osc52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
    rows = [preview.flatten(event(1, actor=f"[@click=app.quit]x[/]{osc52}", etype="\x9b31mred"))]
    out = preview.render(rows, "audit-tui — \x1b[2Jevil", (200, 30))
    rest = OUR_SEQUENCES.sub("", out)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", rest), repr(rest)
    assert "\x1b]" not in out and "\x1b[2Jevil" not in out
    assert "[@click=app.quit]x[/]" in rest  # shown as text, not interpreted


def test_paint_only_for_a_big_plain_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = write(tmp_path / "small.jsonl", [event(1), event(2)])
    out = io.StringIO()
    monkeypatch.setattr(
        preview.os, "get_terminal_size", lambda fd: preview.os.terminal_size((100, 30))
    )
    out.fileno = lambda: 1  # type: ignore[method-assign]
    assert preview.paint_newest(str(small), "t", out=out) is None
    assert out.getvalue() == ""
    monkeypatch.setattr(preview, "MIN_BYTES", 10)
    restore = preview.paint_newest(str(small), "t", out=out)
    assert restore is not None and "evt-2" not in out.getvalue()  # ids are not a column
    assert out.getvalue().startswith(preview.ALT_SCREEN) and "agent-2" in out.getvalue()
    restore()
    assert out.getvalue().endswith(preview.MAIN_SCREEN)
    gz = tmp_path / "x.jsonl.gz"
    gz.write_bytes(b"\x1f\x8b" + b"\0" * 100)
    assert preview.paint_newest(str(gz), "t", out=io.StringIO()) is None


def test_not_for_filtered_views_pipes_or_tests(tmp_path: Path) -> None:
    path = write(tmp_path / "c.jsonl", [event(1), event(2)])
    args = browse.browse_parser().parse_args([str(path)])
    # pytest's standard streams are not a terminal: nothing painted, nothing to restore
    assert preview.wanted() is False
    browse.preview(args, browse.build_query(args), None)()
    args = browse.browse_parser().parse_args([str(path), "--search", "olga"])
    assert browse.build_query(args) != browse.Query()
