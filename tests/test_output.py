"""Writers: what reaches a terminal is sanitised; what goes to a file is the data, exactly."""

from __future__ import annotations

import csv
import io

from audit_tui.model import flatten
from audit_tui.output import table_lines, write_csv_rows

HOSTILE = {
    "audited_at": "2026-11-20T10:00:00Z",
    "event_type": "Agent Created",
    "actor": {"name": "\x1b]52;c;aGk=\x07evil", "email": "=cmd|' /C calc'!A0"},
    "resource": {"name": "[bold red]x[/]\u202etxt.exe"},
}


def test_csv_to_a_terminal_has_no_control_characters() -> None:
    out = io.StringIO()
    write_csv_rows(out, [flatten(HOSTILE)], terminal=True)
    body = out.getvalue().replace("\r\n", "")
    assert "\x1b" not in body and "\x07" not in body and "\u202e" not in body
    assert "\\e]52;c;aGk=\\x07evil" in body


def test_csv_to_a_file_keeps_the_data() -> None:
    out = io.StringIO()
    write_csv_rows(out, [flatten(HOSTILE)])
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["actor_name"] == "\x1b]52;c;aGk=\x07evil"
    assert row["actor_email"] == "'=cmd|' /C calc'!A0"  # formula neutralised, text kept


def test_table_is_sanitised() -> None:
    text = "\n".join(table_lines([flatten(HOSTILE)]))
    assert "\x1b" not in text and "\u202e" not in text
    assert "[bold red]x[/]" in text
