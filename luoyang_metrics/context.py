"""Resolve the context of a claimed number: year, period, region and kind.

The report as a whole has a described year (a review published in January 2021
describes 2020), a "present" year that 今年 refers to, a region and, rarely, a period.
Each figure then takes its year from its sentence, else from the nearest heading or
paragraph that opens with a year, else from the report; its region from the subject
of its sentence, else from the report; and it is a target when its year lies after
the described year or the sentence before it says so (预期目标, 力争, 确保, 不少于 ...).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import regex

from .normalize import Normalized, Span, clause_start
from .regions import Region
from .rules import Grammar, RuleSet

# What str.isdigit() accepts (decimal digits and the likes of superscripts), in one search
# (the regex module may know a few digits newer than Python's own tables).
_DIGIT = regex.compile(r"[\p{Numeric_Type=Decimal}\p{Numeric_Type=Digit}]")
_OPENING_END = regex.compile("[,;]")
YEAR_LEAD = 16  # a paragraph "names a year" when one stands in its first characters
HEAD_PARAGRAPHS = 6  # a report's title block: its first paragraphs
REGION_SCAN = 4000  # a report says what it is about in its opening; scanning further only costs time


@dataclass(frozen=True, slots=True)
class ReportInfo:
    year: int              # the year the report describes
    present: int           # the year 今年 means in it
    region: Region | None
    period: str = "Y"
    review: bool = False   # published after the year it describes (work report, communiqué ...)


class Decision(NamedTuple):
    value: object
    reason: str


# The region of a figure whose subject is a town or a park inside the region: no row.
PART_OF_REGION = "part of a region"
# The word that opens a breakdown of what was said before ("全县…,其中,城关镇…").
BREAKDOWN = "其中"


# ----------------------------------------------------------------------------- report level


def _years(text: str, g: Grammar, lo: int = 0, hi: int | None = None,
           heading: bool = False) -> list[tuple[int, int]]:
    """(offset, year) of each year mention that is not a comparison base."""
    hi = len(text) if hi is None else hi
    out = []
    for m in (g.heading_year if heading else g.year).finditer(text, lo, hi):
        if _after_base(text, g, lo, m.start()):
            continue
        out.append((m.start(), int(m.group("y"))))
    return out


def _after_base(text: str, g: Grammar, lo: int, pos: int) -> bool:
    """Whether the year at ``pos`` is a comparison base ("比上年", "较2019年"): a base word
    just before it, in the same paragraph (a word ending the paragraph above is not)."""
    start = max(lo, pos - 4, text.rfind("\n", 0, pos) + 1)
    return g.year_base.search(text, start, pos) is not None


def infer_report(norm: Normalized, rs: RuleSet, year: int | None = None, region: str | None = None,
                 default_year: int = 0) -> ReportInfo:
    """The report's described year, present year, region and period."""
    text = norm.text
    g = rs.grammar
    head_end = norm.paragraphs[min(len(norm.paragraphs), HEAD_PARAGRAPHS) - 1].end if norm.paragraphs else 0
    head = text[:head_end]
    pm = g.report["period_title"].search(head)
    # A report on part of a year ("前三季度全市经济运行") is news of the year it is published in,
    # whatever meeting its opening mentions.
    review = pm is None and g.report["review"].search(text[: max(head_end, 600)]) is not None

    described: int | None = year
    present: int | None = None
    if described is None:
        m = g.report["title_year"].search(head)
        if m:
            described = int(m.group("y"))
    m = g.report["dateline"].search(head)
    if m:
        present = int(m.group("y"))
    else:
        m = g.report["of_year"].search(text[: max(head_end, 800)])
        if m:
            present = int(m.group("y"))
    if described is None and present is not None:
        described = present - 1 if review else present
    if described is None:
        counts = Counter(y for _, y in _years(text, g))
        if counts:
            top = max(counts.values())
            described = min(y for y, c in counts.items() if c == top)
    if described is None:
        described = default_year
    if described == 0:
        present = 0  # nothing to resolve 今年/上年 against either
    elif present is None or present < described:
        present = described + 1 if review else described

    reg = rs.gazetteer.get(region) if region else None
    if region and reg is None:
        reg = Region(region, "", "county", None, None)
    if reg is None:
        reg = rs.gazetteer.infer_report_region(text[:REGION_SCAN])
    period = _period_name(pm.group("p"), rs) if pm else "Y"
    return ReportInfo(described, present, reg, period, review)


