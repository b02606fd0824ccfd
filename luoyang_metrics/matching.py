"""Apply the rules: link numbers to the indicator phrases that name them.

A report is scanned twice in all: once for every rule's indicator phrase at the same
time (leftmost-longest, as one combined alternation would find them), then for numbers
(numbers.py) in the sentences a rule can claim from. Each number is then linked, inside
its sentence, to the nearest phrase before it when the words between them are the
connective words of rules/grammar.yaml; growth rates that follow a level
("412.6亿元,比上年增长3.8%") are carried over to the same rule; enumerations with 分别 and
distributive 各 share numbers among several phrases; a clause opening with another place,
period or year repeats the sentence's indicator; 由…增加到… gives the level reached.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import partial
from typing import NamedTuple

import regex

from .model import NumberMention
from .normalize import Span, clause_start
from .rules import AnchorIndex, Grammar, Rule, RuleSet


class Anchor(NamedTuple):
    start: int
    end: int
    rules: tuple[Rule, ...]


class Claim(NamedTuple):
    """A number claimed by a rule, before year/region/kind are resolved."""

    number: NumberMention
    rule: Rule              # the rule credited in the output (``rule`` column)
    indicator: str
    measure: str            # level | growth | rate
    negative: bool
    anchor_start: int       # where the indicator phrase starts (subject search ends here)
    via: str                # direct | carry | list | each | share | reference | after | parallel | change | points
    group: int = -1         # claims of one enumeration share a group
    item: Rule | None = None  # the rule whose indicators apply, when it differs from ``rule``
    region_at: tuple[int, int] | None = None  # a reference region named in the text
    raw_end: int = -1       # end of raw when the rule's ``after`` phrase extends it
    year: int = 0           # the year the text names for it where the sentence's year does not apply
    slot: int = -1          # its place in an enumeration of ``slots`` items, some of them no indicator
    slots: int = 0
    period_at: int = -1     # where a period enumerated for it is named ("一季度、上半年…分别增长")
    years_back: int = 0     # of the year before the sentence's ("比上年同期(6.5%)")


def find_anchors(text: str, rs: RuleSet, problems: list[str] | None = None,
                 spans: Sequence[Span] | None = None) -> list[Anchor]:
    """Every indicator phrase in ``text`` (or in ``spans`` of it), found by one scan of the
    combined pattern.

    Only sentences that hold a number can link a phrase to one, so the caller passes those
    and the prose between them is not scanned. A pattern that backtracks catastrophically
    must not hang a run: when the combined scan exceeds the time limit, each rule's phrase
    is scanned on its own, the rules that still time out are reported in ``problems`` and
    left out, and the rest work.
    """
    if rs.anchor_re is None:
        return []
    windows: Sequence[tuple[int, int]] = spans if spans is not None else [(0, len(text))]
    try:
        if rs.anchor_index is not None:
            return _indexed_anchors(text, windows, rs.anchor_index, rs.timeout)
        return [Anchor(m.start(), m.end(), rs.group_rules[m.lastgroup])
                for lo, hi in windows
                for m in rs.anchor_re.finditer(text, lo, hi, timeout=rs.timeout) if m.lastgroup]
    except TimeoutError:
        found: list[Anchor] = []
        for lo, hi in windows:
            found.extend(_anchors_rule_by_rule(text, lo, hi, rs, problems if problems is not None else []))
        return found


def _indexed_anchors(text: str, windows: list[tuple[int, int]], index: AnchorIndex,
                     timeout: float) -> list[Anchor]:
    """What the combined scan finds, found faster: at each position where some phrase can start
    (one Aho-Corasick pass), only those phrases are tried; the longest wins, the first group on
    a tie, and the scan of a window goes on after it."""
    groups_at: dict[int, tuple[int, ...]] = {}
    for key, start, _ in index.starts.find_matches_as_indexes(text, overlapping=True):
        groups = index.groups_of_start[key]
        prev = groups_at.get(start)
        # a one- and a two-character start at the same place: try the groups of both, in order
        groups_at[start] = groups if prev is None else tuple(sorted({*prev, *groups}))
    win_starts = [lo for lo, _ in windows]
    out: list[Anchor] = []
    patterns, rules = index.patterns, index.rules
    free = 0  # a phrase found ends here; the scan of its window goes on after it
    for pos in sorted(groups_at):
        if pos < free:
            continue
        w = bisect_right(win_starts, pos) - 1
        if w < 0 or pos >= windows[w][1]:
            continue  # not in a window (between sentences, or in one left out)
        hi = windows[w][1]
        end, best = -1, -1
        for g in groups_at[pos]:
            m = patterns[g].match(text, pos, hi, timeout=timeout)
            if m is not None and m.end() > end:
                end, best = m.end(), g
        if best >= 0:
            out.append(Anchor(pos, end, rules[best]))
            free = end
    return out


def _anchors_rule_by_rule(text: str, lo: int, hi: int, rs: RuleSet, problems: list[str]) -> list[Anchor]:
    found: dict[tuple[int, int], list[Rule]] = {}
    for rules in rs.group_rules.values():
        pattern = rules[0].anchor
        if pattern is None:
            continue
        try:
            spans = [(m.start(), m.end()) for m in pattern.finditer(text, lo, hi, timeout=rs.timeout)]
        except TimeoutError:
            if any(rules[0].id in p for p in problems):
                continue
            problems.append(f"rule {', '.join(r.id for r in rules)} ({rules[0].file}): anchor pattern exceeded "
                            f"the {rs.timeout:g} s time limit and was skipped; rewrite it without nested repeats")
            continue
        for span in spans:
            found.setdefault(span, []).extend(rules)
    # Keep leftmost-longest, non-overlapping spans, as the combined scan would.
    out: list[Anchor] = []
    for (a, b), rules in sorted(found.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        if out and a < out[-1].end:
            continue
        out.append(Anchor(a, b, tuple(rules)))
    return out


def match_sentences(text: str, sentences: Sequence[Span], numbers: Sequence[NumberMention],
                    anchors: Sequence[Anchor], rs: RuleSet) -> list[Claim]:
    """Claims for every sentence; numbers and anchors are sorted by start."""
    claims: list[Claim] = []
    ni = ai = 0
    group_counter = [0]
    opened: dict[int, bool] = {}  # paragraph start -> it opens with a span of years
    for s in sentences:
        while ni < len(numbers) and numbers[ni].start < s.start:
            ni += 1
        while ai < len(anchors) and anchors[ai].start < s.start:
            ai += 1
        nj = ni
        while nj < len(numbers) and numbers[nj].end <= s.end:
            nj += 1
        aj = ai
        while aj < len(anchors) and anchors[aj].end <= s.end:
            aj += 1
        if nj > ni:
            # what is 累计 in a paragraph about several years adds them up ("五年来,人民生活持续改善。
            # …累计新增城镇就业30.2万人")
            multi_para = text.find("累计", s.start, s.end) >= 0 and _opens_with_years(text, s.start, rs.grammar, opened)
            claims.extend(_match_sentence(text, s, numbers[ni:nj], anchors[ai:aj], rs, group_counter, multi_para))
        ni, ai = nj, aj
    return claims


def _opens_with_years(text: str, pos: int, g: Grammar, opened: dict[int, bool]) -> bool:
    """Whether the paragraph holding ``pos`` opens with a span of years ("五年来,")."""
    p = text.rfind("\n", 0, pos) + 1
    found = opened.get(p)
    if found is None:
        b = _CLAUSE_OR_SENTENCE_END.search(text, p)
        found = opened[p] = g.multi_year.search(text, p, b.start() if b is not None else len(text)) is not None
    return found


def _match_sentence(text: str, s: Span, nums: Sequence[NumberMention], ancs: Sequence[Anchor],
                    rs: RuleSet, group_counter: list[int], multi_para: bool = False) -> list[Claim]:
    out: list[Claim] = []
    consumed: set[int] = set()
    g = rs.grammar
    # A multi-year span ("三年来", "2021-2023年") in the opening clause or the figure's own
    # clause. When the pattern's matches do not depend on what surrounds them, a sentence
    # without one anywhere has none in any clause: one search settles the common case.
    multi = not g.multi_year_local or g.multi_year.search(text, s.start, s.end) is not None
    multi_head = multi and g.multi_year.search(text, s.start, _first_clause_end(text, s)) is not None
    for i, n in enumerate(nums):
        if i in consumed:
            continue
        if multi_head or (multi or multi_para) and _over_years(text, s, n, g, multi, multi_para):
            # a figure over several years is no year's value, but the level one reached is
            # ("五年来,地区生产总值由3782亿元增加到5480亿元")
            out.extend(_from_to(text, s, i, nums, ancs, rs))
            continue
        new = (_after(text, n, rs)
               or _reference(text, s, n, out, rs)
               or _direct(text, s, i, nums, ancs, rs, consumed, group_counter)
               or _from_to(text, s, i, nums, ancs, rs)
               or _after_points(text, s, i, nums, ancs, rs)
               or _carry(text, i, nums, out, rs, consumed)
               or _bracketed_region(text, s, n, out, rs)
               or _parallel(text, s, n, out, rs))
        out.extend(new)
    return out


# ----------------------------------------------------------------------------- helpers


def _over_years(text: str, s: Span, n: NumberMention, g: Grammar, multi: bool, multi_para: bool) -> bool:
    """Whether the figure's own clause names a span of years, or, in a paragraph about several
    years, adds them up ("五年来,人民生活持续改善。…累计新增城镇就业30.2万人")."""
    own = clause_start(text, s.start, n.start)
    if multi and g.multi_year.search(text, own, n.start) is not None:
        return True
    # 累计 after a span of years named earlier in the sentence ("近五年来,全区…累计完成固定资产投资612亿元")
    # or opening the paragraph
    return text.find("累计", own, n.start) >= 0 and (
        multi_para or multi and g.multi_year.search(text, s.start, own) is not None)


_CLAUSE_BREAK = regex.compile("[,;:]")
_CLAUSE_OR_SENTENCE_END = regex.compile("[,;:。!?]")


def _first_clause_end(text: str, s: Span) -> int:
    m = _CLAUSE_BREAK.search(text, s.start, s.end)
    return m.start() if m is not None else s.end


def _scope_ok(rule: Rule, text: str, scope_start: int, end: int, timeout: float = 1.0) -> bool:
    """The rule's requires/forbids words in the clause; a pattern that times out fails closed."""
    scope = text[scope_start:end]
    try:
        if rule.requires is not None and not rule.requires.search(scope, timeout=timeout):
            return False
        return not (rule.forbids is not None and rule.forbids.search(scope, timeout=timeout))
    except TimeoutError:
        return False


