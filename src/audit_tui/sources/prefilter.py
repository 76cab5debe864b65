"""One-shot queries: keep only the JSON lines whose raw text holds every search word.

A record can match a search word only if its raw line contains it (values are part of the
line), so a one-shot ``audit-tui query --search`` reads the file in large blocks, keeps the
candidate lines with C-speed scans, and parses only those. The exact values-only match is then
done by the store as usual. Absolute line numbers are kept for the skipped-record report. A big
file is split in two at a line boundary: a child process scans the second half while this
process scans the first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection

from audit_tui.sources.blocks import MAX_LINE_BYTES, too_long
from audit_tui.store import Skipped

BLOCK = 16 * 1024 * 1024
PARALLEL_BYTES = 64 * 1024 * 1024


def scan_range(
    path: str,
    words: Sequence[str],
    start: int = 0,
    end: int | None = None,
    max_line: int = MAX_LINE_BYTES,
) -> tuple[list[bytes], list[int], int, list[int]]:
    """(candidate lines, their 0-based line numbers within the range, lines in the range, the
    0-based numbers of the lines longer than ``max_line``, which are passed over unread).

    Only for ASCII words, whose lower-casing keeps byte offsets (``bytes.lower``).
    """
    needles = [w.lower().encode() for w in words]
    first, rest = needles[0], needles[1:]
    out: list[bytes] = []
    numbers: list[int] = []
    long: list[int] = []
    line_base = 0
    skipping = False  # inside a line longer than max_line
    with open(path, "rb") as f:
        f.seek(start)
        remaining = (os.path.getsize(path) if end is None else end) - start
        carry = b""
        while remaining > 0 or carry:
            chunk = f.read(min(BLOCK, remaining)) if remaining > 0 else b""
            remaining -= len(chunk)
            if skipping:  # pass over the rest of a long line
                cut = chunk.find(b"\n")
                if cut < 0 and chunk and remaining > 0:
                    continue
                skipping, line_base = False, line_base + 1
                chunk = chunk[cut + 1 :] if cut >= 0 else b""
                if not chunk:
                    continue
            data = carry + chunk
            if carry:  # the line carried over may end here past the limit
                nl = data.find(b"\n", len(carry))
                final = nl >= 0 or not chunk or remaining <= 0
                if final and (nl if nl >= 0 else len(data)) > max_line:
                    long.append(line_base)
                    line_base += 1
                    data = data[nl + 1 :] if nl >= 0 else b""
            if chunk and remaining > 0:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > max_line:
                        long.append(line_base)
                        skipping, carry = True, b""
                    else:
                        carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            low = data.lower()
            pos = low.find(first)
            counted_to, line_no = 0, line_base
            while pos >= 0:
                line_start = low.rfind(b"\n", 0, pos) + 1
                line_end = low.find(b"\n", pos)
                if line_end < 0:
                    line_end = len(low)
                line = low[line_start:line_end]
                if all(w in line for w in rest):
                    line_no += low.count(b"\n", counted_to, line_start)
                    counted_to = line_start
                    out.append(data[line_start:line_end])
                    numbers.append(line_no)
                pos = low.find(first, line_end)
            line_base += low.count(b"\n")
            if data and not data.endswith(b"\n"):
                line_base += 1
    return out, numbers, line_base, long


def _child(
    conn: Connection, path: str, words: list[str], start: int, end: int, max_line: int
) -> None:
    try:
        conn.send(scan_range(path, words, start, end, max_line))
    except Exception as exc:  # the parent falls back to scanning this half itself
        conn.send(exc)
    finally:
        conn.close()


@dataclass
class Candidates:
    """The lines of a file that may match: what the store loads, and how its skipped records
    are numbered in the file."""

    data: bytes  # the candidate lines, joined by newlines
    numbers: list[int]  # the 1-based line in the file of each candidate line
    too_long: list[int]  # the 1-based lines longer than max_line, passed over unread
    max_line: int

    def in_file(self, skipped: Sequence[Skipped]) -> list[Skipped]:
        """The store's skipped records (numbered in ``data``) numbered by the file's lines,
        with the lines too long to read."""
        out = [
            Skipped(
                self.numbers[s.line - 1] if 0 < s.line <= len(self.numbers) else s.line,
                s.reason,
                s.unit,
            )
            for s in skipped
        ]
        out += [Skipped(n, too_long(self.max_line)) for n in self.too_long]
        out.sort(key=lambda s: s.line)
        return out


def candidate_lines(path: str, words: Sequence[str], max_line: int = MAX_LINE_BYTES) -> Candidates:
    """The lines of ``path`` that hold every word (ASCII, any case)."""
    size = os.path.getsize(path)
    if size >= PARALLEL_BYTES and (os.cpu_count() or 1) > 1:
        from audit_tui.sources.parallel import no_main_reimport, split_point, worker_context

        mid = split_point(path, size)
        ctx = worker_context()
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child, args=(child, path, list(words), mid, size, max_line), daemon=True
        )
        with no_main_reimport():
            proc.start()
        child.close()
        out, numbers, nlines, long = scan_range(path, words, 0, mid, max_line)
        second = parent.recv()
        proc.join()
        if isinstance(second, Exception):
            second = scan_range(path, words, mid, size, max_line)
        out2, numbers2, _, long2 = second
        out += out2
        numbers += [n + nlines for n in numbers2]
        long += [n + nlines for n in long2]
    else:
        out, numbers, _, long = scan_range(path, words, 0, None, max_line)
    return Candidates(
        b"\n".join(out) + (b"\n" if out else b""),
        [n + 1 for n in numbers],
        [n + 1 for n in long],
        max_line,
    )
