"""Textual's command palette with page keys that cannot crash the app.

``ctrl+p`` then PageUp in one burst (a slow SSH link, a repeating key) pages the palette's list
before its first layout: Textual's ``OptionList`` builds its line map only once it has a height
(``_update_lines`` returns early at height 0, Textualize/textual#5794), so ``_move_page`` looks
up a line that is not there and raises ``KeyError: 0`` (textual 8.2.8; no upstream issue for
the paging crash itself was found). Until the list has been laid out, a page key here moves to
the first or the last command instead, which is where a page from the top would land anyway.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette


class SafePalette(CommandPalette):
    """The command palette; PageUp/PageDown wait for the list's layout."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", "Next page", show=False),
        Binding("pageup", "page(-1)", "Previous page", show=False),
    ]

    def action_page(self, direction: int) -> None:
        commands = self.query_one(CommandList)
        if commands.option_count == 0:
            return
        if commands.scrollable_content_region.height == 0:  # not laid out yet: see above
            if direction < 0:
                commands.action_first()
            else:
                commands.action_last()
        elif direction < 0:
            commands.action_page_up()  # type: ignore[no-untyped-call]
        else:
            commands.action_page_down()  # type: ignore[no-untyped-call]
