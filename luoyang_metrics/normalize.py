"""Normalize a decoded report for matching, keeping a map back to the original lines.

Matching runs on one string in which full-width forms are folded (NFKC), markdown
emphasis and the spaces that PDF extraction scatters between Chinese characters are
gone, and lines broken in the middle of a sentence are joined again. Paragraphs are
separated by a single ``"\\n"``. Every normalized offset maps back to an offset of
the original text, so a match still reports its true line, and ``raw``/``evidence``
are cut from the original text rather than from the folded one.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

import regex

# Whitespace matters only between two ASCII letters/digits ("R&D 经费" needs none,
# "P 3" is rare, "123 456" in a flattened table must stay two numbers).
_DROP = regex.compile(r"(?<![A-Za-z0-9])[ \t\u3000\u00a0]+|[ \t\u3000\u00a0]+(?![A-Za-z0-9])|\*+")
_HEADING_MARK = regex.compile(r"^#+[ \t]*")
_SENTENCE_END = frozenset("。!?;:")
_CLOSERS = frozenset("”’\"')」』】")
_SENTENCE_SPLIT = regex.compile(r"[^。!?\n]*(?:[。!?]+[”’\"')」』】]*|\n|$)")


# Values made for every sentence and figure are NamedTuples: as immutable as a frozen
# dataclass, and four times cheaper to build (a frozen dataclass sets each field through
# object.__setattr__).
class Span(NamedTuple):
    start: int
    end: int


@dataclass(frozen=True)
class Normalized:
    """The normalized text of one report and the map back to the original."""

    text: str
    original: str
    seg_norm: tuple[int, ...]       # start of each copied segment in ``text``
    seg_orig: tuple[int, ...]       # where that segment starts in ``original``
    line_starts: tuple[int, ...]    # offset in ``original`` where each line starts
    paragraphs: tuple[Span, ...]    # in ``text``; a paragraph never contains "\n"
    headings: frozenset[int]        # indexes into ``paragraphs`` that look like headings

    def orig_offset(self, i: int) -> int:
        """Offset in the original text of normalized offset ``i``."""
        k = bisect.bisect_right(self.seg_norm, i) - 1
        if k < 0:
            return 0
        return self.seg_orig[k] + (i - self.seg_norm[k])

    def line_of(self, i: int) -> int:
        """1-based line of the original file where normalized offset ``i`` stands."""
        return bisect.bisect_right(self.line_starts, self.orig_offset(i))

    def readable(self, start: int, end: int) -> str:
        """The original text behind ``text[start:end]``, whitespace folded away."""
        if end <= start:
            return ""
        a = self.orig_offset(start)
        b = self.orig_offset(end - 1) + 1
        return readable(self.original[a:b])


_UNREADABLE = re.compile(r"[\r\n \t\u3000\u00a0*]")


def readable(s: str) -> str:
    """Collapse line breaks and stray spaces the way matching sees them."""
    if _UNREADABLE.search(s) is None:
        return s.strip()  # nothing to fold: the common case, settled in one scan
    s = s.replace("\r", "").replace("\n", "")
    return _DROP.sub("", s).strip()


@functools.cache
def _reshaping_chars() -> re.Pattern[str]:
    """Characters whose NFKC form is not one character, or that compose with a neighbour.

    Only a line containing one of them needs the slow char-by-char fold; for every other
    line the folded text has the same length and each character maps to itself.
    """
    odd = [chr(c) for c in range(0x10000)
           if not 0xD800 <= c <= 0xDFFF
           and (len(unicodedata.normalize("NFKC", chr(c))) != 1 or unicodedata.combining(chr(c)))]
    body = "".join(re.escape(ch) for ch in odd)
    # Hangul jamo compose into syllables; astral characters are rare enough to always take the slow path
    return re.compile(f"[{body}\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\U00010000-\U0010ffff]")


def _fold_line(line: str) -> tuple[str, list[tuple[int, int]]]:
    """NFKC-fold one line and drop markup/space; return text and (norm, orig) segments."""
    folded = unicodedata.normalize("NFKC", line)
    if len(folded) != len(line) or (folded != line and _reshaping_chars().search(line)):
        # Rare (ligatures, circled numbers): fold char by char to keep a 1:1 map.
        pieces = [unicodedata.normalize("NFKC", ch) for ch in line]
        chars: list[str] = []
        segs: list[tuple[int, int]] = []
        for orig_i, piece in enumerate(pieces):
            for ch in piece:
                segs.append((len(chars), orig_i))
                chars.append(ch)
        folded_text = "".join(chars)
        base_map = segs
    else:
        folded_text = folded
        base_map = [(0, 0)]

    head = _HEADING_MARK.match(folded_text)
    cut = [(0, head.end())] if head and head.end() else []
    cut += [(m.start(), m.end()) for m in _DROP.finditer(folded_text)]
    if not cut:
        return folded_text, base_map if len(base_map) > 1 else [(0, 0)]

    def orig_of(j: int) -> int:
        if len(base_map) == 1:
            return j
        return base_map[j][1]

    out: list[str] = []
    segs_out: list[tuple[int, int]] = []
    pos = 0
    n = 0
    for a, b in sorted(cut):
        if a < pos:
            a = pos
        if a > pos:
            piece = folded_text[pos:a]
            if len(base_map) == 1:
                segs_out.append((n, pos))
            else:
                segs_out.extend((n + k, orig_of(pos + k)) for k in range(len(piece)))
            out.append(piece)
            n += len(piece)
        pos = max(pos, b)
    if pos < len(folded_text):
        piece = folded_text[pos:]
        if len(base_map) == 1:
            segs_out.append((n, pos))
        else:
            segs_out.extend((n + k, orig_of(pos + k)) for k in range(len(piece)))
        out.append(piece)
    return "".join(out), segs_out or [(0, 0)]


def _ends_sentence(s: str) -> bool:
    if not s:
        return True
    last = s[-1]
    if last in _SENTENCE_END:
        return True
    return last in _CLOSERS and len(s) > 1 and s[-2] in _SENTENCE_END | {"。"}


# A line that starts with a figure ("412.63亿元,比上年增长5.7%"), not with a year ("2023年,")
# or a list number ("1、", "2.").
_FIGURE_START = re.compile(r"\d+(?:[.,]\d+)*([^\d.,年月日、)])")


def _figure_follows(line: str, folded: list[tuple[str, list[tuple[int, int]]]], idx: int) -> bool:
    """Whether a short line ending in a word is the start of a sentence whose figure was broken
    onto the next line, blank lines between ("全年全市社会消费品零售总额\n\n412.63亿元")."""
    if not "\u4e00" <= line[-1] <= "\u9fff":
        return False
    for text, _ in folded[idx + 1: idx + 4]:
        if text:
            return _FIGURE_START.match(text) is not None
    return False


def _join_threshold(lengths: list[int]) -> int:
    """How long a line must be to count as wrapped rather than a heading."""
    if not lengths:
        return 40
    ordered = sorted(lengths)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return int(min(40, max(8, 0.7 * p90)))


def normalize(original: str) -> Normalized:
    """Fold, clean and reflow ``original``; see the module docstring."""
    raw_lines = original.split("\n")
    line_starts: list[int] = []
    pos = 0
    for ln in raw_lines:
        line_starts.append(pos)
        pos += len(ln) + 1

    folded = [_fold_line(ln) for ln in raw_lines]
    threshold = _join_threshold([len(t) for t, _ in folded if t])

    text_parts: list[str] = []
    seg_norm: list[int] = []
    seg_orig: list[int] = []
    paragraphs: list[Span] = []
    one_line: list[bool] = []
    n = 0
    para_start: int | None = None
    para_lines = 0
    pending_join = False
    for idx, (t, segs) in enumerate(folded):
        if not t:
            continue
        if para_start is not None and not pending_join:
            paragraphs.append(Span(para_start, n))
            one_line.append(para_lines == 1)
            text_parts.append("\n")
            seg_norm.append(n)
            seg_orig.append(line_starts[idx] - 1 if idx else 0)
            n += 1
            para_start = None
        if para_start is None:
            para_start = n
            para_lines = 0
        base = line_starts[idx]
        for ns, os_ in segs:
            seg_norm.append(n + ns)
            seg_orig.append(base + os_)
        text_parts.append(t)
        n += len(t)
        para_lines += 1
        pending_join = not _ends_sentence(t) and (len(t) >= threshold or _figure_follows(t, folded, idx))
    if para_start is not None:
        paragraphs.append(Span(para_start, n))
        one_line.append(para_lines == 1)
    text = "".join(text_parts)
    headings = {i for i, p in enumerate(paragraphs) if one_line[i] and _is_heading(text[p.start:p.end])}
    return Normalized(
        text=text,
        original=original,
        seg_norm=tuple(seg_norm),
        seg_orig=tuple(seg_orig),
        line_starts=tuple(line_starts),
        paragraphs=tuple(paragraphs),
        headings=frozenset(headings),
    )


def _is_heading(body: str) -> bool:
    """A short one-line paragraph without sentence punctuation inside: a title or heading."""
    return len(body) <= 40 and "。" not in body and not body.endswith((",", ";", ":"))


CLAUSE_BREAKS = ",;:。!?\n"


def clause_start(text: str, lo: int, pos: int, breaks: str = CLAUSE_BREAKS) -> int:
    """Where the clause holding ``pos`` starts: just after the last of ``breaks`` in [lo, pos)."""
    m = _last_of(breaks).search(text, lo, pos)
    return m.end() if m is not None else lo


@functools.cache
def _last_of(chars: str) -> regex.Pattern[str]:
    # A reverse search finds the last break in one call (a rfind per character costs 4x).
    return regex.compile("(?r)[" + "".join(regex.escape(c) for c in chars) + "]")


def sentences(text: str, para: Span) -> list[Span]:
    """Sentences of one paragraph, split after 。!? (closing quotes stay with them)."""
    out: list[Span] = []
    for m in _SENTENCE_SPLIT.finditer(text, para.start, para.end):
        if m.end() > m.start():
            out.append(Span(m.start(), m.end()))
    return out


# The same split over a whole normalized text at once: a paragraph ends before its "\n".
_ALL_SENTENCES = re.compile(r"[^。!?\n]+(?:[。!?]+[”’\"')」』】]*)?|[。!?]+[”’\"')」』】]*")


def all_sentences(text: str) -> list[Span]:
    """The sentences of every paragraph of a normalized text, in order (= ``sentences`` of each)."""
    return [Span(*m.span()) for m in _ALL_SENTENCES.finditer(text)]
