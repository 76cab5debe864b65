"""One-shot queries: keep only the JSON lines whose raw text holds every search word.

A record can match a search word only if its raw line contains it (values are part of the
line), so a one-shot ``audit-tui query --search`` reads the file in large blocks, keeps the
candidate lines with C-speed scans, and parses only those. The exact values-only match is then
done by the store as usual. Absolute line numbers are kept for the skipped-record report.
"""

from __future__ import annotations

from collections.abc import Sequence

BLOCK = 16 * 1024 * 1024


def candidate_lines(path: str, words: Sequence[str]) -> tuple[bytes, list[int]]:
    """(candidate lines joined by newlines, their 1-based line numbers in the file).

    Only for ASCII words, whose lower-casing keeps byte offsets (``bytes.lower``).
    """
    needles = [w.lower().encode() for w in words]
    first, rest = needles[0], needles[1:]
    out: list[bytes] = []
    numbers: list[int] = []
    line_base = 0
    with open(path, "rb") as f:
        carry = b""
        while True:
            chunk = f.read(BLOCK)
            if not chunk and not carry:
                break
            data = carry + chunk
            if chunk:
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
                start = low.rfind(b"\n", 0, pos) + 1
                end = low.find(b"\n", pos)
                if end < 0:
                    end = len(low)
                line = low[start:end]
                if all(w in line for w in rest):
                    line_no += low.count(b"\n", counted_to, start)
                    counted_to = start
                    out.append(data[start:end])
                    numbers.append(line_no + 1)
                pos = low.find(first, end)
            line_base += low.count(b"\n")
            if not chunk:
                break
    return b"\n".join(out) + (b"\n" if out else b""), numbers
