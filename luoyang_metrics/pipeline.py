"""The whole path: read -> normalize -> find numbers -> apply rules -> resolve context -> rows."""

from __future__ import annotations

import bisect
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import regex

from . import context as ctx
from . import reading
from .errors import ReadError, UsageError
from .matching import Anchor, Claim, find_anchors, match_sentences
from .model import ColumnRows, Row, row_columns
from .normalize import Normalized, Span, all_sentences, normalize
from .numbers import convert, find_numbers
from .reading import ReportStream, TooLargeError, iter_reports, read_report
from .rules import RuleSet, load_rules
from .writing import rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "reports.csv"


class Trace(NamedTuple):
    """Why a row came out as it did (for ``explain``)."""

    claim: Claim
    row: Row
    reasons: dict[str, str]


@dataclass
class Extraction:
    """Everything learned from one text: rows, their reasons, and what no rule claimed."""

    rows: list[Row]
    traces: list[Trace]
    info: ctx.ReportInfo
    norm: Normalized
    numbers: list = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class FileResult:
    source: str
    rows: Sequence[Row] = field(default_factory=list)  # a list, or ColumnRows when it crossed processes
    error: str | None = None
    warnings: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[object, ...]:
        # Sent from a worker process as columns: pickling a frozen dataclass per row costs
        # ten times as much, on both sides.
        return _file_result, (self.source, row_columns(self.rows), self.error, self.warnings)


def _file_result(source: str, columns: list[list[object]], error: str | None,
                 warnings: tuple[str, ...]) -> FileResult:
    # kept as columns: the main process passes them on to the writers
    return FileResult(source, ColumnRows(columns), error, warnings)


def _sentences_to_read(text: str, sents: list[Span], starts: list[int], anchors: list[Anchor],
                       words: frozenset[str]) -> list[tuple[int, int]]:
    """The sentences whose figures a rule may claim: those holding a rule phrase or one of the
    words a rule without a phrase needs (``RuleSet.number_words``)."""
    keep = {bisect.bisect_right(starts, a.start) - 1 for a in anchors}
    for word in words:
        at = text.find(word)
        while at >= 0:
            keep.add(bisect.bisect_right(starts, at) - 1)
            at = text.find(word, at + 1)
    spans: list[tuple[int, int]] = []
    for k in sorted(keep):
        if k < 0:
            continue
        lo, hi = sents[k]
        if spans and spans[-1][1] == lo:
            spans[-1] = (spans[-1][0], hi)  # adjacent sentences are read in one go
        else:
            spans.append((lo, hi))
    return spans