def _indicator_for(rule: Rule, measure: str, n: NumberMention, rs: RuleSet) -> tuple[str, str] | None:
    """(indicator, measure) this rule gives the number, or None when the unit does not fit."""
    if measure == "growth":
        return (rule.growth, "growth") if rule.growth and n.dimension == "percent" else None
    if rule.level and rs.indicators[rule.level].dimension == n.dimension:
        return rule.level, "level"
    if rule.rate and n.dimension == "percent":
        return rule.rate, "rate"
    return None


def _gap_kind(gap: str, n: NumberMention, rs: RuleSet) -> tuple[str, bool] | None:
    """Classify the words between a phrase and a number: ('growth', negative) or ('level', False)."""
    if len(gap) > rs.grammar.max_gap:
        return None
    percent = n.dimension == "percent"
    return rs.recall(("gap", gap, percent), lambda: _classify_gap(gap, percent, rs))


def _classify_gap(gap: str, percent: bool, rs: RuleSet) -> tuple[str, bool] | None:
    g = rs.grammar
    if g.not_growth.search(gap):
        return None
    if percent:
        m = g.growth_gap.fullmatch(gap, timeout=rs.timeout)
        if m is not None:
            return "growth", m.group("down") is not None
    if g.level_gap.fullmatch(gap, timeout=rs.timeout) is not None:
        return "level", False
    return None


