"""``PATH…`` as the list of files to read: files, folders (walked) and globs, each file once.

A folder is walked recursively, in name order; its hidden files and folders (a name starting
with ``.``) and its obvious non-logs (by extension: documents, images, archives, code, our own
export manifests) are passed over and counted, with the reason. A file named on the command
line is always read, whatever its name. A quoted glob (``'logs/*.json.gz'``,
``'AWSLogs/**/*.json.gz'``) is expanded here, ``**`` included. The same file reached twice
(named twice, inside a folder also given, through a link) is read once: files are told apart
by device and inode.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

# Extensions that are never audit logs (a folder of logs often holds a README or a checksum).
NOT_LOGS = frozenset(
    """
    .md .rst .txt .pdf .doc .docx .xls .xlsx .ppt .pptx .odt .html .htm .xml .yaml .yml .toml
    .ini .cfg .conf .png .jpg .jpeg .gif .svg .webp .ico .bmp .tif .tiff .zip .tar .tgz .bz2
    .xz .zst .7z .rar .jar .exe .dll .so .dylib .o .a .bin .iso .py .pyc .sh .js .ts .go .rs
    .c .h .java .rb .pl .sql .db .sqlite .parquet .avro .pem .crt .key .pub .sig .asc .sha256
    .sha1 .md5 .lock .pid .swp .tmp .part
    """.split()
)
MANIFEST_SUFFIX = ".manifest.json"  # an audit-tui export's manifest: evidence, not events
GLOB_CHARS = frozenset("*?[")


class PathError(ValueError):
    """A PATH that names nothing: the message is one line for the user."""


@dataclass(frozen=True)
class Found:
    """One file to read."""

    path: str  # as the user gave it, or as found under a folder or by a glob
    size: int
    ident: tuple[int, int]  # (st_dev, st_ino)
    named: bool  # named on the command line (read whatever its name), not found in a folder


@dataclass
class FileSet:
    files: list[Found] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) not read

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def has_glob(spec: str) -> bool:
    return any(c in GLOB_CHARS for c in spec)


def is_many(specs: Sequence[str]) -> bool:
    """True when ``specs`` is more than one file: several paths, a folder or a glob (a glob
    that names an existing file as it is written is that file)."""
    if len(specs) != 1:
        return len(specs) > 1
    spec = specs[0]
    if spec == "-":
        return False
    path = os.path.expanduser(spec)
    if os.path.isdir(path):
        return True
    return has_glob(spec) and not os.path.lexists(path)


def expand(specs: Sequence[str]) -> FileSet:
    """The files ``specs`` name, in order, each once (see the module's docstring). Raises
    :class:`PathError` for a path that does not exist or a glob that matches nothing."""
    out = FileSet()
    seen: dict[tuple[int, int], str] = {}
    for spec in specs:
        path = os.path.expanduser(spec)
        if os.path.lexists(path):
            _add(out, seen, spec, named=True)
        elif has_glob(spec):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise PathError(f"{spec}: no file matches; check the pattern")
            for match in matches:
                _add(out, seen, match, named=False)
        else:
            raise PathError(f"{spec}: no such file or folder; check the path")
    return out


def _add(out: FileSet, seen: dict[tuple[int, int], str], path: str, named: bool) -> None:
    try:
        st = os.stat(os.path.expanduser(path))
    except OSError as exc:
        if named and not os.path.exists(os.path.expanduser(path)):
            raise PathError(f"{path}: a link to nothing; check the path") from None
        out.skipped.append((path, f"cannot read ({exc.strerror})"))
        return
    if stat.S_ISDIR(st.st_mode):
        _walk(out, seen, path)
        return
    if not named:
        why = not_a_log(path)
        if why:
            out.skipped.append((path, why))
            return
    ident = (st.st_dev, st.st_ino)
    if ident in seen:
        first = seen[ident]
        why = "given twice" if first == path else f"the same file as {first}"
        out.skipped.append((path, why + " (read once)"))
        return
    seen[ident] = path
    out.files.append(Found(path, st.st_size, ident, named))


def _walk(out: FileSet, seen: dict[tuple[int, int], str], folder: str) -> None:
    root_path = os.path.expanduser(folder)
    for root, dirs, files in os.walk(root_path, onerror=lambda e: _unreadable(out, e)):
        hidden = [d for d in dirs if d.startswith(".")]
        for d in hidden:
            out.skipped.append((os.path.join(root, d), "hidden folder"))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.startswith("."):
                out.skipped.append((path, "hidden file"))
                continue
            _add(out, seen, path, named=False)


def _unreadable(out: FileSet, exc: OSError) -> None:
    out.skipped.append((str(exc.filename), f"cannot read ({exc.strerror})"))


def not_a_log(path: str) -> str:
    """Why a file found in a folder is obviously no audit log ("" when it may be one)."""
    name = os.path.basename(path).lower()
    if name.endswith(MANIFEST_SUFFIX):
        return "an export manifest"
    ext = os.path.splitext(name)[1]
    if ext in NOT_LOGS:
        return f"not a log ({ext})"
    return ""
