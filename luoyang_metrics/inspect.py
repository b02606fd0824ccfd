"""Look inside an extraction: why a figure became a row (``explain``) and what no rule found (``coverage``).

Both run the ordinary pipeline (:func:`pipeline.analyse`) and only read its intermediate results, so
what they show is exactly what ``extract`` does, never a re-implementation of it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import regex

from .context import Decision
from .errors import ReadError, UsageError
from .matching import Anchor, Claim, find_anchors
from .model import NumberMention, Row
from .normalize import CLAUSE_BREAKS, Normalized, clause_start
from .pipeline import Extraction, Trace, analyse, read_manifest
from .reading import iter_reports, read_report
from .regions import Region
from .rules import Rule, RuleSet

# How each matching strategy (Claim.via) links a figure to its rule, in words an analyst reads.
STRATEGIES: dict[str, str] = {
    "direct": "the indicator phrase before it, joined by connective words",
    "carry": "a growth rate right after a level of the same indicator",
    "list": "a 分别 enumeration: phrases and figures paired in order",
    "share": "a 各 enumeration: every listed phrase gets this figure",
    "reference": "a reference region's own value, in brackets after 高于/低于…",
    "after": "the words after the number (or its unit word) name the indicator",
    "parallel": "a clause opening with another place, period or year: the indicator of an earlier level",
    "change": "由…增加到…: the level the indicator reached",
    "from": "由2015年的…增加到…: the earlier level, in the year named",
    "points": "a rate after its change in percentage points (提高0.2个百分点,达到2.3%)",
}

# Where a clause ends for the "words before" a figure. 、 is not here: list items are cut
# separately (see words_before) so that an enumeration falls back to its head.
_SENTENCE_END = "。!?\n"
_LIST_SEP = "、"
_LIST_JOINERS = ("以及", "和", "及", "与", "并", "等")
_EDGE_JUNK = "()[]{}《》〈〉—-~/, "
# Verbs that may open a clause before the indicator phrase ("实现旅游总收入85亿元").
_OPENING_VERBS = ("实现", "完成", "累计", "共计", "合计", "总计", "达到")
# Digits left after removing the figures themselves: dates and ordinals ("2023年", "1-11月", "第3").
_DIGITS = regex.compile(r"\d[\d.,\-~]*(?:年|个?月份?|日|号)?")
KEY_WIDTH = 8
_GROWTH = "增长"  # the label of a rising growth rate in a group key; a fall keeps its own word (下降, 减少)
NO_WORDS = "(start of clause)"


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Figure:
    """A number with a unit as found in the text."""

    raw: str            # as written in the original text (250.9亿元)
    value: float        # in the written base unit (2.509e10 for 250.9亿元)
    unit: str           # the written base unit (元, %, 人次 ...)
    dimension: str      # cny, percent, people ...
    qualifier: str      # eq, ge, gt, le, approx
    start: int          # offsets in the normalized text
    end: int
    line: int           # 1-based line of the original text


@dataclass(frozen=True, slots=True)
class ClaimedFigure:
    """A figure that became a row: the rule, how it matched, and the row's context decisions."""

    figure: Figure
    rule: str
    rule_file: str
    strategy: str           # Claim.via: direct | carry | list | share | reference | after
    measure: str            # level | growth | rate
    phrase: str             # the text the rule's pattern matched (anchor, or the words after the number)
    pattern: str            # the rule's pattern that matched it
    between: str            # the connective words between the phrase (or the figure before) and this one
    row: Row
    year: Decision
    period: Decision
    region: Decision
    kind: Decision

    @property
    def strategy_note(self) -> str:
        return STRATEGIES.get(self.strategy, self.strategy)


@dataclass(frozen=True, slots=True)
class UnclaimedFigure:
    """A figure no rule turned into a row, with the words before it and the likely reason."""

    figure: Figure
    words_before: str
    clause: str
    why: str


@dataclass(frozen=True)
class Explanation:
    text: str               # what was explained: the text, or the one line of a file
    source: str
    report_year: int        # the year the text describes as a whole (0: none found)
    report_region: str      # "" when neither given nor found
    figures: tuple[Figure, ...]
    claimed: tuple[ClaimedFigure, ...]
    unclaimed: tuple[UnclaimedFigure, ...]

    @property
    def rows(self) -> list[Row]:
        return [c.row for c in self.claimed]