def _candidates(a: Anchor, text: str, rs: RuleSet) -> Iterator[Rule]:
    """The anchor's own rules, then (lazily: callers stop at the first that fits) any other rule
    whose phrase also fits the span, so overlapping variants of a phrase still get a turn.
    Rules whose phrase cannot start the way the span does are not tried."""
    yield from a.rules
    for rule in rs.rules.values():
        if rule in a.rules or rule.anchor is None:
            continue
        if rule.starts is not None and not any(text.startswith(p, a.start, a.end) for p in rule.starts):
            continue
        if rule.anchor.fullmatch(text, a.start, a.end, timeout=rs.timeout):
            yield rule


def _anchor_chain(text: str, ancs: Sequence[Anchor], k: int, rs: RuleSet) -> list[int]:
    """Indexes of the anchors enumerated together with ancs[k] ("A、B和C")."""
    chain = [k]
    while chain[0] > 0:
        prev = ancs[chain[0] - 1]
        if rs.grammar.list_gap.fullmatch(text, prev.end, ancs[chain[0]].start) is None:
            break
        chain.insert(0, chain[0] - 1)
    return chain


def _number_chain(text: str, nums: Sequence[NumberMention], i: int, rs: RuleSet) -> list[int]:
    chain = [i]
    while chain[-1] + 1 < len(nums):
        nxt = nums[chain[-1] + 1]
        if rs.grammar.number_list_gap.fullmatch(text, nums[chain[-1]].end, nxt.qual_start) is None:
            break
        chain.append(chain[-1] + 1)
    return chain


# ----------------------------------------------------------------------------- strategies


def _after(text: str, n: NumberMention, rs: RuleSet) -> list[Claim]:
    """Numbers that name their indicator themselves: by their unit word or what follows."""
    for rule in rs.after_rules:
        end = n.end
        if rule.unit_word is not None:
            fits = rs.memo.get(("unit", rule.id, n.unit))
            if fits is None:
                fits = rs.recall(("unit", rule.id, n.unit), partial(_unit_fits, rule, n.unit, rs))
            if not fits:
                continue
        if rule.after is not None:
            m = rule.after.match(text, n.end, timeout=rs.timeout)
            if m is None:
                continue
            end = m.end()
        got = _indicator_for(rule, "level", n, rs)
        if got and _scope_ok(rule, text, clause_start(text, 0, n.start), n.start, rs.timeout):
            return [Claim(n, rule, got[0], got[1], False, n.start, "after", raw_end=end)]
    return []


def _unit_fits(rule: Rule, unit: str, rs: RuleSet) -> bool:
    return rule.unit_word is not None and rule.unit_word.fullmatch(unit, timeout=rs.timeout) is not None


