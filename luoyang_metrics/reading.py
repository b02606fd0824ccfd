"""First stage: find report files and turn their bytes into text.

The decoding policy is "never silently decode wrong": every step either has
strong evidence for an encoding (a byte-order mark, strict UTF-8 validity, a
UTF-16 NUL pattern, a confident ``charset-normalizer`` verdict) or the file is
rejected with a :class:`~luoyang_metrics.errors.ReadError` that says why.
Mojibake would turn into wrong numbers further down the pipeline, which is
worse than a skipped file that shows up in the run summary.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import regex
from charset_normalizer import from_bytes

from luoyang_metrics.errors import ReadError, UsageError

DEFAULT_MAX_BYTES = 64 * 1024 * 1024

# Order matters: the UTF-32 LE mark starts with the UTF-16 LE mark.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
    (b"\xfe\xff", "utf-16-be", "utf-16"),
    (b"\xff\xfe", "utf-16-le", "utf-16"),
)

# Signatures of the binary formats most likely to be dropped into a folder of
# reports (often renamed to .txt by a download tool).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"PK\x07\x08", "ZIP"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "DOC/XLS"),
    (b"\x7fELF", "ELF executable"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"SQLite format 3\x00", "SQLite"),
)

# GB18030 is the superset of GB2312 and GBK, so one candidate covers the
# whole mainland family; Big5 covers Taiwan/Hong Kong reports.
_CHINESE_ENCODINGS = ("gb18030", "big5")

# Calibrated on ~10k random 6-24 character snippets of the seed reports (GBK) and of a
# traditional-Chinese text (Big5): with these settings no snippet was decoded
# wrongly; short or ambiguous snippets are rejected instead. charset-normalizer
# cannot tell GB18030 from Big5 on a handful of characters, so a minimum amount
# of non-ASCII text is required before its verdict is trusted.
_MAX_CHAOS = 0.05
_MIN_MARGIN = 0.05
_MIN_NON_ASCII_CHARS = 10

# "Mostly valid": share of the non-ASCII bytes that may be invalid before the
# file is treated as being in some other encoding rather than damaged.
_MAX_INVALID_UTF8 = 0.10
_MAX_INVALID_CHINESE = 0.05
_MAX_LINES_LISTED = 10

# Text decoded from a BOM-less UTF-16 guess must not contain C0 controls
# (other than ordinary whitespace), surrogates or unassigned code points:
# a wrong byte order produces exactly those.
_NOT_TEXT = regex.compile(r"[\x00-\x08\x0e-\x1f\x7f\p{Cs}\p{Cn}]")
_LINE_BREAK = re.compile(r"\r\n?")
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


@dataclass(frozen=True, slots=True)
class Decoded:
    """The text of a report, the codec that produced it and any decoding warnings.

    ``text`` has no leading BOM and only ``"\\n"`` line breaks, so line numbers
    are ``text.count("\\n", 0, offset) + 1`` (do not use ``str.splitlines``,
    which also splits on form feeds and Unicode separators).
    """

    text: str
    encoding: str
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------- walking


def iter_reports(
    root: Path, suffixes: tuple[str, ...] = (".txt", ".md")
) -> Iterator[tuple[Path, str | None]]:
    """Yield every report under ``root`` as ``(path, None)``, depth first.

    Order is deterministic: paths sorted by their relative path, component by
    component (the order of ``sorted(relative_paths)``). Suffixes match
    case-insensitively (``.TXT`` from Windows machines counts). Symlinked
    directories are followed, but a directory already being walked (a loop) or
    already walked through another link is not entered twice; such entries,
    broken links and unreadable folders are yielded as ``(path, reason)`` so
    the caller can report them. Yielded paths are ``root / relative`` (never
    resolved), so ``path.relative_to(root)`` is always the report's source.
    Raises :class:`UsageError` when ``root`` is not a folder.
    """
    wanted = tuple(s.lower() for s in suffixes)
    try:
        root_stat = os.stat(root)
    except OSError as exc:
        raise UsageError(f"cannot open folder {root}: {_os_reason(exc)}") from exc
    if not stat.S_ISDIR(root_stat.st_mode):
        raise UsageError(f"not a folder: {root}")

    root_id = (root_stat.st_dev, root_stat.st_ino)
    visited: dict[tuple[int, int], Path] = {root_id: Path(".")}
    # Explicit stack instead of recursion: deep trees must not hit the recursion limit.
    stack: list[tuple[Path, Iterator[os.DirEntry[str]], tuple[int, int]]] = []
    first = _list_dir(root)
    if isinstance(first, str):
        yield root, first
        return
    stack.append((root, iter(first), root_id))

    while stack:
        folder, entries, _ = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        path = folder / entry.name
        try:
            st = entry.stat(follow_symlinks=True)
        except OSError as exc:
            yield path, _link_reason(exc) if entry.is_symlink() else _os_reason(exc)
            continue

        if stat.S_ISDIR(st.st_mode):
            ident = (st.st_dev, st.st_ino)
            if any(ident == frame_id for _, _, frame_id in stack):
                yield path, "symbolic link loop (points back to a parent folder)"
                continue
            if ident in visited:
                yield path, f"folder already visited as {visited[ident].as_posix()}"
                continue
            visited[ident] = path.relative_to(root)
            listing = _list_dir(path)
            if isinstance(listing, str):
                yield path, listing
                continue
            stack.append((path, iter(listing), ident))
        elif entry.name.lower().endswith(wanted):
            if stat.S_ISREG(st.st_mode):
                yield path, None
            else:
                yield path, "not a regular file"


def _list_dir(folder: Path) -> list[os.DirEntry[str]] | str:
    """The folder's entries sorted by name, or the reason it cannot be listed."""
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        return _os_reason(exc)