@dataclass(frozen=True)
class Coverage:
    """What the rules found and missed in a folder of reports."""

    unclaimed: pd.DataFrame     # UNCLAIMED_COLUMNS: the group, its size, and its first figure as example
    rules: pd.DataFrame         # rule, rows, reports, indicators, file
    reports: int
    figures: int                # numbers with a unit found in all reports
    claimed: int                # of those, how many became at least one row
    failed: tuple[tuple[str, str], ...]  # (source, reason) of reports that could not be read

    @property
    def share_claimed(self) -> float:
        return self.claimed / self.figures if self.figures else 0.0


UNCLAIMED_COLUMNS = ("words_before", "unit", "count", "reports", "example", "context", "evidence", "source", "line")
RULE_COLUMNS = ("rule", "rows", "reports", "indicators", "file")


# ----------------------------------------------------------------------------- words before a figure


def _strip_figures(text: str, lo: int, hi: int, numbers: Sequence[NumberMention]) -> str:
    """text[lo:hi] without the figures inside it, then without leftover digits (dates, ordinals)."""
    starts = [n.qual_start for n in numbers]
    k = bisect.bisect_left(starts, lo)
    parts: list[str] = []
    pos = lo
    while k < len(numbers) and numbers[k].qual_start < hi:
        n = numbers[k]
        parts.append(text[pos:n.qual_start])
        pos = max(pos, min(n.end, hi))
        k += 1
    parts.append(text[pos:hi])
    return _DIGITS.sub("", "".join(parts))


def _clean(item: str) -> str:
    """Strip brackets, dashes and list joiners from both ends: they belong to no indicator phrase."""
    before = None
    while before != item:
        before = item
        item = item.strip(_EDGE_JUNK)
        for w in _LIST_JOINERS:
            item = item.removeprefix(w).removesuffix(w)
    return item


def _clause_end(text: str, pos: int) -> int:
    ends = [k for k in (text.find(ch, pos) for ch in CLAUSE_BREAKS) if k >= 0]
    return min(ends) if ends else len(text)


def _skip_openers(text: str, pos: int, hi: int, rs: RuleSet, report: Region | None) -> int:
    """Skip what opens a clause before its indicator phrase: leads (全年, 2023年, 其中, grammar.yaml
    ``lead``), a subject region (全市, 嵩县) and a verb (实现, 完成), so that "全年全市实现旅游总收入"
    and "旅游总收入" fall in one group."""
    while pos < hi:
        lead = rs.grammar.lead.match(text, pos, hi)
        if lead is not None and lead.end() > pos:
            pos = lead.end()
            continue
        region = rs.gazetteer.match_at(text, pos, report)
        if region is not None and region[1] <= hi:
            pos = region[1]
            continue
        verb = next((v for v in _OPENING_VERBS if text.startswith(v, pos, hi)), None)
        if verb is None:
            return pos
        pos += len(verb)
    return pos


def words_before(text: str, lo: int, pos: int, numbers: Sequence[NumberMention] = (), rs: RuleSet | None = None,
                 report: Region | None = None, width: int = KEY_WIDTH) -> str:
    """The last ``width`` characters of the list item of ``text[lo:pos]`` that ends at ``pos``,
    without figures, digits and (given ``rs``) the item's opening words.

    Dropping digits groups "2023年旅游总收入" with "旅游总收入". An item of an enumeration whose own
    words are only a joiner ("50%、11%和") takes the words of the nearest item that has some,
    usually the list's head ("分别占全省的").
    """
    cuts = [lo] + [k + 1 for k in range(lo, pos) if text[k] == _LIST_SEP] + [pos + 1]
    for a, b in reversed(list(zip(cuts, cuts[1:], strict=False))):
        hi = min(b - 1, pos)
        start = _skip_openers(text, a, hi, rs, report) if rs is not None else a
        for begin in dict.fromkeys((start, a)):  # without the openers, else with them if nothing is left
            item = _clean(_strip_figures(text, begin, hi, numbers))
            if item:
                return _clean(_tail(item, width))
    return ""


def _tail(words: str, width: int) -> str:
    """The last ``width`` characters, widened so as not to cut a Latin word ("GDP", not "P")."""
    k = max(0, len(words) - width)
    while k > 0 and words[k - 1].isascii() and words[k - 1].isalnum() and words[k].isascii() and words[k].isalnum():
        k -= 1
    return words[k:]


def _plain_key(text: str, n: NumberMention, numbers: Sequence[NumberMention], rs: RuleSet,
               report: Region | None, width: int) -> str:
    before = words_before(text, clause_start(text, 0, n.qual_start), n.qual_start, numbers, rs, report, width)
    if before:
        return before
    # A figure that opens its clause ("23个省、市重点项目") is named by the words after it.
    after = _clean(_strip_figures(text, n.end, _clause_end(text, n.end), numbers)[:width])
    return f"…{_clean(after)}" if after else NO_WORDS