def _reference(text: str, s: Span, n: NumberMention, done: list[Claim], rs: RuleSet) -> list[Claim]:
    """"增速高于全市平均水平(4.9%": the bracketed figure is the named region's own value."""
    if not done or n.qual_start == s.start or text[n.qual_start - 1] != "(":
        return []
    g = rs.grammar
    lo = max(s.start, n.qual_start - 20)
    tail = g.reference_after.search(text, lo, n.qual_start)
    if tail is None:
        return []
    # the figure compared is the last one of the same kind ("收入89,417元,比上年增长3.1%,比全市平均
    # 水平(72,960元)高": the income, not its growth)
    prev = next((c for c in reversed(done) if c.number.dimension == n.dimension), done[-1])
    after_reference = prev.via == "reference" and prev.number.end < tail.start()
    last = None
    for m in g.reference_words.finditer(text, max(lo, prev.number.end) if after_reference else lo, tail.start()):
        last = m
    if last is not None:
        region_start = last.end()
    elif after_reference and (nxt := g.reference_next.match(text, prev.number.end, tail.start())) is not None:
        region_start = nxt.end()  # "高于全国(4.8%)0.2个百分点、全省(4.7%)"
    else:
        return []
    if prev.number.dimension != n.dimension or prev.measure == "level" and n.dimension == "percent":
        return []
    # the same place at another time: "比上年同期(6.5%)加快1.8个百分点" (a year earlier),
    # "增速较一季度(4.1%)加快1.2个百分点" (an earlier period)
    earlier = g.year_earlier.fullmatch(text, region_start, tail.start()) is not None
    period = None if earlier else g.periods.match(text, region_start, tail.start())
    if earlier or (period is not None and period.end() == tail.start()):
        own = next((c for c in reversed(done) if c.number.dimension == n.dimension and c.via != "reference"), prev)
        return [Claim(n, own.rule, own.indicator, own.measure, False, own.anchor_start, "reference",
                      item=own.item, region_at=own.region_at, period_at=own.period_at if earlier else region_start,
                      years_back=int(earlier))]
    return [Claim(n, prev.rule, prev.indicator, prev.measure, False, prev.anchor_start, "reference",
                  item=prev.item, region_at=(region_start, tail.start()))]


def _bracketed_region(text: str, s: Span, n: NumberMention, done: list[Claim], rs: RuleSet) -> list[Claim]:
    """"同比增长7.8%(全市6.9%)", "下降4.2%(全市增长3.1%)": a place and its own value in brackets
    after a figure."""
    if not done:
        return []
    p = text.rfind("(", max(s.start, n.qual_start - 12), n.qual_start)
    if p < 0 or not text.startswith(")", n.end):
        return []
    end = rs.gazetteer.mention_end(text, p + 1)
    if end is None or end > n.qual_start:
        return []
    between = text[end:n.qual_start]
    fit = _fits(rs, "growth_gap", between) if between else "yes"
    if not fit:
        return []
    prev = next((c for c in reversed(done) if c.number.dimension == n.dimension), None)
    if prev is None or prev.number.end > p or (between and prev.measure != "growth"):
        return []
    return [Claim(n, prev.rule, prev.indicator, prev.measure, fit == "down", prev.anchor_start, "reference",
                  item=prev.item, region_at=(p + 1, end))]


def _direct(text: str, s: Span, i: int, nums: Sequence[NumberMention], ancs: Sequence[Anchor],
            rs: RuleSet, consumed: set[int], group_counter: list[int]) -> list[Claim]:
    n = nums[i]
    k = -1
    for j in range(len(ancs) - 1, -1, -1):
        if ancs[j].end <= n.qual_start:
            k = j
            break
    if k < 0:
        return []
    a = ancs[k]
    if i > 0 and nums[i - 1].end > a.end:
        return []  # another number stands between the phrase and this one
    gap = text[a.end:n.qual_start]
    kind = _gap_kind(gap, n, rs)
    unnamed = 0
    if kind is None:
        # "一般公共预算收入、税收收入分别完成9.02亿元、7.06亿元": listed with phrases no rule knows
        items = rs.grammar.unnamed_items.match(gap)
        if items is None or (kind := _gap_kind(gap[items.end():], n, rs)) is None:
            return []
        if gap.startswith("各", items.end()):  # "规模以上工业增加值、制造业投资各增长8%以上"
            return _shared(text, s, n, ancs, k, kind[0], kind[1], rs)
        unnamed = len(rs.grammar.list_separator.findall(items.group()))
        return _enumeration(text, s, i, nums, ancs, k, kind[0], kind[1], rs, consumed, group_counter, unnamed)
    measure, negative = kind
    if measure == "level" and n.dimension == "percent":
        after = rs.grammar.growth_after.match(text, n.end)
        if after is not None:
            measure, negative = "growth", after.group("down") is not None
    if "分别" in gap or (text.find("分别", max(s.start, a.start - 4), a.start) >= 0
                        and _respectively_before(text, s, a, rs)):
        return _enumeration(text, s, i, nums, ancs, k, measure, negative, rs, consumed, group_counter)
    if "各" in gap:
        return _shared(text, s, n, ancs, k, measure, negative, rs)
    if gap and rs.grammar.each_place.search(gap) is not None:
        # "五常市、双城区粮食产量均超过30亿斤": the figure for each place listed before the phrase
        found = _place_list(text, s, a.start, rs)
        if len(found) >= 2:
            claims = _direct_claim(text, s, n, a, measure, negative, rs)
            return [c._replace(region_at=place) for place in found for c in claims]
        if k > 0 and rs.grammar.list_gap.fullmatch(text, ancs[k - 1].end, a.start) is not None:
            # "规模以上工业增加值和固定资产投资均增长8%": like 各
            return _shared(text, s, n, ancs, k, measure, negative, rs)
    return _direct_claim(text, s, n, a, measure, negative, rs)