def _period_name(phrase: str, rs: RuleSet) -> str:
    m = rs.grammar.periods.search(phrase)
    return _period_of(m, rs.grammar) if m else "Y"


def _period_of(m, g: Grammar) -> str:  # noqa: ANN001 - a regex match
    name = m.lastgroup
    template = g.period_names[name]
    groups = {k: v for k, v in m.groupdict().items() if v is not None and k.startswith("m")}
    return template.format(**groups) if groups else template


# ----------------------------------------------------------------------------- document scopes


class Titled(NamedTuple):
    """A report inside a file that holds several: what its title (and dateline) say."""

    described: int    # the year it describes
    period: str
    present: int      # the year its 今年 means
    title: str


@dataclass(frozen=True)
class Scopes:
    """Where years and periods are named in a report, found once so each figure only looks them up."""

    para_starts: list[int]
    scope_year: list[tuple[int, str] | None]  # year in force at the start of each paragraph, and why
    year_at: list[int]                        # offsets of year mentions (absolute or relative, not bases)
    years: list[tuple[int, str]]              # (year, why) for each of them
    opening_at: list[int]                     # starts of sentences that open with a year
    opening_years: list[int]
    period_at: list[int]                      # offsets of period phrases (一季度, 上半年 ...)
    periods: list[tuple[str, str]]            # (period, phrase)
    opening_period_at: list[int]              # starts of sentences that open with a period phrase
    opening_periods: list[tuple[str, str]]
    # per paragraph: the report whose title heads that part of the text, in a file holding several
    # reports; None where the file's own title governs
    titled: list[Titled | None]


def build_scopes(norm: Normalized, info: ReportInfo, rs: RuleSet, sents: list[Span],
                 sent_starts: list[int]) -> Scopes:
    """``sent_starts`` are the starts of ``sents``."""
    g = rs.grammar
    text = norm.text
    current: tuple[int, str] | None = None
    scope: list[tuple[int, str] | None] = []
    titled: list[Titled | None] = []
    title: Titled | None = None
    in_body = False  # past the file's own title block (infer_report reads that one)
    for idx, p in enumerate(norm.paragraphs):
        scope.append(current)
        titled.append(title)
        body_end = min(p.end, p.start + YEAR_LEAD)
        is_heading = idx in norm.headings
        if not is_heading:
            in_body = True
        elif in_body:
            # a later report's own title, in a file that holds several ("洛阳市2020年国民经济和社会
            # 发展统计公报", "2023年孟津区经济工作会议召开", "前三季度孟津区经济运行稳中有进")
            nxt = norm.paragraphs[idx + 1] if idx + 1 < len(norm.paragraphs) else None
            found = _report_title(text, p, nxt, g, rs, title or Titled(info.year, info.period, info.present, ""))
            if found is not None:
                title = found
                current = (found.described, f"report title '{found.title}'")
                continue
        ys = _years(text, g, p.start, p.end if is_heading else body_end, heading=is_heading)
        if ys:
            # "栾川县2024年政府工作报告", a dateline: the year the report is of or was published in,
            # not the year the text below it describes
            own = [m.span() for key in ("of_year", "dateline") for m in g.report[key].finditer(text, p.start, p.end)]
            ys = [(off, y) for off, y in ys if not any(a <= off < b for a, b in own)]
        if ys:
            current = (ys[0][1], f"{'heading' if is_heading else 'paragraph'} '{text[p.start:p.end][:20]}'")
            continue
        if is_heading or (p.end > p.start and text[p.end - 1] == ":"):
            rel = g.relative_year_re.search(text, p.start, p.end if is_heading else body_end)
            if rel and _after_base(text, g, p.start, rel.start()):
                rel = None  # "比上年": a comparison base, not the year of what follows
            if rel and info.present:
                y = info.present + g.relative_years[rel.group()]
                current = (y, f"heading '{text[p.start:p.end][:20]}'")

    marks = [(off, y, "in the sentence") for off, y in _years(text, g)]
    para_starts = [p.start for p in norm.paragraphs]  # (the Scopes keep them too)
    if info.present:
        for m in g.relative_year_re.finditer(text):
            if not _after_base(text, g, 0, m.start()):
                t = titled[paragraph_of(m.start(), para_starts)] if title is not None else None
                present = t.present if t is not None else info.present
                marks.append((m.start(), present + g.relative_years[m.group()], f"'{m.group()}' in the sentence"))
    if g.named_year_re is not None and g.named_year_hint in text:
        for m in g.named_year_re.finditer(text):
            marks.append((m.start(), g.named_years[m.group()], f"'{m.group()}' in the sentence"))
    marks.sort()
    year_at = [m[0] for m in marks]
    opening_at: list[int] = []
    opening_years: list[int] = []
    for i, sent in _openings(year_at, sents, sent_starts):
        if marks[i][2] == "in the sentence":
            opening_at.append(sent.start)
            opening_years.append(marks[i][1])
    named: dict[tuple[str | None, str], str] = {}  # the same phrase names the same period
    periods = []
    for m in g.period_scanner.finditer(text):
        phrase = m.group()
        key = (m.lastgroup, phrase)
        period = named.get(key)
        if period is None:
            period = named[key] = _period_of(m, g)
        periods.append((m.start(), period, phrase))
    period_at = [p[0] for p in periods]
    opening_period_at: list[int] = []
    opening_periods: list[tuple[str, str]] = []
    for i, sent in _openings(period_at, sents, sent_starts):
        if period_at[i] > sent.start and _skip_leads(text, sent.start, rs) <= period_at[i]:
            continue  # "面对上半年增速回落的形势,...": the period is not what the sentence opens with
        if not periods[i][1]:
            continue  # "8月份,…": one month speaks for its own sentence only
        opening_period_at.append(sent.start)
        opening_periods.append((periods[i][1], periods[i][2]))
    return Scopes(para_starts, scope, year_at, [(m[1], m[2]) for m in marks],
                  opening_at, opening_years, period_at, [(p[1], p[2]) for p in periods],
                  opening_period_at, opening_periods, titled)


