"""The search language: words, "phrases", field:value, path:value, -term, OR, ( ), since:.

A pure data-layer module: :func:`parse` turns the text of the search box (``--search``, the
remote ``q``) into a small tree; the store evaluates it on its columns (see
``Store.search``). Plain words keep their old meaning: a text made of plain words only parses
to :class:`And` of :class:`Word` and ``is_plain`` says so, so the word-only fast paths stay.

Grammar (``OR`` binds tighter than the implicit AND)::

    query   := group*
    group   := unary ("OR" unary)*
    unary   := "-" unary | "(" query ")" | term
    term    := word | "phrase" | name:value | name:"value"   (\\" and \\\\ inside quotes)

``name`` is a field (:data:`FIELDS`), ``since``/``until``, or any other name, which is a path
into the original record (``a.b.c``). Errors are :class:`~audit_tui.query.QueryError` with the
column (1-based) where the text goes wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from audit_tui.textindex import iter_values

FIELDS = ("actor", "type", "resource", "workspace", "org", "id", "file")
TIMES = ("since", "until")
_NAME = re.compile(r"[A-Za-z_@$][\w@$-]*(?:\.[\w@$-]+)*\Z")
_STOP = ' \t\r\n\f\v()"'


class SearchError(ValueError):
    """A search text that cannot be parsed; the message names the column."""


@dataclass(frozen=True)
class Word:
    """Contained (any case) in some value of the event; ``quoted`` for a "phrase"."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Field:
    """Contained (any case) in one of the event's fields (:data:`FIELDS`)."""

    name: str
    value: str


@dataclass(frozen=True)
class Path:
    """Contained (any case) in some value at or under a path of the original record."""

    keys: tuple[str, ...]
    value: str


@dataclass(frozen=True)
class Time:
    """``since:`` (inclusive) or ``until:`` (exclusive), a ``--since``/``--until`` form."""

    bound: str
    spec: str


@dataclass(frozen=True)
class Not:
    item: Expr


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


Expr = Word | Field | Path | Time | Not | Or | And
EMPTY = And(())


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "-", "OR", "term"
    col: int
    term: Expr | None = None


def _fail(col: int, what: str) -> SearchError:
    return SearchError(f"search, column {col}: {what}")


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The text between the quote at ``i`` and the closing one, and the index after it
    (inside, ``\\"`` is a quote and ``\\\\`` a backslash; other backslashes stay as typed)."""
    out: list[str] = []
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\" and text[j + 1 : j + 2] in ('"', "\\"):
            out.append(text[j + 1])
            j += 2
        elif c == '"':
            return "".join(out), j + 1
        else:
            out.append(c)
            j += 1
    raise _fail(i + 1, 'unbalanced quote: this " is never closed')


def _term(text: str, i: int, check_time: Any) -> tuple[Expr, int]:
    col = i + 1
    if text[i] == '"':
        phrase, j = _quoted(text, i)
        if not phrase:
            raise _fail(col, 'empty phrase "": put the words between the quotes')
        return Word(phrase, quoted=True), j
    j = i
    while j < len(text) and text[j] not in _STOP:
        j += 1
    bare = text[i:j]
    name, colon, value = bare.partition(":")
    if not colon or not _NAME.match(name):
        return Word(bare), j
    if not value and j < len(text) and text[j] == '"':
        value, j = _quoted(text, j)
    if not value.strip():
        raise _fail(col, f'empty {name}: give a value, e.g. {name}:value or {name}:"two words"')
    if name in TIMES:
        check_time(value, col)
        return Time(name, value), j
    if name in FIELDS:
        return Field(name, value), j
    return Path(tuple(name.split(".")), value), j


def _tokens(text: str, check_time: Any) -> Iterator[_Token]:
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            yield _Token(c, i + 1)
            i += 1
        elif c == "-" and i + 1 < len(text) and not text[i + 1].isspace() and text[i + 1] != ")":
            yield _Token("-", i + 1)
            i += 1
        else:
            term, j = _term(text, i, check_time)
            if term == Word("OR"):
                yield _Token("OR", i + 1)
            else:
                yield _Token("term", i + 1, term)
            i = j


class _Parser:
    def __init__(self, tokens: list[_Token], length: int) -> None:
        self.tokens = tokens
        self.i = 0
        self.end = length + 1

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def query(self, opened: _Token | None) -> Expr:
        items: list[Expr] = []
        while (tok := self.peek()) is not None and tok.kind != ")":
            items.append(self.group())
        if opened is None and tok is not None:
            raise _fail(tok.col, "unbalanced parenthesis: this ) has no (")
        if opened is not None:
            if tok is None:
                raise _fail(opened.col, "unbalanced parenthesis: this ( is never closed")
            if not items:
                raise _fail(opened.col, "empty parentheses: put a term inside ( )")
            self.i += 1
        return items[0] if len(items) == 1 else And(tuple(items))

    def group(self) -> Expr:
        items = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.i += 1
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "OR"):
                raise _fail(tok.col, "OR needs a term on each side")
            items.append(self.unary())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def unary(self) -> Expr:
        tok = self.peek()
        assert tok is not None
        self.i += 1
        if tok.kind == "-":
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "OR"):
                raise _fail(tok.col, "nothing to negate after -")
            return Not(self.unary())
        if tok.kind == "(":
            return self.query(tok)
        if tok.kind == "OR":
            raise _fail(tok.col, "OR needs a term on each side")
        assert tok.term is not None
        return tok.term