def _direct_claim(text: str, s: Span, n: NumberMention, a: Anchor, measure: str, negative: bool,
                  rs: RuleSet) -> list[Claim]:
    scope_start = clause_start(text, s.start, a.start)
    for rule in _candidates(a, text, rs):
        got = _indicator_for(rule, measure, n, rs)
        if got and _scope_ok(rule, text, scope_start, n.qual_start, rs.timeout):
            return [Claim(n, rule, got[0], got[1], negative, a.start, "direct")]
    return []


def _respectively_before(text: str, s: Span, a: Anchor, rs: RuleSet) -> bool:
    """"宜都市、枝江市分别完成生产总值315.62亿元、258.37亿元": 分别 right before the phrase."""
    m = rs.grammar.respectively.search(text, max(s.start, a.start - 4), a.start)
    return m is not None and m.end() == a.start


def _shared(text: str, s: Span, n: NumberMention, ancs: Sequence[Anchor], k: int, measure: str,
            negative: bool, rs: RuleSet) -> list[Claim]:
    """"新增高新技术企业、创新平台各60家": every enumerated phrase gets the number."""
    chain = _anchor_chain(text, ancs, k, rs)
    scope_start = clause_start(text, s.start, ancs[chain[0]].start)
    out = []
    for j in chain:
        a = ancs[j]
        for rule in _candidates(a, text, rs):
            got = _indicator_for(rule, measure, n, rs)
            if got and _scope_ok(rule, text, scope_start, n.qual_start, rs.timeout):
                out.append(Claim(n, rule, got[0], got[1], negative, a.start, "share"))
                break
    return out


def _enumeration(text: str, s: Span, i: int, nums: Sequence[NumberMention], ancs: Sequence[Anchor],
                 k: int, measure: str, negative: bool, rs: RuleSet, consumed: set[int],
                 group_counter: list[int], unnamed: int = 0) -> list[Claim]:
    """"A、B和C分别增长x、y和z" or a shared-head list rule ("第一、二、三产业增加值分别…");
    ``unnamed`` phrases no rule knows follow the last one (their figures give no row)."""
    a = ancs[k]
    scope_start = clause_start(text, s.start, a.start)
    # (credited rule, the rules that may give the item's indicator in order, anchor start)
    items: list[tuple[Rule | None, list[Rule], int]] = []
    listed = next((r for r in _candidates(a, text, rs) if r.each), None)
    if listed is not None:
        items = [(listed, [rs.rules[rid]], a.start) for rid in listed.each]
    else:
        chain = _anchor_chain(text, ancs, k, rs)
        scope_start = clause_start(text, s.start, ancs[chain[0]].start)
        for j in chain:
            # each phrase's rule is chosen by its figure below: "高新技术企业和科技型中小企业分别
            # 达到1200家和3500家" are stocks, not the year's new ones, as 新增 is absent
            rules = list(_candidates(ancs[j], text, rs))
            if not rules:
                return []
            items.append((None, rules, ancs[j].start))
    if unnamed:
        if listed is not None:
            return []
        items += [(None, [], -1)] * unnamed
    num_chain = _number_chain(text, nums, i, rs)
    places: list[tuple[int, int] | None] = [None] * len(num_chain)
    periods = [-1] * len(num_chain)
    if listed is None and len(items) == 1 and len(num_chain) >= 2:
        # "汝阳县、宜阳县地区生产总值分别增长6.1%和5.8%": one phrase, the places enumerated
        found = _place_list(text, s, a.start, rs)
        if len(found) == len(num_chain):
            places = list(found)
            items = items * len(found)
        elif len(found := _counted_places(text, s, a.start, len(num_chain), rs)) == len(num_chain):
            # "宜阳县、洛宁县、汝阳县地区生产总值分别为…;三县一般公共预算收入分别为…"
            places = list(found)
            items = items * len(found)
        elif len(starts := _period_list(text, s, a.start, rs)) == len(num_chain):
            # "一季度、上半年、前三季度全县生产总值分别增长3.5%、4.2%和4.7%"
            periods = starts
            items = items * len(starts)
    if len(items) != len(num_chain) or len(items) < 2:
        return []
    group_counter[0] += 1
    out = []
    for slot, ((credited, rules, start), ni, place, when) in enumerate(
            zip(items, num_chain, places, periods, strict=True)):
        n = nums[ni]
        if not rules:
            consumed.add(ni)  # an unnamed item's figure: nobody else's either
            continue
        for item in rules:
            got = _indicator_for(item, measure, n, rs)
            if got is not None and _scope_ok(item, text, scope_start, n.qual_start, rs.timeout):
                break
        else:
            continue
        out.append(Claim(n, credited or item, got[0], got[1], negative, start, "list", group_counter[0],
                         item=item if credited is not None and item is not credited else None, region_at=place,
                         slot=slot, slots=len(items), period_at=when))
        consumed.add(ni)
    return out




