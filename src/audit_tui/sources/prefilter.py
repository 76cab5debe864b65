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
from multiprocessing.connection import Connection

BLOCK = 16 * 1024 * 1024
PARALLEL_BYTES = 64 * 1024 * 1024


def scan_range(
    path: str, words: Sequence[str], start: int = 0, end: int | None = None
) -> tuple[list[bytes], list[int], int]:
    """(candidate lines, their 0-based line numbers within the range, lines in the range).

    Only for ASCII words, whose lower-casing keeps byte offsets (``bytes.lower``).
    """
    needles = [w.lower().encode() for w in words]
    first, rest = needles[0], needles[1:]
    out: list[bytes] = []
    numbers: list[int] = []
    line_base = 0
    with open(path, "rb") as f:
        f.seek(start)
        remaining = (os.path.getsize(path) if end is None else end) - start
        carry = b""
        while remaining > 0 or carry:
            chunk = f.read(min(BLOCK, remaining)) if remaining > 0 else b""
            remaining -= len(chunk)
            data = carry + chunk
            if chunk and remaining > 0:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
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
    return out, numbers, line_base


def _child(conn: Connection, path: str, words: list[str], start: int, end: int) -> None:
    try:
        conn.send(scan_range(path, words, start, end))
    except Exception as exc:  # the parent falls back to scanning this half itself
        conn.send(exc)
    finally:
        conn.close()


def candidate_lines(path: str, words: Sequence[str]) -> tuple[bytes, list[int]]:
    """(candidate lines joined by newlines, their 1-based line numbers in the file)."""
    size = os.path.getsize(path)
    halves = None
    if size >= PARALLEL_BYTES and (os.cpu_count() or 1) > 1:
        from audit_tui.sources.parallel import no_main_reimport, split_point, worker_context

        mid = split_point(path, size)
        ctx = worker_context()
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, path, list(words), mid, size), daemon=True)
        with no_main_reimport():
            proc.start()
        child.close()
        out, numbers, nlines = scan_range(path, words, 0, mid)
        second = parent.recv()
        proc.join()
        if isinstance(second, Exception):
            second = scan_range(path, words, mid, size)
        out2, numbers2, _ = second
        out += out2
        numbers += [n + nlines for n in numbers2]
        halves = (out, numbers)
    else:
        out, numbers, _ = scan_range(path, words)
        halves = (out, numbers)
    lines, nums = halves
    return b"\n".join(lines) + (b"\n" if lines else b""), [n + 1 for n in nums]