def _link_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if isinstance(exc, FileNotFoundError):
        return "broken symbolic link"
    return _os_reason(exc)


def _os_reason(exc: OSError) -> str:
    """A short, path-free reason for an OS error (the caller prints the path)."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, NotADirectoryError):
        return "not a directory"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return (exc.strerror or type(exc).__name__).lower()


# --------------------------------------------------------------------------- reading


class TooLargeError(ReadError):
    """The report is bigger than the caller's in-memory limit (it can still be streamed)."""


def read_report(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Read and decode one report.

    Raises :class:`ReadError` whose message is only the reason; the caller
    prefixes the path. A file over ``max_bytes`` raises :class:`TooLargeError`:
    read it with :class:`ReportStream` instead.
    """
    data = _read_bytes(path, max_bytes)
    return decode_bytes(data)


def _open_regular(path: Path) -> int:
    """A read-only descriptor on a regular file, or :class:`ReadError` with the reason."""
    # O_NONBLOCK keeps a FIFO named *.txt from hanging the run; it has no
    # effect on regular files. Checking the type on the open descriptor (not
    # the path) leaves no window for the file to be swapped in between.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (isinstance(exc, FileNotFoundError) and os.path.islink(path)):
            raise ReadError(_link_reason(exc)) from exc
        raise ReadError(_os_reason(exc)) from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ReadError("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("not a regular file")
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            raise ReadError(_os_reason(exc)) from exc
        raise
    return fd


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    fd = _open_regular(path)
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise TooLargeError(_too_large(size, max_bytes))
        with os.fdopen(fd, "rb", closefd=False) as f:
            # Read one byte past the limit: the file may have grown since fstat.
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise ReadError(_os_reason(exc)) from exc
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise TooLargeError(_too_large(len(data), max_bytes))
    return data


def _too_large(size: int, limit: int) -> str:
    return f"file too large ({size:,} bytes; the limit is {limit:,} bytes)"


# --------------------------------------------------------------------------- decoding


def decode_bytes(data: bytes) -> Decoded:
    """Decode report bytes following the project's policy (see module docstring).

    Steps: BOM; binary signatures; UTF-16 without BOM when NUL bytes say so
    (any other NUL means binary); strict UTF-8; mostly-valid UTF-8 (damaged
    bytes replaced, with a warning); charset-normalizer restricted to GB18030
    and Big5, accepted only when confident; the same on a mostly-valid
    GB18030/Big5 file. Anything else raises :class:`ReadError`.
    """
    if not data:
        raise ReadError("empty file")

    bom = _match_bom(data)
    if bom is not None:
        return _decode_with_bom(data, *bom)

    kind = _binary_kind(data)
    if kind is not None:
        raise ReadError(f"binary file (looks like {kind})")

    if b"\x00" in data:
        utf16 = _utf16_by_nul_pattern(data)
        if utf16 is None:
            raise ReadError("binary file (contains NUL bytes)")
        codec, text = utf16
        return Decoded(_normalize(text), codec, ())

    try:
        return Decoded(_normalize(data.decode("utf-8")), "utf-8", ())
    except UnicodeDecodeError:
        pass

    non_ascii = _count_non_ascii(data)
    damaged = _decode_damaged(data, "utf-8", int(non_ascii * _MAX_INVALID_UTF8))
    if damaged is not None:
        return damaged

    codec, reason = _detect_chinese(data)
    if codec is not None:
        try:
            return Decoded(_normalize(data.decode(codec)), codec, ())
        except UnicodeDecodeError:
            # charset-normalizer samples big inputs; a late invalid byte lands here.
            pass

    for candidate in _CHINESE_ENCODINGS:
        damaged = _decode_damaged(data, candidate, int(non_ascii * _MAX_INVALID_CHINESE), confirm=True)
        if damaged is not None:
            return damaged
    raise ReadError(reason)


def _match_bom(data: bytes) -> tuple[int, str, str] | None:
    """``(bom_length, codec, reported_name)`` for a leading byte-order mark."""
    for mark, codec, name in _BOMS:
        if data.startswith(mark):
            return len(mark), codec, name
    return None


def _decode_with_bom(data: bytes, bom_length: int, codec: str, name: str) -> Decoded:
    body = data[bom_length:]
    if not body:
        raise ReadError("empty file")
    try:
        decoded = Decoded(_normalize(body.decode(codec)), name, ())
    except UnicodeDecodeError:
        damaged = None
        if codec == "utf-8":
            damaged = _decode_damaged(body, codec, int(_count_non_ascii(body) * _MAX_INVALID_UTF8))
        if damaged is None:
            # A BOM is strong evidence, but not for a file that is mostly invalid after it.
            raise ReadError(f"invalid {codec[:6].upper()} text after its byte-order mark") from None
        decoded = Decoded(damaged.text, name, damaged.warnings)
    if "\x00" in decoded.text:
        raise ReadError("binary file (contains NUL characters)")
    return decoded


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:3] == b"BZh" and data[3:4].isdigit() and data[4:10] == b"1AY&SY":
        return "bzip2"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def _utf16_by_nul_pattern(data: bytes) -> tuple[str, str] | None:
    """``(codec, text)`` for UTF-16-LE/BE when NUL bytes sit where UTF-16 puts them.

    ASCII characters (digits, spaces, line breaks - present in every report)
    are ``xx 00`` in UTF-16-LE and ``00 xx`` in UTF-16-BE, so NULs gather at odd
    or even offsets. Some CJK code points (一 is U+4E00) put a NUL on the other
    side, so the byte order with more NULs is tried first. Binary data with a
    few NULs often is "valid" UTF-16 too, so the decoded text must be free of
    control and unassigned characters and look like text to the detector.
    """
    if len(data) % 2:
        return None
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    if even_nuls == odd_nuls:
        return None
    order = ("utf-16-le", "utf-16-be") if odd_nuls > even_nuls else ("utf-16-be", "utf-16-le")
    for codec in order:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _NOT_TEXT.search(text) is not None:
            continue
        best = from_bytes(data, cp_isolation=[codec], preemptive_behaviour=False).best()
        if best is not None and best.chaos <= _MAX_CHAOS:
            return codec, text
    return None


def _detect_chinese(data: bytes) -> tuple[str | None, str]:
    """``(codec, "")`` when charset-normalizer is confident, else ``(None, reason)``.

    Confident means: a low-chaos best match, clearly ahead of the other
    Chinese encoding, on enough non-ASCII text to tell them apart.
    """
    # preemptive_behaviour=False: a "charset=" string quoted inside a report
    # must not override what the bytes say.
    matches = sorted(
        from_bytes(data, cp_isolation=list(_CHINESE_ENCODINGS), preemptive_behaviour=False),
        key=lambda m: (m.chaos, -m.coherence),
    )
    unknown = "unknown text encoding (not UTF-8, UTF-16, GB18030 or Big5)"
    if not matches or matches[0].chaos > _MAX_CHAOS:
        return None, unknown
    best = matches[0]
    if len(matches) > 1:
        runner_up = matches[1]
        ahead = (
            runner_up.chaos - best.chaos >= _MIN_MARGIN
            or best.coherence - runner_up.coherence >= _MIN_MARGIN
        )
        if not ahead:
            return None, "ambiguous text encoding (GB18030 or Big5; too little text to tell)"
    if sum(1 for ch in str(best) if ord(ch) > 0x7F) < _MIN_NON_ASCII_CHARS:
        return None, "ambiguous text encoding (too little Chinese text to tell GB18030 from Big5)"
    codec = best.encoding.replace("_", "-")
    return ("gb18030" if codec in ("gb2312", "gbk", "gb18030") else codec), ""


def _decode_damaged(data: bytes, codec: str, max_invalid: int, confirm: bool = False) -> Decoded | None:
    """Decode a file that is valid ``codec`` except for a few bytes, or None.

    Each run of invalid bytes becomes one U+FFFD and the warning names their
    lines. With ``confirm``, the text left after dropping the invalid bytes
    must still be recognised as ``codec`` by the detector: almost any byte
    soup is "mostly valid" GB18030, so validity alone proves nothing there.
    For UTF-8 validity is strong evidence on its own (other encodings rarely
    form valid multi-byte UTF-8 sequences), hence a budget measured against
    the non-ASCII bytes.
    """
    if max_invalid < 1:
        return None
    try:
        # surrogateescape maps each undecodable byte to one lone surrogate,
        # giving exact byte counts and positions in a single C-speed pass.
        escaped = data.decode(codec, "surrogateescape")
    except UnicodeDecodeError:
        return None  # an invalid range containing ASCII bytes: not "a few bad bytes"
    valid = _ESCAPED_BYTES.sub("", escaped)
    invalid = len(escaped) - len(valid)
    if invalid == 0 or invalid > max_invalid:
        return None
    if confirm and _detect_chinese(valid.encode(codec))[0] != codec:
        return None
    starts = [m.start() for m in _ESCAPED_BYTES.finditer(escaped)]
    lines = _line_numbers(escaped, starts)
    warning = _damage_warning(invalid, lines[:_MAX_LINES_LISTED], len(lines))
    text = _ESCAPED_BYTES.sub("\ufffd", escaped)
    return Decoded(_normalize(text), codec, (warning,))


def _damage_warning(invalid: int, shown_lines: list[int], total_lines: int) -> str:
    """``"3 invalid bytes replaced at lines 4, 9 and 1 more"``."""
    shown = ", ".join(str(n) for n in shown_lines)
    if total_lines > len(shown_lines):
        shown += f" and {total_lines - len(shown_lines)} more"
    noun = "byte" if invalid == 1 else "bytes"
    where = "line" if total_lines == 1 else "lines"
    return f"{invalid} invalid {noun} replaced at {where} {shown}"


def _line_numbers(text: str, offsets: list[int]) -> list[int]:
    """Distinct 1-based line numbers (after newline normalization) of sorted offsets."""
    lines: list[int] = []
    line = 1
    prev = 0
    for off in offsets:
        segment = text[prev:off]
        # Each "\r\n" is one break, as _normalize will make it.
        line += segment.count("\n") + segment.count("\r") - segment.count("\r\n")
        prev = off
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _count_non_ascii(data: bytes) -> int:
    # translate with delete is a C-speed way to drop every ASCII byte.
    return len(data.translate(None, bytes(range(0x80))))


def _normalize(text: str) -> str:
    """Strip leading BOMs and turn CRLF and lone CR into LF (one break each)."""
    # More than one BOM happens when files are concatenated; none is content.
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = _LINE_BREAK.sub("\n", text)
    return text