def _report_title(text: str, p: Span, nxt: Span | None, g: Grammar, rs: RuleSet,
                  before: Titled) -> Titled | None:
    """What the heading ``p`` says if it is the title of a report (``nxt``: the paragraph after
    it, where a dateline may stand)."""
    head = text[p.start:p.end]
    dated = g.report["dateline"].search(text, nxt.start, nxt.end) if nxt is not None else None
    published = int(dated.group("y")) if dated else None
    m = g.report["period_title"].search(head)
    if m is not None:
        y = g.year.search(head)
        year = int(y.group("y")) if y else published or before.described
        return Titled(year, _period_name(m.group("p"), rs), year, head[:20])
    m = g.report["title_year"].search(head)
    if m is not None:
        y = int(m.group("y"))
        return Titled(y, "Y", published or y + 1, head[:20])
    m = g.report["of_year"].search(head)
    if m is not None:  # a work report or meeting of a year looks back on the year before
        y = int(m.group("y"))
        return Titled(y - 1, "Y", y, head[:20])
    if published is not None and g.report["review"].search(head):
        # "区委经济工作会议暨全区重点工作推进会召开" dated 2023-01-16: a look back on 2022
        return Titled(published - 1, "Y", published, head[:20])
    return None


def _openings(offsets: list[int], sents: list[Span], sent_starts: list[int]) -> Iterator[tuple[int, Span]]:
    """(i, sentence) for each sentence whose first mark at or after its start, ``offsets[i]``,
    stands in its first ``YEAR_LEAD`` characters (found per mark: marks are fewer than sentences)."""
    prev = -1
    for i, off in enumerate(offsets):
        k = bisect.bisect_right(sent_starts, off) - 1
        if k >= 0:
            sent = sents[k]
            if prev < sent.start and off < min(sent.end, sent.start + YEAR_LEAD):
                yield i, sent
        prev = off


# ----------------------------------------------------------------------------- per figure


def _last_between(offsets: list[int], lo: int, hi: int) -> int | None:
    """Index of the last offset in [lo, hi), if any."""
    k = bisect.bisect_left(offsets, hi) - 1
    return k if k >= 0 and offsets[k] >= lo else None


class Setting(NamedTuple):
    """What every figure of one sentence shares: the sentence, and the year and period a figure
    takes when none is named before it in the sentence itself."""

    sent: Span
    year: Decision
    period: Decision
    described: int   # the year the report this sentence belongs to describes