def _place_list(text: str, s: Span, end: int, rs: RuleSet) -> list[tuple[int, int]]:
    """The places enumerated from the start of the clause right up to ``end`` ("汝阳县、宜阳县"),
    after any opening words (全年, 2023年 ...); empty unless the clause is only that."""
    pos = clause_start(text, s.start, end, ",;:")
    while (m := rs.grammar.lead.match(text, pos, end)) is not None and m.end() > pos:
        pos = m.end()
    tail = rs.grammar.respectively.search(text, pos, end)
    if tail is not None and tail.end() == end:
        end = tail.start()
    places, stop = _places_from(text, pos, end, rs)
    if stop == end and places:
        return places
    count = rs.grammar.place_count.match(text, stop, end)
    # "湖北、湖南、安徽、陕西四省"
    return places if len(places) >= 2 and count is not None and count.end() == end else []


def _counted_places(text: str, s: Span, end: int, count: int, rs: RuleSet) -> list[tuple[int, int]]:
    """The places a count word before the phrase ("三县", "两区") stands for: the last list of as
    many places earlier in the sentence."""
    pos = clause_start(text, s.start, end, ",;:")
    while (m := rs.grammar.lead.match(text, pos, end)) is not None and m.end() > pos:
        pos = m.end()
    counted = rs.grammar.place_count.match(text, pos, end)
    if counted is None or counted.end() != end:
        return []
    found: list[tuple[int, int]] = []
    for m in _CLAUSE_START.finditer(text, s.start, pos):
        places, _ = _places_from(text, m.end(), pos, rs)
        if len(places) == count:
            found = places
    return found


_CLAUSE_START = regex.compile("(?:^|(?<=[,;:]))", regex.MULTILINE)


def _period_list(text: str, s: Span, end: int, rs: RuleSet) -> list[int]:
    """Where each period enumerated from the start of the clause up to ``end`` is named
    ("一季度、上半年、前三季度全县"), a place word allowed after them; empty unless the clause is only that."""
    pos = clause_start(text, s.start, end, ",;:")
    starts: list[int] = []
    while pos < end and (m := rs.grammar.periods.match(text, pos, end)) is not None:
        starts.append(pos)
        pos = m.end()
        sep = rs.grammar.list_separator.match(text, pos, end)
        if sep is None:
            break
        pos = sep.end()
    if pos < end:
        place = rs.gazetteer.mention_end(text, pos)
        if place is None or place != end:
            return []
    return starts if len(starts) >= 2 else []


def _carry(text: str, i: int, nums: Sequence[NumberMention], done: list[Claim], rs: RuleSet,
           consumed: set[int]) -> list[Claim]:
    """A figure right after another of the same indicator: its growth ("55亿元、同比增长4.4%")
    or its level ("同比增长5.2%,总量达到1200亿元")."""
    n = nums[i]
    if not done:
        return []
    last = done[-1]
    if last.number.end > n.qual_start or last.via == "reference":
        return []
    start = last.number.end
    if last.slots and i > 0 and nums[i - 1].end > start and i - 1 in consumed:
        start = nums[i - 1].end  # the enumeration ended with an unnamed item's figure
    gap = text[start:n.qual_start]
    if len(gap) > rs.grammar.max_gap or _fits(rs, "not_growth", gap, whole=False):
        return []
    if n.dimension != "percent" or last.measure == "growth":
        return _carry_level(text, n, gap, last, rs)
    fit = _fits(rs, "carry_gap", gap)
    if not fit:
        return []
    negative = fit == "down"
    if "分别" in gap:
        chain = _number_chain(text, nums, i, rs)
        if last.group >= 0:
            members = [c for c in done if c.group == last.group]
        else:
            # the levels just before, in the same part of the sentence (not across a ;)
            lo = max(text.rfind(";", 0, n.qual_start), text.rfind("。", 0, n.qual_start))
            members = [c for c in done if c.measure != "growth" and c.number.start > lo][-len(chain):]
        slots = members[0].slots if members and members[0].slots > len(members) else len(members)
        distinct = {((c.item or c.rule).id, c.region_at, c.period_at) for c in members}
        if len(chain) != slots or len(distinct) != len(members):
            return []
        for ni in chain:
            consumed.add(ni)  # the growth of an unnamed item too
        targets = [chain[c.slot] if slots > len(members) else ni for c, ni in zip(members, chain, strict=False)]
        out = []
        for c, ni in zip(members, targets, strict=True):
            item = c.item or c.rule
            if item.growth:
                out.append(Claim(nums[ni], c.rule, item.growth, "growth", negative, c.anchor_start, "carry",
                                 c.group, item=c.item, region_at=c.region_at, period_at=c.period_at))
                consumed.add(ni)
        return out
    item = last.item or last.rule
    if not item.growth:
        return []
    return [Claim(n, last.rule, item.growth, "growth", negative, last.anchor_start, "carry",
                  item=last.item, region_at=last.region_at)]


