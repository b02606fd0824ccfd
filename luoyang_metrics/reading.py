"""First stage: find report files and turn their bytes into text.

The decoding policy is "never silently decode wrong": every step either has
strong evidence for an encoding (a byte-order mark, strict UTF-8 validity, a
UTF-16 NUL pattern, a confident ``charset-normalizer`` verdict) or the file is
rejected with a :class:`~luoyang_metrics.errors.ReadError` that says why.
Mojibake would turn into wrong numbers further down the pipeline, which is
worse than a skipped file that shows up in the run summary.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

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
_MAX_CHAOS_GB_ONLY = 0.12  # when Big5 cannot read the bytes at all
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


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


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
    if not matches:
        return None, unknown
    best = matches[0]
    # Only GB18030 reads the bytes at all: nothing to confuse it with, so a rougher text
    # (PDF line breaks, tables) is still accepted, up to a looser bound.
    only_gb = best.encoding.replace("_", "-") in ("gb2312", "gbk", "gb18030") and not _decodes(data, "big5")
    if best.chaos > (_MAX_CHAOS_GB_ONLY if only_gb else _MAX_CHAOS):
        return None, unknown
    if len(matches) > 1:
        runner_up = matches[1]
        ahead = (
            runner_up.chaos - best.chaos >= _MIN_MARGIN
            or best.coherence - runner_up.coherence >= _MIN_MARGIN
        )
        if not ahead:
            return None, "ambiguous text encoding (GB18030 or Big5; too little text to tell)"
    text = str(best)
    if len(text) - len(text.encode("ascii", "ignore")) < _MIN_NON_ASCII_CHARS:
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


# --------------------------------------------------------------------------- streaming

# Bytes per read() of a streamed report: large enough for C-speed decoding,
# small against the pieces handed on.
STREAM_BLOCK_BYTES = 1 << 20
# Characters per piece of a streamed report (about 6 MB of UTF-8 Chinese).
# Analysing 2M characters takes ~20 MB above the rule set's baseline.
PIECE_CHARS = 1 << 21
# A pure-ASCII start says nothing about the encoding: read on, up to this much,
# until some non-ASCII byte (or a NUL, for UTF-16) shows up.
_MAX_SAMPLE_BYTES = 16 << 20

# Where a piece may end: after a line whose last character ends a sentence
# (at most one closing quote after it; markdown emphasis and spaces are dropped
# first). normalize never joins such a line to the next, so the lines of a piece
# read exactly as they do in the whole file. A blank line is no boundary: PDF
# text often has one in the middle of a sentence, and normalize joins across it.
# (?r) searches backwards, so the last boundary wins.
_PARAGRAPH_END = regex.compile("(?r)[。!?;:!?;:][”’\"')）」』】]?[ \t\u3000\u00a0*]*\n")


@dataclass(frozen=True, slots=True)
class Piece:
    """Consecutive lines of a streamed report.

    ``text`` follows the :class:`Decoded` conventions (``"\\n"`` line breaks,
    no BOM); its first line is line ``first_line`` (1-based) of the file.
    """

    text: str
    first_line: int


@dataclass(frozen=True, slots=True)
class _StreamCodec:
    codec: str          # for the incremental decoder
    name: str           # as Decoded.encoding would report it
    skip: int           # byte-order-mark bytes before the text
    max_invalid: float  # share of non-ASCII bytes that may be invalid; 0 = strict


@dataclass(slots=True)
class _Damage:
    """Running count of invalid bytes replaced in a streamed report."""

    invalid: int = 0
    non_ascii: int = 0
    lines: list[int] = field(default_factory=list)  # the first _MAX_LINES_LISTED damaged lines
    line_count: int = 0
    last_line: int = 0


class ReportStream:
    """A report too big to hold in memory, read block by block and handed on in pieces.

    The encoding is decided once, on the first block(s), with the same policy as
    :func:`decode_bytes`; the rest is decoded incrementally. Each piece ends at
    a paragraph boundary (see ``_PARAGRAPH_END``) so analysing pieces one by one
    finds what analysing the whole text would, except where context (a year
    heading, the report's own year) would have come from an earlier piece.
    Memory stays around ``piece_chars`` plus one block, whatever the file size.

    Use as a context manager; iterate once. Opening raises :class:`ReadError`
    for everything :func:`read_report` would; iterating raises it when the
    file turns out to be binary or in another encoding further on. Replaced
    invalid bytes are summed up in :attr:`warnings` once iteration is done.
    """

    def __init__(self, path: Path, piece_chars: int = PIECE_CHARS, block_bytes: int = STREAM_BLOCK_BYTES) -> None:
        if piece_chars < 2 or block_bytes < 1:
            raise ValueError("piece_chars must be >= 2 and block_bytes >= 1")
        self._piece_chars = piece_chars
        self._block_bytes = block_bytes
        self._file = os.fdopen(_open_regular(path), "rb")
        try:
            self.size = os.fstat(self._file.fileno()).st_size
            sample, self._eof = _read_sample(self._file, block_bytes)
            self._codec = _stream_codec(sample, self._eof)
            self._sample: bytes | None = sample
        except BaseException:
            self._file.close()
            raise
        self.encoding = self._codec.name
        self._damage = _Damage()

    def __enter__(self) -> ReportStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    @property
    def warnings(self) -> tuple[str, ...]:
        d = self._damage
        if not d.invalid:
            return ()
        return (_damage_warning(d.invalid, d.lines, d.line_count),)

    def __iter__(self) -> Iterator[Piece]:
        first_line = 1
        buffered: list[str] = []
        size = 0
        pieces = 0
        for text in self._texts():
            buffered.append(text)
            size += len(text)
            if size < self._piece_chars:
                continue
            rest = "".join(buffered)
            while len(rest) >= self._piece_chars:
                cut = _cut_point(rest, self._piece_chars)
                yield Piece(rest[:cut], first_line)
                pieces += 1
                first_line += rest.count("\n", 0, cut)
                rest = rest[cut:]
            buffered, size = [rest], len(rest)
        rest = "".join(buffered)
        if rest:
            yield Piece(rest, first_line)
        elif not pieces:
            raise ReadError("empty file")

    def _blocks(self) -> Iterator[bytes]:
        if self._sample is None:
            raise RuntimeError("a ReportStream can be iterated only once")
        sample, self._sample = self._sample, None  # may be 16 MiB: not kept past the first block
        yield sample[self._codec.skip :]
        if self._eof:
            return
        while True:
            try:
                block = self._file.read(self._block_bytes)
            except OSError as exc:
                raise ReadError(_os_reason(exc)) from exc
            if not block:
                return
            yield block

    def _texts(self) -> Iterator[str]:
        """Decoded, newline-normalized text, block by block, checked as it goes."""
        c = self._codec
        decoder = codecs.getincrementaldecoder(c.codec)("surrogateescape" if c.max_invalid else "strict")
        line = 1  # line of the start of the next text
        carry = ""  # a trailing "\r" whose "\n" may start the next block
        first = True
        for block, final in _with_last(self._blocks()):
            try:
                text = decoder.decode(block, final)
            except UnicodeDecodeError as exc:
                raise ReadError(f"invalid {c.name} text (from line {line} on)") from exc
            text = carry + text
            carry = ""
            if text.endswith("\r") and not final:
                text, carry = text[:-1], "\r"
            if "\r" in text:
                text = _LINE_BREAK.sub("\n", text)
            if first:
                text = text.lstrip("\ufeff")
                first = not text
            if "\x00" in text:
                raise ReadError("binary file (contains NUL bytes)")
            if c.max_invalid:
                self._damage.non_ascii += _count_non_ascii(block)
                text = _replace_escapes(text, line, self._damage)
                if self._damage.invalid > c.max_invalid * self._damage.non_ascii:
                    raise ReadError(f"not {c.name} text: too many invalid bytes by line {line}")
            line += text.count("\n")
            yield text


def _with_last(blocks: Iterator[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Each block with whether it is the last one (an empty last block if there is none)."""
    previous: bytes | None = None
    for block in blocks:
        if previous is not None:
            yield previous, False
        previous = block
    yield (previous or b""), True


def _read_sample(f: IO[bytes], block_bytes: int) -> tuple[bytes, bool]:
    """The first block(s) of the file and whether they are all of it.

    A buffered read of a regular file comes back short only at the end.
    """
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            block = f.read(block_bytes)
            parts.append(block)
            size += len(block)
            if len(block) < block_bytes:
                return b"".join(parts), True
            if not block.isascii() or b"\x00" in block or size >= _MAX_SAMPLE_BYTES:
                return b"".join(parts), False
    except OSError as exc:
        raise ReadError(_os_reason(exc)) from exc


def _stream_codec(sample: bytes, at_eof: bool) -> _StreamCodec:
    """How to decode a stream that starts with ``sample`` (:func:`decode_bytes` decides)."""
    bom = _match_bom(sample)
    if bom is not None:
        skip, codec, name = bom
        return _StreamCodec(codec, name, skip, _MAX_INVALID_UTF8 if codec == "utf-8" else 0.0)
    probe = sample if at_eof else _whole_units(sample)
    if not probe:
        raise ReadError("empty file")
    codec = decode_bytes(probe).encoding
    budget = {"utf-8": _MAX_INVALID_UTF8, "gb18030": _MAX_INVALID_CHINESE, "big5": _MAX_INVALID_CHINESE}
    return _StreamCodec(codec, codec, 0, budget.get(codec, 0.0))


def _whole_units(sample: bytes) -> bytes:
    """``sample`` without a character cut off at its end.

    Byte 0x0A never occurs inside a UTF-8, GB18030 or Big5 character, so up
    to the last line break is safe. UTF-16 (NULs present) is cut to whole code
    units, dropping a final high surrogate in either byte order.
    """
    if b"\x00" not in sample:
        end = sample.rfind(b"\n")
        return sample[: end + 1] if end >= 0 else sample
    end = len(sample) - len(sample) % 2
    if end >= 2 and (0xD8 <= sample[end - 1] <= 0xDB or 0xD8 <= sample[end - 2] <= 0xDB):
        end -= 2
    return sample[:end]


def _replace_escapes(text: str, first_line: int, damage: _Damage) -> str:
    """``text`` with each run of escaped invalid bytes as one U+FFFD, counted in ``damage``."""
    if not _ESCAPED_BYTES.search(text):
        return text
    line = first_line
    pos = 0
    for m in _ESCAPED_BYTES.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        damage.invalid += m.end() - m.start()
        if line != damage.last_line:
            damage.last_line = line
            damage.line_count += 1
            if len(damage.lines) < _MAX_LINES_LISTED:
                damage.lines.append(line)
    return _ESCAPED_BYTES.sub("\ufffd", text)


def _cut_point(text: str, limit: int) -> int:
    """Where to end a piece of ``text`` no longer than ``limit``: after the last
    paragraph boundary in its second half, else after the last line break there,
    else (one huge line) at ``limit`` itself."""
    lo = limit // 2
    m = _PARAGRAPH_END.search(text, lo, limit)
    if m is not None:
        return m.end()
    end = text.rfind("\n", lo, limit)
    return end + 1 if end >= 0 else limit