def sentence_setting(scopes: Scopes, sent: Span, para: Span, para_idx: int, info: ReportInfo) -> Setting:
    titled = scopes.titled[para_idx]  # the report this paragraph belongs to, in a file holding several
    # an earlier sentence of the same paragraph that opens with a year
    k = _last_between(scopes.opening_at, para.start, sent.start)
    if k is not None:
        year = Decision(scopes.opening_years[k], "an earlier sentence of the paragraph")
    else:
        scoped = scopes.scope_year[para_idx]
        year = Decision(scoped[0], scoped[1]) if scoped else Decision(info.year, "the report's year")
    # "1-9月,全市规上工业增加值同比增长6.3%。固定资产投资同比增长8.2%。": the paragraph's period
    k = _last_between(scopes.opening_period_at, para.start, sent.start)
    if k is not None:
        period, phrase = scopes.opening_periods[k]
        in_para = Decision(period, f"'{phrase}' opening an earlier sentence of the paragraph")
    elif titled is not None:
        in_para = Decision(titled.period, f"the period of the report titled '{titled.title}'")
    else:
        in_para = Decision(info.period, "the report's period")
    return Setting(sent, year, in_para, titled.described if titled else info.year)


def resolve_year(scopes: Scopes, setting: Setting, pos: int) -> Decision:
    k = _last_between(scopes.year_at, setting.sent.start, pos)
    return Decision(*scopes.years[k]) if k is not None else setting.year


def resolve_period(scopes: Scopes, setting: Setting, pos: int) -> Decision:
    k = _last_between(scopes.period_at, setting.sent.start, pos)
    if k is None:
        return setting.period
    period, phrase = scopes.periods[k]
    return Decision(period, f"'{phrase}' in the sentence")


def named_period(text: str, pos: int, rs: RuleSet) -> Decision:
    """The period named at ``pos`` (one of a list: "一季度、上半年…分别增长")."""
    m = rs.grammar.periods.match(text, pos)
    if m is None:
        return Decision("", "no period")
    return Decision(_period_of(m, rs.grammar), f"'{m.group()}' enumerated before 分别")


def resolve_region(text: str, sent: Span, anchor_start: int, region_at: tuple[int, int] | None,
                   info: ReportInfo, rs: RuleSet, memo: dict | None = None) -> Decision:
    """``memo`` (one per report) keeps what figures of one sentence share: its first clause
    with content, the region named at a position, and the region of the figures of one
    phrase (a level and the growth after it)."""
    if region_at is not None:
        hit = rs.gazetteer.match_at(text, region_at[0], info.region)
        if hit:
            return Decision(hit[0], f"reference region '{text[region_at[0]:hit[1]]}'")
        # "高于去年同期(5%)": the bracket names no place, so the figure is nobody's value here
        return Decision(None, "a comparison that names no region")
    if memo is None:
        return _subject_region(text, sent, anchor_start, info, rs, {})
    found = memo.get(("region", anchor_start))
    if found is None:
        found = memo[("region", anchor_start)] = _subject_region(text, sent, anchor_start, info, rs, memo)
    return found


def _subject_region(text: str, sent: Span, anchor_start: int, info: ReportInfo, rs: RuleSet,
                    memo: dict) -> Decision:
    gz = rs.gazetteer
    # The subject is named at the start of the figure's own clause ("其中,孟津区地区生产总值..."),
    # else at the start of the sentence ("2022年,全区地区生产总值...;固定资产投资..."); a place
    # named elsewhere is an object or a comparison ("居洛阳市第一", "西安交大...签约").
    own_start = clause_start(text, sent.start, anchor_start, ",;:")
    own = memo.get(("lead", own_start), -1)
    if own == -1:
        own = memo[("lead", own_start)] = _skip_leads(text, own_start, rs)
    first = memo.get(("first", sent.start), -1)
    if first == -1:
        first = memo[("first", sent.start)] = _first_subject_pos(text, sent.start, sent.end, rs)
    for q in (own, first):
        if q is None or q >= anchor_start:
            continue
        # a town or park subject of the figure's own clause, of a breakdown sentence ("其中,上店镇
        # 依托…,农村居民人均可支配收入达到17860元") or of an opening clause with figures of its own
        # ("产业集聚区规模以上工业增加值增长13.2%,完成固定资产投资46.7亿元"); not of a clause with
        # only its own verb ("…等产业园加紧建设,23个重点项目完成投资103亿元")
        hit = memo.get(("at", q), False)
        if hit is False:
            hit = memo[("at", q)] = gz.match_at(text, q, info.region)
        part = memo.get(("part", q), False)
        if part is False:
            part = memo[("part", q)] = rs.grammar.subunit.match(text, q, anchor_start)
        # a park that is a zone of the gazetteer (洛阳经济技术开发区) is a region; one named after a
        # county inside it (嵩县先进制造业开发区) is a part
        if part is not None and part.end() <= anchor_start and (not hit or hit[1] < part.end()) and (
                q == own or text.find(BREAKDOWN, sent.start, q) >= 0 or _holds_figure(text, q, anchor_start)):
            return Decision(PART_OF_REGION, f"subject '{part.group()}' is a part of a region")
        if hit and hit[1] <= anchor_start:
            return Decision(hit[0], f"subject '{text[q:hit[1]]}'")
    return Decision(info.region, "the report's region")


