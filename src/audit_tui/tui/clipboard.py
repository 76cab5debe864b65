"""Copying to the clipboard: OSC 52 through the terminal, plus a best-effort native tool.

OSC 52 (``App.copy_to_clipboard``) works over SSH where the terminal allows it; the native
tools (pbcopy, wl-copy, xclip, xsel) cover local terminals that ignore OSC 52. Every failure of a
native tool is ignored: the OSC 52 copy has already been made.
"""

from __future__ import annotations

import os
import shutil
import subprocess

TOOLS: list[tuple[list[str], str | None]] = [
    (["pbcopy"], None),
    (["wl-copy"], "WAYLAND_DISPLAY"),
    (["xclip", "-selection", "clipboard"], "DISPLAY"),
    (["xsel", "--clipboard", "--input"], "DISPLAY"),
]


def native_copy(text: str, timeout: float = 2.0) -> str | None:
    """Copy with the first native tool that works; return its name, or None."""
    data = text.encode("utf-8")
    for command, needs in TOOLS:
        if needs is not None and not os.environ.get(needs):
            continue
        if shutil.which(command[0]) is None:
            continue
        try:
            subprocess.run(
                command,
                input=data,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        return command[0]
    return None