def group_key(text: str, n: NumberMention, numbers: Sequence[NumberMention], rs: RuleSet,
              report: Region | None = None, width: int = KEY_WIDTH) -> str:
    """The coverage group of a figure: the words before it (see :func:`words_before`), with the
    clause's opening words skipped. A growth rate right after another figure ("1.5亿人次,比上年增长12%")
    is keyed by that figure's words, "接待游客…增长", whatever its lead (同比, 比上年): the rule
    written for the level will carry it over."""
    k = bisect.bisect_left([m.start for m in numbers], n.start)
    prev = numbers[k - 1] if k > 0 else None
    if prev is not None and n.dimension == "percent" and prev.end <= n.qual_start:
        gap = text[prev.end:n.qual_start]
        m = rs.grammar.carry_gap.fullmatch(gap) if len(gap) <= rs.grammar.max_gap else None
        if m is not None:
            return f"{_plain_key(text, prev, numbers, rs, report, width)}…{m.group('down') or _GROWTH}"
    return _plain_key(text, n, numbers, rs, report, width)


# ----------------------------------------------------------------------------- explain


def _figure(n: NumberMention, norm: Normalized) -> Figure:
    return Figure(raw=norm.readable(n.start, n.end) or n.raw, value=n.value, unit=n.unit,
                  dimension=n.dimension, qualifier=n.qualifier, start=n.start, end=n.end,
                  line=norm.line_of(n.start))


def _anchor_at(anchors: Sequence[Anchor], start: int) -> Anchor | None:
    k = bisect.bisect_left([a.start for a in anchors], start)
    return anchors[k] if k < len(anchors) and anchors[k].start == start else None


def _phrase_and_pattern(c: Claim, text: str, anchors: Sequence[Anchor]) -> tuple[str, str, int]:
    """(matched text, rule pattern, end of the matched phrase) for a claim."""
    rule = c.rule
    if c.via == "after":
        n = c.number
        if rule.after is not None:
            return text[n.end:c.raw_end], rule.after.pattern, n.end
        return n.unit, rule.unit_word.pattern if rule.unit_word is not None else "", n.end
    a = _anchor_at(anchors, c.anchor_start)
    if a is None:
        return "", rule.anchor_source, c.anchor_start
    return text[a.start:a.end], rule.anchor_source, a.end


def _between(text: str, lo: int, n: NumberMention, numbers: Sequence[NumberMention]) -> str:
    """The words between ``lo`` (end of the phrase) or the last figure after it, and ``n``."""
    for m in numbers:
        if lo <= m.start and m.end <= n.qual_start:
            lo = m.end
    return text[lo:n.qual_start] if lo <= n.qual_start else ""


def _claimed(t: Trace, ex: Extraction, anchors: Sequence[Anchor]) -> ClaimedFigure:
    text = ex.norm.text
    c = t.claim
    phrase, pattern, phrase_end = _phrase_and_pattern(c, text, anchors)
    between = "" if c.via == "after" else _between(text, phrase_end, c.number, ex.numbers)
    r = t.row
    return ClaimedFigure(
        figure=_figure(c.number, ex.norm), rule=c.rule.id, rule_file=c.rule.file, strategy=c.via,
        measure=c.measure, phrase=phrase, pattern=pattern, between=between, row=r,
        year=Decision(str(r.year), t.reasons["year"]), period=Decision(r.period, t.reasons["period"]),
        region=Decision(r.region, t.reasons["region"]), kind=Decision(r.kind, t.reasons["kind"]),
    )


def _sentence_end(text: str, pos: int) -> int:
    """Offset just after the sentence-ending mark at or after ``pos`` (or the end of the text)."""
    ends = [k for k in (text.find(ch, pos) for ch in _SENTENCE_END) if k >= 0]
    return min(ends) + 1 if ends else len(text)


def _rule_names(rules: Iterable[Rule]) -> str:
    return ", ".join(r.id for r in rules)