def parse(text: str, read_time: Callable[[str], object] | None = None) -> Expr:
    """The tree of ``text``; :data:`EMPTY` for a blank text. ``read_time`` checks the times of
    since:/until: (raising ValueError with the reason); they stay as typed in the tree, relative
    ones too, like the query's own bounds."""

    def check_time(spec: str, col: int) -> None:
        if read_time is None:
            return
        try:
            read_time(spec)
        except ValueError as exc:
            raise _fail(col, str(exc)) from None

    tokens = list(_tokens(text, check_time))
    if not tokens:
        return EMPTY
    expr = _Parser(tokens, len(text)).query(None)
    return expr if isinstance(expr, And) else And((expr,))


def is_plain(expr: Expr) -> bool:
    """Only plain (unquoted) words, all required: the old meaning of the search text."""
    return isinstance(expr, And) and all(
        isinstance(item, Word) and not item.quoted for item in expr.items
    )


def required_words(expr: Expr) -> tuple[str, ...]:
    """The plain words every match holds (the top level's), lower-cased, without repeats."""
    items = expr.items if isinstance(expr, And) else (expr,)
    out: list[str] = []
    for item in items:
        if isinstance(item, Word) and not item.quoted:
            word = item.text.lower()
            if word not in out:
                out.append(word)
    return tuple(out)


def path_values(record: Any, keys: Iterable[str]) -> Iterator[str]:
    """Every scalar value at or under the path ``keys`` of ``record`` (lists are walked
    through: ``a.b`` reaches ``b`` in every item of a list at ``a``)."""
    nodes = [record]
    for key in keys:
        found: list[Any] = []
        for node in nodes:
            stack = [node]
            while stack:
                item = stack.pop()
                if isinstance(item, list):
                    stack.extend(item)
                elif isinstance(item, dict) and key in item:
                    found.append(item[key])
        nodes = found
    for node in nodes:
        yield from iter_values(node)


def path_holds(record: Any, keys: Iterable[str], value: str) -> bool:
    needle = value.lower()
    return any(needle in v.lower() for v in path_values(record, keys))


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of the tree, the root first."""
    yield expr
    if isinstance(expr, Not):
        yield from walk(expr.item)
    elif isinstance(expr, And | Or):
        for item in expr.items:
            yield from walk(item)


# -- writing terms (pivots, the JSON cursor) and reading back what to highlight ------------------


def quote(value: str) -> str:
    """``value`` as a quoted value the parser reads back unchanged (any text: quotes,
    backslashes, colons, parentheses, a leading ``-``, spaces)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def field_term(name: str, value: str, negate: bool = False) -> str:
    """``name:"value"`` (``-name:"value"``), for a field (:data:`FIELDS`) or a path name."""
    return ("-" if negate else "") + f"{name}:{quote(value)}"


def path_name(keys: Iterable[str]) -> str | None:
    """The name of a path term for ``keys`` (``a.b.c``), or None when the language cannot say
    it: a key with a dot or a character a name cannot hold, or a name that is a field or
    since/until."""
    keys = list(keys)
    if not keys or any(not k or "." in k for k in keys):
        return None
    name = ".".join(keys)
    if not _NAME.match(name) or name in FIELDS or name in TIMES:
        return None
    return name


@dataclass(frozen=True)
class Marks:
    """What a match holds, for showing why it matched: the words and phrases (in any value),
    the field terms' values per field, and the path terms (only terms that must hold: a
    negated term marks nothing)."""

    words: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    paths: tuple[tuple[tuple[str, ...], str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.fields or self.paths)


def marks(expr: Expr) -> Marks:
    words: list[str] = []
    fields: list[tuple[str, str]] = []
    paths: list[tuple[tuple[str, ...], str]] = []

    def visit(node: Expr) -> None:
        if isinstance(node, Not):
            return
        if isinstance(node, And | Or):
            for item in node.items:
                visit(item)
        elif isinstance(node, Word):
            words.append(node.text)
        elif isinstance(node, Field):
            fields.append((node.name, node.value))
        elif isinstance(node, Path):
            paths.append((node.keys, node.value))

    visit(expr)
    return Marks(tuple(dict.fromkeys(words)), tuple(fields), tuple(paths))