def _from_to(text: str, s: Span, i: int, nums: Sequence[NumberMention], ancs: Sequence[Anchor],
             rs: RuleSet) -> list[Claim]:
    """"地区生产总值由3782亿元增加到5480亿元": the figure after 增加到 is the level reached. The
    one after 由 is the value of an earlier year: kept when the text names that year
    ("由2015年的1605.8亿元"), left out when it does not."""
    if i == 0 or nums[i - 1].dimension != nums[i].dimension:
        return []
    reached = _past_previous(text, s, i, nums, ancs, rs, "from_gap", "to_gap", "change")
    if not reached:
        return []
    c, previous = reached[0], nums[i - 1]
    named = rs.grammar.year.search(text, c.anchor_start, previous.qual_start)
    if named is None or not text.startswith(("由", "从"), named.start() - 1):
        return reached
    earlier = c._replace(number=previous, via="from", year=int(named.group("y")))
    return [earlier, *reached]


def _after_points(text: str, s: Span, i: int, nums: Sequence[NumberMention], ancs: Sequence[Anchor],
                  rs: RuleSet) -> list[Claim]:
    """"研发投入强度较上年提高0.2个百分点,达到2.3%": a rate given after its change in percentage
    points (which is no value of it) is the rate itself."""
    if i == 0 or nums[i - 1].dimension != "pp" or nums[i].dimension != "percent":
        return []
    return _past_previous(text, s, i, nums, ancs, rs, "growth_gap", "level_carry", "points")


def _past_previous(text: str, s: Span, i: int, nums: Sequence[NumberMention], ancs: Sequence[Anchor],
                   rs: RuleSet, before: str, between: str, via: str) -> list[Claim]:
    """nums[i] as the level or rate of the phrase before nums[i - 1], when the words from the
    phrase to nums[i - 1] fit grammar pattern ``before`` and those from it to nums[i] fit
    ``between`` (nums[i - 1] itself gets nothing)."""
    n, previous = nums[i], nums[i - 1]
    if not _fits(rs, between, text[previous.end:n.qual_start]):
        return []
    k = next((j for j in range(len(ancs) - 1, -1, -1) if ancs[j].end <= previous.qual_start), -1)
    if k < 0 or (i > 1 and nums[i - 2].end > ancs[k].end):
        return []
    a = ancs[k]
    if not _fits(rs, before, text[a.end:previous.qual_start]):
        return []
    scope_start = clause_start(text, s.start, a.start)
    for rule in _candidates(a, text, rs):
        got = _indicator_for(rule, "level", n, rs)
        if got and _scope_ok(rule, text, scope_start, n.qual_start, rs.timeout):
            return [Claim(n, rule, got[0], got[1], False, a.start, via)]
    return []


def _parallel(text: str, s: Span, n: NumberMention, done: list[Claim], rs: RuleSet) -> list[Claim]:
    """A clause that opens with another place, period or year and gives a figure in the unit of
    an earlier level of the sentence, its indicator unsaid, gives that indicator's value there
    and then: "偃师区地区生产总值完成385亿元,增长7%;孟津区完成290亿元", "一季度,全市地区生产总值
    1230亿元;上半年2580亿元", "全市生产总值2022年为5675亿元,2023年达到5900亿元"."""
    if not done:
        return []
    start = clause_start(text, s.start, n.qual_start, ",;")
    found = _parallel_at(text, start, n, done, rs) if start > s.start else []
    if not found and text.find("、", start, n.qual_start) >= 0:
        # "一季度增长4.7%、上半年增长5.6%"
        start = clause_start(text, start, n.qual_start, "、")
        found = _parallel_at(text, start, n, done, rs)
    return found


