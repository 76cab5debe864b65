"""Where each value of a record sits in its indented JSON, for the detail view's cursor.

``orjson.dumps(record, option=OPT_INDENT_2)`` puts every scalar on a line of its own and every
non-empty object or array over an opening line, its items, and a closing line. :func:`leaves`
walks the record in the same order and says, for each scalar, its line and its path (the keys
from the top; array items keep their array's path, as the search language walks through
arrays), so a line under the cursor becomes a ``path:value`` term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Leaf:
    line: int  # 0-based line of the indented JSON
    keys: tuple[str, ...]  # the path from the top (array items: their array's path)
    value: Any  # a scalar: str, int, float, bool or None

    @property
    def text(self) -> str:
        """The value as the search language reads it: a string as it is, anything else as
        JSON (``504``, ``true``, ``null``)."""
        if isinstance(self.value, str):
            return self.value
        return orjson.dumps(self.value).decode()


def leaves(record: Any, limit: int | None = None) -> list[Leaf]:
    """Every scalar of ``record`` with its line (only lines before ``limit``)."""
    out: list[Leaf] = []
    line = 0
    stack: list[tuple[Any, tuple[str, ...], bool]] = [(record, (), False)]
    # an explicit stack (no recursion limit on deep records): (value, keys, closing marker)
    while stack:
        value, keys, closing = stack.pop()
        if limit is not None and line >= limit:
            break
        if closing:
            line += 1  # the closing } or ]
            continue
        if isinstance(value, dict) and value:
            line += 1  # past the opening line
            stack.append((None, keys, True))
            for k, v in reversed(list(value.items())):
                stack.append((v, (*keys, str(k)), False))
        elif isinstance(value, list) and value:
            line += 1
            stack.append((None, keys, True))
            for v in reversed(value):
                stack.append((v, keys, False))
        else:
            if not isinstance(value, dict | list):
                out.append(Leaf(line, keys, value))
            line += 1
    return out