def _holds_figure(text: str, lo: int, hi: int) -> bool:
    """Whether the clause starting at ``lo`` (and ending before ``hi``) holds a figure."""
    m = _OPENING_END.search(text, lo, hi)
    return m is not None and _DIGIT.search(text, lo, m.start()) is not None


def _skip_leads(text: str, pos: int, rs: RuleSet) -> int:
    """Skip opening phrases such as "2020年," "初步核算," "全年" before a subject."""
    while True:
        m = rs.grammar.lead.match(text, pos)
        if not m or m.end() == pos:
            return pos
        pos = m.end()


def _first_subject_pos(text: str, lo: int, hi: int, rs: RuleSet) -> int | None:
    """Where the sentence's first clause with content (not only leads) starts."""
    pos = lo
    while pos < hi:
        q = _skip_leads(text, pos, rs)
        if q < hi and text[q] not in ",;:":
            return q
        pos = q + 1
    return None


def resolve_kind(text: str, sent: Span, pos: int, year: int, info: ReportInfo, family_words,  # noqa: ANN001
                 rs: RuleSet, memo: dict | None = None, described: int | None = None) -> Decision:
    """``memo`` (one per report) keeps what figures of one sentence share: its opening clause
    and what the words before a colon or in the opening clause say. ``described``: the year the
    report holding the sentence describes (the file's own by default)."""
    described = info.year if described is None else described
    if year > described:
        return Decision("target", f"{year} is after the report's year {described}")
    memo = {} if memo is None else memo
    head = memo.get(("head", sent.start))
    if head is None:
        head = memo[("head", sent.start)] = _opening_clause(text, sent)
    head_end, head_has_figure = head
    # the figure's clause, the head of a list it belongs to, and the sentence's opening clause
    # ("力争全年地区生产总值增长7%以上,一般公共预算收入增长6%")
    found = _kind_words(text, clause_start(text, sent.start, pos, ",;"), pos, family_words, rs)
    if found is None:
        colon = text.rfind(":", sent.start, pos)
        if colon >= 0:
            found = _shared_kind_words(text, sent.start, colon, family_words, rs, memo)
    # An opening clause that itself sets a figure leads a list of targets; one without
    # ("确保疫情防控和经济发展两不误,全市GDP增长5.2%") is only a manner of speaking.
    if found is None and head_end < pos and head_has_figure:
        found = _shared_kind_words(text, sent.start, head_end, family_words, rs, memo)
    return found if found is not None else Decision("actual", "no target wording")


def _opening_clause(text: str, sent: Span) -> tuple[int, bool]:
    """Where the sentence's opening clause ends (its first , or ;) and whether it holds a digit."""
    m = _OPENING_END.search(text, sent.start, sent.end)
    end = m.start() if m is not None else sent.end
    return end, _DIGIT.search(text, sent.start, end) is not None


def _kind_words(text: str, lo: int, hi: int, family_words, rs: RuleSet) -> Decision | None:  # noqa: ANN001
    """What the words in [lo, hi) say: achievement against a plan, a target, or nothing."""
    g = rs.grammar
    if g.actual_words.search(text, lo, hi):
        return Decision("actual", "achievement against a plan")
    m = g.target_words.search(text, lo, hi) or (family_words.search(text, lo, hi) if family_words else None)
    if m:
        return Decision("target", f"'{m.group()}' before the figure")
    return None


def _shared_kind_words(text: str, lo: int, hi: int, family_words, rs: RuleSet,  # noqa: ANN001
                       memo: dict) -> Decision | None:
    """``_kind_words`` for a span several figures of a sentence look at."""
    key = ("kind", lo, hi, family_words)
    if key in memo:
        return memo[key]
    found = memo[key] = _kind_words(text, lo, hi, family_words, rs)
    return found


def paragraph_of(pos: int, starts: list[int]) -> int:
    return max(0, bisect.bisect_right(starts, pos) - 1)