def _parallel_at(text: str, start: int, n: NumberMention, done: list[Claim], rs: RuleSet) -> list[Claim]:
    """``_parallel`` for the clause starting at ``start``."""
    g = rs.grammar
    places: list[tuple[int, int] | None] = [None]
    hit = rs.gazetteer.match_at(text, start, None)
    if hit is not None:
        listed, opener_end = _places_from(text, start, n.qual_start, rs)
        places = list(listed)
    else:
        m = g.periods.match(text, start) or g.year.match(text, start)
        if m is None:
            return []
        opener_end = m.end()
    gap = text[opener_end:n.qual_start]
    if len(places) > 1:
        # "偃师区、孟津区均突破500亿元": each place listed has the figure
        both = g.each_place.match(gap)
        if both is None:
            return _respectively_parallel(text, places, opener_end, n, done, rs)
        gap = gap[both.end():]
    if not _fits(rs, "level_gap", gap):
        # a growth after the place: "…分别增长21.8%、9.6%,郑州经济技术开发区增长5.2%,中牟县下降2.9%"
        fit = _fits(rs, "growth_gap", gap) if n.dimension == "percent" else ""
        last = next((c for c in reversed(done) if c.measure == "growth"), None) if fit else None
        if last is None or last.via == "reference":
            return []
        return [Claim(n, last.rule, last.indicator, "growth", fit == "down", last.anchor_start, "parallel",
                      item=last.item, region_at=place) for place in places]
    last = next((c for c in reversed(done) if c.measure == "level"), None)
    if last is None or last.number.dimension != n.dimension or last.via == "reference":
        return []
    # the phrase is the earlier figure's: its subject stays the region unless a place opens the clause
    return [Claim(n, last.rule, last.indicator, "level", False, last.anchor_start, "parallel", item=last.item,
                  region_at=place) for place in places]


def _respectively_parallel(text: str, places: list[tuple[int, int] | None], opener_end: int, n: NumberMention,
                           done: list[Claim], rs: RuleSet) -> list[Claim]:
    """"…;洛阳市、南阳市分别为688.2亿元和561.4亿元": the figures after 分别 go to the places listed,
    in order, as the sentence's indicator."""
    g = rs.grammar
    resp = g.respectively.match(text, opener_end, n.qual_start)
    if resp is None:
        return []
    listed = [c for c in done if c.via == "parallel" and c.region_at in places]
    if listed:
        prev = listed[-1]
        if len(listed) >= len(places) or not _fits(rs, "number_list_gap", text[prev.number.end:n.qual_start]):
            return []
        return [prev._replace(number=n, region_at=places[len(listed)])]
    gap = text[resp.end():n.qual_start]
    measure = "level" if _fits(rs, "level_gap", gap) else "growth" if n.dimension == "percent" else ""
    fit = _fits(rs, "growth_gap", gap) if measure == "growth" else "yes"
    last = next((c for c in reversed(done) if c.measure == measure), None) if measure and fit else None
    if last is None or last.via == "reference" or last.number.dimension != n.dimension:
        return []
    return [Claim(n, last.rule, last.indicator, measure, fit == "down", last.anchor_start, "parallel",
                  item=last.item, region_at=places[0])]


def _places_from(text: str, start: int, end: int, rs: RuleSet) -> tuple[list[tuple[int, int]], int]:
    """The places listed from ``start`` (none if no place is named there) and where the list ends."""
    places: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        stop = rs.gazetteer.mention_end(text, pos)
        if stop is None or stop > end:
            break
        places.append((pos, stop))
        sep = rs.grammar.list_separator.match(text, stop, end)
        if sep is None or rs.gazetteer.mention_end(text, sep.end()) is None:
            return places, stop
        pos = sep.end()
    return places, places[-1][1] if places else start


def _carry_level(text: str, n: NumberMention, gap: str, last: Claim, rs: RuleSet) -> list[Claim]:
    item = last.item or last.rule
    if last.measure == "level" and n.dimension == last.number.dimension and _fits(rs, "new_carry", gap):
        new = rs.recall(("new of", last.indicator), lambda: _rule_of_new(last.indicator, rs))
        if new is not None:
            return [Claim(n, last.rule, new.level, "level", False, last.anchor_start, "carry", item=new,
                          region_at=last.region_at)]
    if (item.total and rs.indicators[item.total].dimension == n.dimension
            and _fits(rs, "total_carry", gap)):
        return [Claim(n, last.rule, item.total, "level", False, last.anchor_start, "carry", item=last.item,
                      region_at=last.region_at)]
    if not item.level or rs.indicators[item.level].dimension != n.dimension:
        return []
    if not _fits(rs, "level_carry", gap):
        return []
    return [Claim(n, last.rule, item.level, "level", False, last.anchor_start, "carry", item=last.item,
                  region_at=last.region_at)]


def _rule_of_new(stock: str, rs: RuleSet) -> Rule | None:
    """The rule of the yearly increase of ``stock`` (the one whose ``total`` it is)."""
    return next((r for r in rs.rules.values() if r.total == stock and r.level), None)


def _fits(rs: RuleSet, name: str, gap: str, whole: bool = True) -> str:
    """Whether grammar pattern ``name`` matches all of ``gap`` (or, ``whole=False``, some of
    it): "down" when it matched with its ``down`` group (a fall), "yes", or "" for no."""
    def compute() -> str:
        pattern = getattr(rs.grammar, name)
        m = pattern.fullmatch(gap, timeout=rs.timeout) if whole else pattern.search(gap, timeout=rs.timeout)
        if m is None:
            return ""
        return "down" if "down" in pattern.groupindex and m.group("down") is not None else "yes"
    return rs.recall((name, gap, whole), compute)
