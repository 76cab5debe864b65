"""The footer: the keys of what has focus, with Help and Quit pinned to the right edge so a
narrow terminal cuts the other keys, never these two."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED = ("help", "quit", "app.help", "app.quit")


class KeyFooter(Footer):
    """A :class:`Footer` whose Help and Quit keys (and the palette key) stay visible."""

    DEFAULT_CSS = """
    KeyFooter > .pinned {
        dock: right;
        width: auto;
        background: $footer-background;
    }
    KeyFooter > .pinned > FooterKey.-command-palette {
        dock: none;
    }
    """

    def compose(self) -> ComposeResult:
        pinned: list[FooterKey] = []
        for widget in super().compose():
            if isinstance(widget, FooterKey) and (
                widget.action in PINNED or widget.has_class("-command-palette")
            ):
                pinned.append(widget)
            else:
                yield widget
        if pinned:
            yield HorizontalGroup(*pinned, classes="pinned")
