"""The filter panels: Actor, Event Type and Workspace, each a multi-select list with counts.

A panel gets the facet values (with the count each would give) and the current selection from
the screen, and posts :class:`FacetPanel.Changed` when the user ticks or clears values; it never
changes the query itself. A small input above each list narrows long lists as you type. When
the counts cover only part of the events (an audit API without a facets endpoint: counted over
the events loaded so far), a note above the panels says so.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, SelectionList
from textual.widgets.selection_list import Selection

from audit_tui.query import Query
from audit_tui.safe import clean
from audit_tui.store import Facets, FacetValue
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import fit, marker, thousands

TITLES = {"actors": "Actor", "event_types": "Event Type", "workspaces": "Workspace"}
MOST = 300  # options shown at once; narrowing reaches the rest
MORE = "\x00more"  # value of the disabled "… more" line (never a real facet value)


def prompt(value: FacetValue, width: int, with_value: bool = False) -> Text:
    """``Olga Becker <olga@acme.com>     1,204``: label cut to fit, count right-aligned.

    ``with_value`` adds the value (an id) after the label, for labels that are not unique
    (two workspaces called "Staging" in different organizations)."""
    count = thousands(value.count)
    label = marker(value.kind) + clean(value.label, 200)
    room = max(1, width - len(count) - 1)
    text = Text(fit(label, room).rstrip())
    spare = room - text.cell_len
    if with_value and value.value != value.label and spare >= 6:
        # the id fills what the label leaves (the label always wins the room)
        text.append(fit(" " + clean(value.value, 60), spare), "dim")
    else:
        text.append(" " * spare)
    text.append(" ")
    text.append(count, "dim")
    return text


def narrowed(values: list[FacetValue], needle: str) -> list[FacetValue]:
    needle = needle.strip().lower()
    if not needle:
        return values
    return [v for v in values if needle in v.label.lower() or needle in v.value.lower()]


class FacetList(SelectionList[str]):
    """The list of one facet's values; focusing it highlights the first value."""

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        if self.highlighted is None and self.option_count:
            self.highlighted = 0


class FacetPanel(Guarded, Vertical, can_focus=False):
    """One facet: a title, a narrowing input and the list of values with counts."""

    BINDINGS = keys.FACET

    facets: reactive[Facets | None] = reactive(None, always_update=True, init=False)
    audit_query: reactive[Query] = reactive(Query, init=False)

    class Changed(Message):
        """The user changed the selection of ``facet`` to ``values``."""

        def __init__(self, facet: str, values: frozenset[str]) -> None:
            self.facet = facet
            self.values = values
            super().__init__()

    def __init__(self, facet: str) -> None:
        super().__init__(id=f"facet-{facet}", classes="facet")
        self.facet = facet
        self.border_title = TITLES[facet]
        self._width = 0
        self._signature: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="type to narrow…", compact=True, classes="narrow")
        yield FacetList(classes="facet-list", compact=True)

    @property
    def options(self) -> FacetList:
        return self.query_one(FacetList)

    def focus_list(self) -> None:
        self.options.focus()

    @property
    def values(self) -> list[FacetValue]:
        return self.facets.get(self.facet) if self.facets is not None else []

    @property
    def selected(self) -> frozenset[str]:
        return self.audit_query.facet(self.facet)

    def watch_facets(self) -> None:
        self._rebuild()

    def watch_audit_query(self, old: Query, new: Query) -> None:
        if old.facet(self.facet) == new.facet(self.facet):
            return
        self._rebuild()
        n = len(self.selected)
        self.border_subtitle = f"{n} selected · x clears" if n else ""
        self.set_class(bool(n), "-active")

    def on_resize(self) -> None:
        width = self._prompt_width()
        if width != self._width:
            self._rebuild()

    def _prompt_width(self) -> int:
        sl = self.options
        return max(8, sl.scrollable_content_region.width - sl._get_left_gutter_width() - 1)

    @on(Input.Changed, ".narrow")
    def _narrow(self, event: Input.Changed) -> None:
        event.stop()
        self._rebuild()

    @on(Input.Submitted, ".narrow")
    def _to_list(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_list()

    def _rebuild(self) -> None:
        """Show the (narrowed) values with their counts; keep the highlight where it was."""
        if not self.is_mounted:
            return
        sl = self.options
        self._width = width = self._prompt_width()
        needle = self.query_one(".narrow", Input).value
        shown = narrowed(self.values, needle)
        chosen = {s.lower() for s in self.selected}
        rest = len(shown) - MOST
        if rest > 0:  # keep ticked values visible even past the cut
            shown = shown[:MOST] + [v for v in shown[MOST:] if v.value.lower() in chosen]
        signature = (width, tuple(shown), frozenset(chosen), rest)
        if signature == self._signature:
            return  # same values, counts and ticks: nothing to redraw
        self._signature = signature
        highlighted = None
        if sl.highlighted is not None and sl.highlighted < sl.option_count:
            highlighted = sl.get_option_at_index(sl.highlighted).value
        seen: dict[str, int] = {}
        for v in self.values:
            seen[v.label] = seen.get(v.label, 0) + 1
        options: list[Selection[str]] = [
            Selection(prompt(v, width, seen[v.label] > 1), v.value, v.value.lower() in chosen)
            for v in shown
        ]
        if rest > 0:
            options.append(
                Selection(
                    Text(f"… {thousands(rest)} more: type to narrow", "dim italic"),
                    MORE,
                    False,
                    disabled=True,
                )
            )
        with sl.prevent(SelectionList.SelectedChanged, SelectionList.SelectionHighlighted):
            sl.clear_options()
            sl.add_options(options)
            index = next((i for i, o in enumerate(options) if o.value == highlighted), None)
            if index is None and options and sl.has_focus:
                index = 0
            sl.highlighted = index

    @on(SelectionList.SelectedChanged, ".facet-list")
    def _ticked(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        shown = {
            sl_value.lower()
            for sl_value in (
                self.options.get_option_at_index(i).value for i in range(self.options.option_count)
            )
        }
        kept = {s for s in self.selected if s.lower() not in shown}
        picked = {v for v in self.options.selected if v != MORE}
        self.post_message(self.Changed(self.facet, frozenset(kept | picked)))

    def action_narrow(self) -> None:
        self.query_one(".narrow", Input).focus()

    def action_clear_facet(self) -> None:
        self.query_one(".narrow", Input).value = ""
        if self.selected:
            self.post_message(self.Changed(self.facet, frozenset()))


PARTIAL = "counts from loaded events (the server gives none)"


class FilterSidebar(Guarded, Vertical, can_focus=False):
    """The three facet panels, stacked; they get the facets and the query from the screen."""

    facets: reactive[Facets | None] = reactive(None, always_update=True, init=False)
    partial_facets: reactive[bool] = reactive(False, init=False)
    audit_query: reactive[Query] = reactive(Query, init=False)

    def compose(self) -> ComposeResult:
        yield Label(PARTIAL, id="facet-note", markup=False)
        for facet in TITLES:
            yield FacetPanel(facet).data_bind(FilterSidebar.facets, FilterSidebar.audit_query)

    def on_mount(self) -> None:
        self.watch_partial_facets(self.partial_facets)

    def watch_partial_facets(self, partial: bool) -> None:
        for note in self.query("#facet-note"):
            note.display = partial

    def panel(self, facet: str) -> FacetPanel:
        return self.query_one(f"#facet-{facet}", FacetPanel)
