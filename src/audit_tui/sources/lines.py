"""Read a file of JSON lines in blocks of whole lines, never holding a line longer than a limit.

A line longer than ``max_line`` bytes is not read into memory: it is found (its start and its
end) with bounded reads and handed over as ``data=None``, so the loader can skip and report it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

SCAN = 1024 * 1024  # bytes read at a time while looking for the end (or start) of a long line

Block = tuple[int, int, bytes | None]  # (offset, length, the lines; None: one line too long)


def forward(
    f: BinaryIO, start: int, end: int, size: int, max_line: int, first: int | None = None
) -> Iterator[Block]:
    """Runs of whole lines covering [start, end) from the start; ``start`` is a line start."""
    pos, n = start, first or size
    while pos < end:
        f.seek(pos)
        data = f.read(min(n, end - pos))
        if not data:
            return  # the file is shorter than it was
        n = size
        if pos + len(data) < end:
            cut = data.rfind(b"\n")
            if cut >= 0:
                data = data[: cut + 1]
            else:  # one line longer than the block: read on, up to the limit
                data += f.readline(max(0, max_line + 1 - len(data)))
                if len(data) > max_line and not data.endswith(b"\n"):
                    line_end = end_of_line(f, pos + len(data), end)
                    yield pos, line_end - pos, None
                    pos = line_end
                    continue
        yield pos, len(data), data
        pos += len(data)


def backward(
    f: BinaryIO, start: int, end: int, size: int, max_line: int, first: int | None = None
) -> Iterator[Block]:
    """Runs of whole lines covering [start, end) from the end; ``end`` is a line boundary."""
    stop, n = end, first or size
    while stop > start:
        lo = max(start, stop - n)
        f.seek(lo)
        data = f.read(stop - lo)
        if lo > start:
            cut = data.find(b"\n")
            if cut < 0 or cut == len(data) - 1:  # the last line starts before the window
                if stop - lo > max_line:
                    line_start = _start_of_line(f, start, lo)
                    yield line_start, stop - line_start, None
                    stop, n = line_start, size
                    continue
                n = min(n * 2, max_line + 2)  # read more
                continue
            data = data[cut + 1 :]
            lo += cut + 1
        yield lo, len(data), data
        stop = lo
        n = size


def end_of_line(f: BinaryIO, pos: int, end: int) -> int:
    """The offset just past the newline that ends the line running through ``pos`` (or
    ``end``)."""
    f.seek(pos)
    while pos < end:
        chunk = f.read(min(SCAN, end - pos))
        if not chunk:
            return pos
        cut = chunk.find(b"\n")
        if cut >= 0:
            return pos + cut + 1
        pos += len(chunk)
    return end


def _start_of_line(f: BinaryIO, start: int, pos: int) -> int:
    """The offset where the line running through ``pos`` starts (``start`` at the latest)."""
    while pos > start:
        lo = max(start, pos - SCAN)
        f.seek(lo)
        cut = f.read(pos - lo).rfind(b"\n")
        if cut >= 0:
            return lo + cut + 1
        pos = lo
    return start