def why_unclaimed(n: NumberMention, ex: Extraction, anchors: Sequence[Anchor], rs: RuleSet) -> str:
    """The most likely reason no rule took ``n``, in the terms of the rule files."""
    text = ex.norm.text
    dropped = [c for c in ex.claims if c.number.start == n.start]
    if dropped:
        c = dropped[0]
        unit = rs.indicators[c.indicator].unit
        return (f"rule {c.rule.id} claimed it as {c.indicator}, but {n.unit} does not convert to {unit}; "
                "check the indicator's unit")
    # A comparison word in the figure's own clause outranks every other reason: it is never a value.
    compared = rs.grammar.reference_before.search(text, clause_start(text, 0, n.qual_start), n.qual_start)
    if compared is not None:
        return f"'{compared.group()}' makes it a comparison, not a value of an indicator"
    sent = clause_start(text, 0, n.qual_start, _SENTENCE_END)
    before = [a for a in anchors if sent <= a.start and a.end <= n.qual_start]
    if not before:
        return "no rule's phrase stands before it in its sentence"
    a = before[-1]
    phrase = f"'{text[a.start:a.end]}' ({_rule_names(a.rules)})"
    if any(a.end <= m.start and m.end <= n.qual_start for m in ex.numbers):
        return f"another figure stands between phrase {phrase} and it, and it does not carry on from that one"
    gap = text[a.end:n.qual_start]
    g = rs.grammar
    multi_year = g.not_growth.search(gap)
    if multi_year is not None:
        return f"'{multi_year.group()}' between phrase {phrase} and it marks a multi-year figure"
    if len(gap) > g.max_gap:
        return f"phrase {phrase} is {len(gap)} characters before it (grammar.yaml max_gap is {g.max_gap})"
    fits = g.level_gap.fullmatch(gap) is not None or (
        n.dimension == "percent" and g.growth_gap.fullmatch(gap) is not None)
    if not fits:
        return (f"the words '{gap}' between phrase {phrase} and it are not connective words "
                "(grammar.yaml gap_words, growth_leads, growth_word)")
    return (f"phrase {phrase} fits, but its rules give no indicator for a figure in {n.unit} here "
            "(level/growth/rate, requires/forbids)")


def _unclaimed(n: NumberMention, ex: Extraction, anchors: Sequence[Anchor], rs: RuleSet) -> UnclaimedFigure:
    text = ex.norm.text
    return UnclaimedFigure(
        figure=_figure(n, ex.norm),
        words_before=group_key(text, n, ex.numbers, rs, ex.info.region),
        clause=ex.norm.readable(clause_start(text, 0, n.qual_start), n.end),
        why=why_unclaimed(n, ex, anchors, rs),
    )


def _explanation(ex: Extraction, rs: RuleSet, source: str, shown: str, keep: Iterable[NumberMention]) -> Explanation:
    anchors = find_anchors(ex.norm.text, rs)
    kept = list(keep)
    starts = {n.start for n in kept}
    with_row = {t.claim.number.start for t in ex.traces}
    claimed = tuple(_claimed(t, ex, anchors) for t in ex.traces if t.claim.number.start in starts)
    unclaimed = tuple(_unclaimed(n, ex, anchors, rs) for n in kept if n.start not in with_row)
    region = ex.info.region.name if ex.info.region is not None else ""
    return Explanation(text=shown, source=source, report_year=ex.info.year, report_region=region,
                       figures=tuple(_figure(n, ex.norm) for n in kept), claimed=claimed, unclaimed=unclaimed)


def explain(text: str, rs: RuleSet, year: int | None = None, region: str | None = None,
            source: str = "<text>") -> Explanation:
    """Every figure in ``text``: the rule, strategy and pattern that claimed it and the row's reasons,
    or, for a figure no rule claimed, the words before it and why."""
    ex = analyse(text, rs, source=source, year=year, region=region)
    return _explanation(ex, rs, source, ex.norm.readable(0, len(ex.norm.text)), ex.numbers)


