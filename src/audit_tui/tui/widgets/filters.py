"""The filter panels: Actor, Event Type and Workspace, each a multi-select list with counts.

A panel gets the facet values (with the count each would give) and the current selection from
the screen, and posts :class:`FacetPanel.Changed` when the user ticks or clears values; it never
changes the query itself. A small input above each list narrows long lists as you type. When
the counts cover only part of the events (an audit API without a facets endpoint: counted over
the events loaded so far), a note above the panels says so.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label, SelectionList
from textual.widgets.selection_list import Selection

from audit_tui.facets import fold
from audit_tui.query import Query
from audit_tui.safe import ELLIPSIS, clean
from audit_tui.store import Facets, FacetValue
from audit_tui.tui import keys
from audit_tui.tui.failures import Guarded
from audit_tui.tui.format import fit, marker, thousands

TITLES = {"actors": "Actor", "event_types": "Event Type", "workspaces": "Workspace"}
MOST = 300  # options shown at once; narrowing reaches the rest
MORE = "\x00more"  # value of the disabled "… more" line (never a real facet value)


def middle(text: str, width: int) -> str:
    """``text`` in ``width`` cells, cut in the middle (``homer.s…@springfield.gov``): the
    start and the end of an id or an email tell values apart more often than the start alone."""
    if cell_len(text) <= width:
        return text
    if width <= 2:
        return fit(text, width)
    tail_w = (width - 1) // 2
    head = set_cell_size(text, width - 1 - tail_w)
    tail = text[::-1]
    tail = set_cell_size(tail, tail_w)[::-1]
    return head + ELLIPSIS + tail


def prompt(
    value: FacetValue,
    width: int,
    with_value: bool = False,
    cut_middle: bool = False,
    value_wins: bool = False,
) -> Text:
    """``Olga Becker <olga@acme.com>     1,204``: label cut to fit, count right-aligned.

    ``with_value`` adds the value (an id or an email, cut in the middle when needed) after
    the label, for labels that are not unique (two workspaces called "Staging" in different
    organizations); the value keeps up to half the room, or all it needs but a few cells of
    label with ``value_wins``. ``cut_middle`` cuts the label in its middle rather than at its
    end (two labels that differ only at their end)."""
    count = thousands(value.count)
    label = marker(value.kind) + clean(value.label, 200)
    room = max(1, width - len(count) - 1)
    shown_value = " " + clean(value.value, 200)
    if not with_value or value.value == value.label:
        shown_value = ""
    share = max(7, room - 6) if value_wins else max(7, room // 2)
    value_w = min(cell_len(shown_value), share) if shown_value else 0
    label_w = max(1, room - value_w)
    cut = middle(label, label_w) if cut_middle else fit(label, label_w).rstrip()
    text = Text(cut)
    if shown_value:
        text.append(middle(shown_value, room - text.cell_len), "dim")
    text.append(" " * max(0, room - text.cell_len))
    text.append(" ")
    text.append(count, "dim")
    return text


def prompts(values: list[FacetValue], every: list[FacetValue], width: int) -> list[Text]:
    """The prompts of ``values`` (out of ``every`` value of the facet) such that no two read
    the same: a label shared by several values shows each one's id or email, and labels that
    only differ past the cut are cut in the middle instead."""
    seen: dict[str, int] = {}
    for v in every:
        seen[v.label] = seen.get(v.label, 0) + 1
    out = [prompt(v, width, seen[v.label] > 1, value_wins=seen[v.label] > 1) for v in values]
    shown: dict[str, list[int]] = {}
    for i, text in enumerate(out):
        shown.setdefault(text.plain.rsplit(" ", 1)[0].rstrip(), []).append(i)
    for same in shown.values():
        if len(same) > 1:
            one_label = len({values[i].label for i in same}) == 1
            for i in same:
                out[i] = prompt(values[i], width, True, cut_middle=True, value_wins=one_label)
    return out


def narrowed(values: list[FacetValue], needle: str) -> list[FacetValue]:
    needle = needle.strip().lower()
    if not needle:
        return values
    return [v for v in values if needle in v.label.lower() or needle in v.value.lower()]


class FacetList(SelectionList[str]):
    """The list of one facet's values; focusing it highlights the first value."""

    BINDINGS = keys.FACET_LIST

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        if self.highlighted is None and self.option_count:
            self.highlighted = 0


class NarrowInput(Input):
    """The box that narrows a panel's list; escape clears it (when it holds text: escape on an
    empty box goes on to the screen, which returns to the table)."""

    BINDINGS = keys.NARROW

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear":
            return bool(self.value)
        return super().check_action(action, parameters)

    def action_clear(self) -> None:
        self.value = ""


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
        yield NarrowInput(placeholder="type to narrow…", compact=True, classes="narrow")
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
        chosen = {fold(s) for s in self.selected}
        rest = len(shown) - MOST
        if rest > 0:  # keep ticked values visible even past the cut
            shown = shown[:MOST] + [v for v in shown[MOST:] if v.selected_by(chosen)]
        signature = (width, tuple(shown), frozenset(chosen), rest)
        if signature == self._signature:
            return  # same values, counts and ticks: nothing to redraw
        self._signature = signature
        highlighted = None
        if sl.highlighted is not None and sl.highlighted < sl.option_count:
            highlighted = sl.get_option_at_index(sl.highlighted).value
        options: list[Selection[str]] = [
            Selection(text, v.value, v.selected_by(chosen))
            for v, text in zip(shown, prompts(shown, self.values, width), strict=True)
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
        shown_values = {
            fold(self.options.get_option_at_index(i).value)
            for i in range(self.options.option_count)
        }
        shown = [v for v in self.values if fold(v.value) in shown_values]
        # a selection an entry on screen stands for (by id, name or email) is that entry's now
        kept = {s for s in self.selected if not any(v.selected_by({fold(s)}) for v in shown)}
        picked = {v for v in self.options.selected if v != MORE}
        self.post_message(self.Changed(self.facet, frozenset(kept | picked)))

    def to_top(self) -> None:
        """Forget the narrowing text and the highlight; show the list from its top."""
        self.query_one(".narrow", Input).value = ""
        self.options.highlighted = None
        self.options.scroll_home(animate=False, immediate=True)

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
