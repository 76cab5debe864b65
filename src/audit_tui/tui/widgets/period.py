"""The time-period dropdown: All time, the last 7 / 30 / 90 days, or a custom range."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from audit_tui.query import PERIODS
from audit_tui.tui.failures import Guarded

CUSTOM = "custom"
OPTIONS: list[tuple[Text, str]] = [(Text(label), value) for value, label in PERIODS.items()] + [
    (Text("Custom range…"), CUSTOM)
]


class PeriodSelect(Guarded, Select[str]):
    """A Select of the periods that asks for a custom range each time "Custom range…" is picked.

    Picking a period posts ``Select.Changed`` as usual; picking "Custom range…" posts
    :class:`PeriodSelect.CustomRequested` (even when a custom range is already active) and leaves
    the value alone: the screen sets it once a valid range is given.
    """

    class CustomRequested(Message):
        pass

    def __init__(self, value: str = "all", *, id: str | None = None) -> None:
        super().__init__(OPTIONS, value=value, allow_blank=False, id=id)

    @on(SelectOverlay.UpdateSelection)
    def _picked(self, event: SelectOverlay.UpdateSelection) -> None:
        if OPTIONS[event.option_index][1] != CUSTOM:
            return  # Select's own handler sets the value
        event.stop()
        event.prevent_default()
        self.expanded = False
        self.focus()
        self.post_message(self.CustomRequested())