def explain_file_line(path: Path, line: int, rs: RuleSet, year: int | None = None,
                      region: str | None = None) -> Explanation:
    """Explain the figures on one line of a report, analysing the whole file so that the year and
    region come from its title, headings and ``reports.csv`` exactly as in ``extract``."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    decoded = read_report(path)
    lines = decoded.text.split("\n")
    if not 1 <= line <= len(lines):
        raise UsageError(f"{path}: line {line} is out of range; the file has {len(lines)} lines")
    m_year, m_region = read_manifest(path.parent).get(path.name, (None, None))
    ex = analyse(decoded.text, rs, source=path.name, year=year if year is not None else m_year,
                 region=region if region is not None else m_region)
    keep = [n for n in ex.numbers if ex.norm.line_of(n.start) == line]
    return _explanation(ex, rs, path.name, lines[line - 1].strip(), keep)


# ----------------------------------------------------------------------------- coverage


@dataclass(frozen=True, slots=True)
class Miss:
    """One figure that gave no row, with what coverage groups and shows it by."""

    words_before: str
    unit: str
    raw: str
    context: str
    evidence: str
    source: str
    line: int


def misses(ex: Extraction, source: str, rs: RuleSet) -> list[Miss]:
    """The figures of one analysed report that gave no row."""
    text = ex.norm.text
    with_row = {t.claim.number.start for t in ex.traces}
    out = []
    for n in ex.numbers:
        if n.start in with_row:
            continue
        lo, hi = clause_start(text, 0, n.qual_start, _SENTENCE_END), _sentence_end(text, n.end)
        out.append(Miss(group_key(text, n, ex.numbers, rs, ex.info.region), n.unit, ex.norm.readable(n.start, n.end),
                         context(ex.norm, n, lo, hi), ex.norm.readable(lo, hi), source, ex.norm.line_of(n.start)))
    return out


def context(norm: Normalized, n: NumberMention, lo: int, hi: int, before: int = 16, after: int = 6) -> str:
    """The figure with a few characters of its sentence ``[lo, hi)`` around it, "…" marking a cut."""
    a, b = max(lo, n.qual_start - before), min(hi, n.end + after)
    return ("…" if a > lo else "") + norm.readable(a, b) + ("…" if b < hi else "")


def unclaimed_frame(found: Sequence[Miss]) -> pd.DataFrame:
    """Misses grouped by (words before, unit), most frequent first, with the first one as example."""
    if not found:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("count", "reports", "line") else "object")
                             for c in UNCLAIMED_COLUMNS})
    df = pd.DataFrame([asdict(m) for m in found])
    grouped = df.groupby(["words_before", "unit"], sort=False)
    out = grouped.agg(count=("raw", "size"), reports=("source", "nunique"), example=("raw", "first"),
                      context=("context", "first"), evidence=("evidence", "first"), source=("source", "first"),
                      line=("line", "first"))
    out = out.reset_index().sort_values(["count", "reports", "words_before", "unit"],
                                        ascending=[False, False, True, True], kind="stable")
    return out.loc[:, list(UNCLAIMED_COLUMNS)].reset_index(drop=True)


def rules_frame(rows: Sequence[Row], rs: RuleSet) -> pd.DataFrame:
    """Per rule: rows produced, reports it fired in, indicators it gave; rules that never fired too."""
    stats: dict[str, tuple[int, set[str], set[str]]] = {rid: (0, set(), set()) for rid in rs.rules}
    for r in rows:
        count, sources, indicators = stats.setdefault(r.rule, (0, set(), set()))
        sources.add(r.source)
        indicators.add(r.indicator)
        stats[r.rule] = (count + 1, sources, indicators)
    records = [{"rule": rid, "rows": n, "reports": len(src), "indicators": ", ".join(sorted(ind)),
                "file": rs.rules[rid].file if rid in rs.rules else ""}
               for rid, (n, src, ind) in stats.items()]
    df = pd.DataFrame(records, columns=list(RULE_COLUMNS))
    df = df.sort_values(["rows", "reports", "rule"], ascending=[False, False, True], kind="stable")
    return df.astype({"rows": "int64", "reports": "int64"}).reset_index(drop=True)


def coverage(root: Path, rs: RuleSet, year: int | None = None, region: str | None = None) -> Coverage:
    """Unclaimed figures grouped by the words before them, and per-rule firing stats, for a folder."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: " + ("not a folder" if Path(root).exists() else "no such folder"))
    manifest = read_manifest(root)
    found: list[Miss] = []
    rows: list[Row] = []
    failed: list[tuple[str, str]] = []
    reports = figures = 0
    for path, problem in iter_reports(root):
        source = path.relative_to(root).as_posix()
        if problem is not None:
            failed.append((source, problem))
            continue
        try:
            text = read_report(path).text
        except ReadError as e:
            failed.append((source, str(e)))
            continue
        m_year, m_region = manifest.get(source, manifest.get(path.name, (None, None)))
        ex = analyse(text, rs, source=source, year=year if year is not None else m_year,
                     region=region if region is not None else m_region)
        reports += 1
        figures += len(ex.numbers)
        rows.extend(ex.rows)
        found.extend(misses(ex, source, rs))
    return Coverage(unclaimed=unclaimed_frame(found), rules=rules_frame(rows, rs), reports=reports,
                    figures=figures, claimed=figures - len(found), failed=tuple(failed))