def _link_lists(norm: Normalized, marker: regex.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of web-page link lists: a marker line ("相关阅读") and the lines of titles under it
    (no sentence ends with 。 in a title; lines of titles may have been joined as one)."""
    spans: list[tuple[int, int]] = []
    paras = norm.paragraphs
    starts: list[int] = []
    for m in marker.finditer(norm.text):
        starts = starts or [p.start for p in paras]
        k = bisect.bisect_right(starts, m.end() - 1)
        end = m.end()
        while k < len(paras) and norm.text.find("。", paras[k].start, paras[k].end) < 0:
            end = paras[k].end
            k += 1
        spans.append((m.start(), end))
    return spans


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(lo <= pos < hi for lo, hi in spans)


def analyse(text: str, rs: RuleSet, source: str = "<text>", year: int | None = None,
            region: str | None = None, default_year: int = 0, every_number: bool = True) -> Extraction:
    """Run every stage on one decoded text and keep the intermediate results.

    ``every_number=False`` looks for figures only in the sentences where a rule may claim
    one: the same rows, found faster, but ``Extraction.numbers`` then lacks the figures no
    rule could have claimed (``coverage`` and ``explain`` want them all).
    """
    norm = normalize(text)
    t = norm.text
    sents = all_sentences(t)
    sent_starts = [s.start for s in sents]
    problems: list[str] = []
    anchors = find_anchors(t, rs, problems, sents)
    if every_number or rs.number_words is None:
        numbers = find_numbers(t, rs.units)
    else:
        numbers = find_numbers(t, rs.units, _sentences_to_read(t, sents, sent_starts, anchors, rs.number_words))
    claims = match_sentences(t, sents, numbers, anchors, rs)
    skipped = _link_lists(norm, rs.grammar.report["link_list"])
    if skipped:
        claims = [c for c in claims if not _inside(c.number.start, skipped)]
    info = ctx.infer_report(norm, rs, year=year, region=region, default_year=default_year)
    scopes = ctx.build_scopes(norm, info, rs, sents, sent_starts)
    rows: list[Row] = []
    traces: list[Trace] = []
    no_year = no_region = 0
    # One sentence often carries several figures: what they share is worked out once.
    settings: dict[int, tuple[ctx.Setting, str]] = {}
    memo: dict = {}
    first_row: dict[int, int] = {}  # sentence -> index in ``rows`` of its first row
    for c in claims:
        k = max(0, bisect.bisect_right(sent_starts, c.number.start) - 1)
        shared = settings.get(k)
        if shared is None:
            shared = settings[k] = _sentence(norm, sents[k], scopes, info)
        traced = _to_row(c, norm, shared, scopes, info, rs, source, memo)
        if traced is None:
            continue
        if traced.row.year == 0:
            no_year += 1  # a row without its year cannot be compared with anything: leave it out
            continue
        r = traced.row
        at = t.rfind(ctx.BREAKDOWN, sents[k].start, c.number.start)
        if at >= 0 and _part_of_a_total(t, sents[k].start, k, at, r, rows, first_row):
            continue
        first_row.setdefault(k, len(rows))
        no_region += r.region == ""
        rows.append(r)
        traces.append(traced)
    if no_year:
        problems.append(f"{no_year} figures skipped: the report names no year; give --year or a reports.csv line")
    if no_region:
        problems.append(f"{no_region} rows have no region: the report names none; give --region or a reports.csv line")
    return Extraction(rows, traces, info, norm, numbers, claims, problems)


def _part_of_a_total(text: str, sent_start: int, k: int, at: int, row: Row, rows: list[Row],
                     first_row: dict[int, int]) -> bool:
    """Whether a figure after 其中 (at ``at``) is a part of a total given before it, of the same
    indicator, place, period and kind ("重点项目完成投资236.8亿元,其中12个省重点项目完成投资61.5亿元"):
    not the place's value. The total may close the sentence before ("…。其中,省重点项目…")."""
    if at > sent_start and text[at - 1] not in ",;:":
        return False
    lo = first_row.get(k, len(rows))
    if at == sent_start and k - 1 in first_row:
        lo = first_row[k - 1]
    key = (row.year, row.period, row.region, row.indicator, row.kind)
    return any((r.year, r.period, r.region, r.indicator, r.kind) == key for r in rows[lo:])


def _sentence(norm: Normalized, sent: Span, scopes: ctx.Scopes, info: ctx.ReportInfo) -> tuple[ctx.Setting, str]:
    """The sentence's shared context and its evidence text."""
    para_idx = ctx.paragraph_of(sent.start, scopes.para_starts)
    setting = ctx.sentence_setting(scopes, sent, norm.paragraphs[para_idx], para_idx, info)
    return setting, norm.readable(sent.start, sent.end)


def _to_row(c: Claim, norm: Normalized, shared: tuple[ctx.Setting, str], scopes: ctx.Scopes,
            info: ctx.ReportInfo, rs: RuleSet, source: str, memo: dict) -> Trace | None:
    t = norm.text
    n = c.number
    setting, evidence = shared
    sent = setting.sent
    # a reference region's value is of the year and period of the figure it is compared with
    at = c.anchor_start if c.via == "reference" else n.start
    named = ctx.Decision(c.year, f"'{c.year}年' named before it") if c.year else None
    year = named or ctx.resolve_year(scopes, setting, at)
    if c.years_back and year.value:
        year = ctx.Decision(int(year.value) - c.years_back, f"the same period a year before ({year.reason})")  # type: ignore[arg-type]
    enumerated = ctx.named_period(t, c.period_at, rs) if c.period_at >= 0 else None
    period = enumerated or ctx.resolve_period(scopes, setting, at)
    if not period.value:
        return None  # a single month's figure
    region = ctx.resolve_region(t, sent, c.anchor_start, c.region_at, info, rs, memo)
    if (c.via == "reference" and region.value is None) or region.value is ctx.PART_OF_REGION:
        return None
    family_words = (c.item or c.rule).target_words
    if c.via == "from":
        kind = ctx.Decision("actual", "the earlier value of a change")
    else:
        kind = ctx.resolve_kind(t, sent, n.start, int(year.value), info, family_words, rs, memo,  # type: ignore[arg-type]
                                setting.described)
    ind = rs.indicators[c.indicator]
    try:
        value = convert(n.value, n.unit, ind.unit, rs.units)
    except ValueError:
        return None
    if c.negative:
        value = -value
    reg = region.value
    # Positional (COLUMNS order): keyword arguments cost a third more in the frozen dataclass.
    row = Row(
        int(year.value),  # type: ignore[arg-type]
        str(period.value),
        reg.name if reg is not None else "",  # type: ignore[union-attr]
        ind.id,
        ind.name,
        float(round(value, 10)),
        ind.unit,
        str(kind.value),
        n.qualifier,
        source,
        norm.line_of(n.start),
        norm.readable(n.start, c.raw_end if c.raw_end > 0 else n.end),
        evidence,
        c.rule.id,
    )
    reasons = {"year": year.reason, "period": period.reason, "region": region.reason, "kind": kind.reason}
    return Trace(c, row, reasons)


def extract_text(text: str, year: int | None = None, region: str | None = None, source: str = "<text>",
                 rules: RuleSet | None = None) -> list[Row]:
    """Rows found in one report's text. ``year``/``region`` override what the text says of itself."""
    rs = rules or load_rules()
    return analyse(text, rs, source=source, year=year, region=region, every_number=False).rows


def read_manifest(root: Path) -> dict[str, tuple[int | None, str | None]]:
    """Optional ``reports.csv`` (file, year, region) giving per-file reference year and region."""
    path = root / MANIFEST
    if not path.is_file():
        return {}
    out: dict[str, tuple[int | None, str | None]] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for i, rec in enumerate(csv.DictReader(f), start=2):
            name = (rec.get("file") or "").strip()
            if not name:
                raise UsageError(f"{path}: line {i}: column 'file' is empty")
            y = (rec.get("year") or "").strip()
            try:
                year = int(y) if y else None
            except ValueError:
                raise UsageError(f"{path}: line {i}: year '{y}' is not a whole number") from None
            out[name] = (year, (rec.get("region") or "").strip() or None)
    return out


# Files above this size are streamed in pieces of PIECE_CHARS characters instead
# of being decoded and analysed whole. Whole-file analysis keeps every bit of
# context but peaks at about 9x the file size above the rules' ~150 MB (a 16 MB
# file: +145 MB); a streamed file of any size stays near +60 MB plus its rows.
STREAM_THRESHOLD = 16 * 1024 * 1024
PIECE_CHARS = reading.PIECE_CHARS


def extract_file(path: Path, root: Path, rs: RuleSet, year: int | None = None,
                 region: str | None = None, stream_threshold: int | None = None,
                 piece_chars: int | None = None) -> FileResult:
    """Rows of one report file, or the reason it cannot be read.

    ``stream_threshold``/``piece_chars`` default to the module constants, looked
    up at call time so that a test can lower them for every caller at once.
    """
    source = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    threshold = STREAM_THRESHOLD if stream_threshold is None else stream_threshold
    try:
        decoded = read_report(path, max_bytes=threshold)
    except TooLargeError:
        return _extract_streamed(path, source, rs, year, region, piece_chars or PIECE_CHARS)
    except ReadError as e:
        return FileResult(source, error=str(e))
    ex = analyse(decoded.text, rs, source=source, year=year, region=region, every_number=False)
    return FileResult(source, ex.rows, warnings=decoded.warnings + tuple(ex.problems))


def _extract_streamed(path: Path, source: str, rs: RuleSet, year: int | None, region: str | None,
                      piece_chars: int) -> FileResult:
    """Analyse a big report piece by piece; memory is bounded by the piece size, not the file.

    The report's year and region are inferred once, from the first piece (where
    the title and dateline are), and given to every later piece, which would
    otherwise guess them from whatever its own first paragraphs say. Rows found
    before a read error are dropped: a file is either extracted or failed.
    """
    rows: list[Row] = []
    problems: list[str] = []
    pieces = 0
    try:
        with ReportStream(path, piece_chars=piece_chars) as stream:
            for piece in stream:
                ex = analyse(piece.text, rs, source=source, year=year, region=region, every_number=False)
                if pieces == 0:
                    year, region = _report_context(ex.info, year, region)
                rows.extend(_shift_lines(ex.rows, piece.first_line - 1))
                problems.extend(ex.problems)
                pieces += 1
            damage, size = stream.warnings, stream.size
    except ReadError as e:
        return FileResult(source, error=str(e))
    note = (f"large file ({size:,} bytes): read in {pieces} pieces of up to {piece_chars:,} characters; "
            "a year or region stated in one piece does not carry to the next")
    return FileResult(source, rows, warnings=(*damage, *_distinct(problems), note))


def _distinct(messages: list[str], limit: int = 5) -> list[str]:
    """The first ``limit`` distinct messages: every piece of a big file may repeat the same problem."""
    unique = list(dict.fromkeys(messages))
    if len(unique) <= limit:
        return unique
    return [*unique[:limit], f"and {len(unique) - limit} more such messages from later pieces"]


def _report_context(info: ctx.ReportInfo, year: int | None, region: str | None) -> tuple[int | None, str | None]:
    """The year and region later pieces of a report must use: the caller's, else the first piece's."""
    if year is None and info.year:  # 0: the first piece named no year either
        year = info.year
    if region is None and info.region is not None:
        region = info.region.name
    return year, region


def _shift_lines(rows: list[Row], lines_before: int) -> list[Row]:
    """Rows of a piece with ``line`` counted from the top of the file."""
    if not lines_before:
        return rows
    return [replace(r, line=r.line + lines_before) for r in rows]


@dataclass(frozen=True, slots=True)
class Job:
    """One report to extract, with the year and region it is read with (manifest or overrides)."""

    path: Path
    source: str
    year: int | None
    region: str | None


def iter_jobs(root: Path, year: int | None = None, region: str | None = None,
              use_manifest: bool = True) -> Iterator[Job | FileResult]:
    """Every report under ``root`` in a stable order: a job, or a failed result saying why not."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: " + ("not a folder" if Path(root).exists() else "no such folder"))
    manifest = read_manifest(root) if use_manifest else {}
    for path, problem in iter_reports(root):
        source = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        if problem is not None:
            yield FileResult(source, error=problem)
            continue
        m_year, m_region = manifest.get(source, manifest.get(path.name, (None, None)))
        yield Job(path, source, year if year is not None else m_year, region if region is not None else m_region)


def iter_extract(root: Path, rs: RuleSet, year: int | None = None, region: str | None = None,
                 use_manifest: bool = True) -> Iterator[FileResult]:
    """Extract every report under ``root`` in a stable order, one result per file."""
    for job in iter_jobs(root, year, region, use_manifest):
        yield job if isinstance(job, FileResult) else extract_file(job.path, Path(root), rs, job.year, job.region)


def extract_dir(path: str | Path, rules: RuleSet | None = None, year: int | None = None,
                region: str | None = None, rule_dirs: Sequence[Path] = ()) -> pd.DataFrame:
    """The SPEC table for every report under ``path`` (a pandas DataFrame)."""
    rs = rules or load_rules(rule_dirs)
    rows: list[Row] = []
    for res in iter_extract(Path(path), rs, year=year, region=region):
        rows.extend(res.rows)
    return rows_to_frame(rows)
