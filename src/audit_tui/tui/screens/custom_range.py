"""The custom range dialog: since and until, in any form the query accepts.

Each field is checked as it is typed by building the :class:`Query` the core would run (so the
dialog accepts exactly what ``--since/--until`` accept); a problem is shown under its field and
nothing is applied until both are valid.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from audit_tui.model import iso_ms
from audit_tui.query import Query, QueryError
from audit_tui.safe import clean
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded

HINT = "2026-11-20, 2026-11-20T14:00Z, 3d, 12h, yesterday, now"


def single(name: str, value: str) -> Query:
    """The query of one bound of a range (raises QueryError when the time is not readable)."""
    return Query(since=value) if name == "since" else Query(until=value)


def check(since: str, until: str, now: datetime) -> tuple[str | None, str | None]:
    """(problem with since, problem with until): None where the field is fine."""
    errors: list[str | None] = [None, None]
    for i, (name, value) in enumerate((("since", since), ("until", until))):
        if value.strip():
            try:
                single(name, value).window(now)
            except QueryError as error:
                errors[i] = str(error)
    if errors == [None, None]:
        if not since.strip() and not until.strip():
            errors[0] = "give a since time, an until time, or both"
        else:
            try:
                Query(since=since or None, until=until or None).window(now)
            except QueryError as error:
                errors[1] = str(error)
    return errors[0], errors[1]


def resolved(spec: str, now: datetime, *, end: bool) -> str:
    """``= 2026-11-17 15:42 UTC`` for a valid spec, for the preview beside the field."""
    if not spec.strip():
        return "open" if end else "from the first event"
    window = single("until" if end else "since", spec).window(now)
    ms = window.until if end else window.since
    return "" if ms is None else "= " + iso_ms(ms).replace("T", " ")[:19] + " UTC"


class CustomRangeScreen(Guarded, ModalScreen[tuple[str | None, str | None] | None]):
    """Ask for a since / until range; dismiss with the two texts, or None when cancelled."""

    BINDINGS = keys.RANGE

    def __init__(self, since: str | None, until: str | None, *, now: datetime) -> None:
        super().__init__()
        self._since = since or ""
        self._until = until or ""
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="range-dialog") as dialog:
            dialog.border_title = "Custom time range"
            yield Static(Text(f"Accepts {HINT}.", "dim"), id="range-hint")
            for name, value, placeholder in (
                ("since", self._since, "e.g. 3d or 2026-11-20"),
                ("until", self._until, "empty = now"),
            ):
                with Horizontal(classes="range-row"):
                    yield Label(name.capitalize(), classes="range-label")
                    yield Input(value, placeholder=placeholder, id=f"range-{name}")
                yield Label("", id=f"range-{name}-note", classes="range-note", markup=False)
            with Horizontal(id="range-buttons"):
                yield Button("Apply", variant="primary", id="range-apply")
                yield Button("Cancel", id="range-cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#range-since", Input).focus()
        self._validate()

    def _values(self) -> tuple[str, str]:
        return (
            self.query_one("#range-since", Input).value,
            self.query_one("#range-until", Input).value,
        )

    def _validate(self) -> bool:
        since, until = self._values()
        problems = check(since, until, self.now)
        for name, value, problem in (("since", since, problems[0]), ("until", until, problems[1])):
            note = self.query_one(f"#range-{name}-note", Label)
            field = self.query_one(f"#range-{name}", Input)
            if problem:
                note.update(Text(clean(problem, 200)))
            else:
                note.update(Text(resolved(value, self.now, end=name == "until")))
            note.set_class(bool(problem), "-error")
            field.set_class(bool(problem), "-invalid")
        return problems == (None, None)

    @on(Input.Changed)
    def _changed(self) -> None:
        self._validate()

    @on(Button.Pressed, "#range-apply")
    def action_apply(self) -> None:
        if not self._validate():
            self.app.bell()
            return
        since, until = self._values()
        self.dismiss((since.strip() or None, until.strip() or None))

    @on(Button.Pressed, "#range-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
