"""Find numbers with units (250.9亿元, 1.2万余亩, 四成, 两位数) in normalized report text.

The unit, magnitude and qualifier tables live in ``rules/units.yaml``; ``load_units``
validates them and compiles the one scanning pattern that ``find_numbers`` runs over a
text: on the stdlib engine, which scans twice as fast, except for two variable-width
look-behinds only the ``regex`` engine compiles, checked per match. Everything that can be
decided by the pattern is decided there (ranges, ordinals, codes glued to letters); the
per-match Python work is a few dict look-ups.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import regex
import yaml

from .errors import RuleError
from .model import NumberMention

QUALIFIERS = frozenset({"eq", "ge", "gt", "le", "approx"})

# The Chinese numeral system itself (not a unit table): digits and place values.
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_SMALL = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10**4, "亿": 10**8}
_ZH_CHARS = "".join([*_ZH_DIGITS, *_ZH_SMALL, *_ZH_BIG])
_ZH_PLACE_CHARS = frozenset("百千万亿")   # a run of only these ("千家万户") is a word

# Short quotes hold names and codes (“97183”, “十四五”, “1天办结”), never values.
_QUOTES = (("“", "”"), ("‘", "’"), ("「", "」"))
_MAX_QUOTE = 8

_TOP_KEYS = frozenset({"units", "magnitudes", "approx_infixes", "prefix_qualifiers",
                       "suffix_qualifiers", "range_connectors", "prefix_units", "phrases"})
_UNIT_KEYS = frozenset({"dimension", "factor", "one_ok", "magnitude_ok"})


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as written: what it measures and how many base units it is (斤 -> mass, 0.5 kg)."""

    dimension: str
    factor: float


@dataclass(frozen=True, slots=True)
class Phrase:
    """A fixed word that stands for a number, such as 两位数 (>= 10 %)."""

    value: float
    unit: str
    qualifier: str


@dataclass(frozen=True)
class UnitTable:
    """The loaded ``units.yaml``; build it with ``load_units``, never by hand."""

    units: dict[str, Unit]
    magnitudes: dict[str, float]
    prefix_qualifiers: dict[str, str]
    suffix_qualifiers: dict[str, str]
    approx_infixes: frozenset[str]
    prefix_units: dict[str, str]
    phrases: dict[str, Phrase]
    one_ok: frozenset[str]          # units after which a bare 一 is a number
    no_magnitude: frozenset[str]    # units that must follow a bare numeral
    pattern: regex.Pattern[str] = field(repr=False)
    # The same pattern for the stdlib engine (twice as fast here) without the two
    # variable-width look-behinds it cannot compile; ``find_numbers`` checks those on
    # each match and asks ``pattern`` itself at the rare positions where one applies.
    fast: re.Pattern[str] = field(repr=False, default=None)  # type: ignore[assignment]
    range_before: regex.Pattern[str] = field(repr=False, default=None)  # type: ignore[assignment]
    minus_before: regex.Pattern[str] = field(repr=False, default=None)  # type: ignore[assignment]
    range_chars: frozenset[str] = field(repr=False, default=frozenset())  # last characters of connectors
    # Derived by load_units for find_numbers: unit -> dimension, and magnitude ->
    # k for the magnitudes that are exactly 10**k.
    dimensions: dict[str, str] = field(repr=False, default_factory=dict)
    mag_exponents: dict[str, int] = field(repr=False, default_factory=dict)
    # (unit, target) -> how ``convert`` goes from one to the other, filled as units are met
    conversions: dict[tuple[str, str], tuple[bool, float] | str] = field(repr=False, default_factory=dict)


# ---------------------------------------------------------------- loading


def _fail(path: Path, what: str) -> RuleError:
    return RuleError(f"{path.name}: {what}")


def _is_number(x: object) -> bool:
    # YAML booleans are ints in Python; "factor: yes" must not load as 1.
    return isinstance(x, int | float) and not isinstance(x, bool)


def _positive(path: Path, where: str, field: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x) or x <= 0:
        raise _fail(path, f"{where}: field '{field}' must be a number > 0, got {x!r}")
    return float(x)


def _mapping(path: Path, where: str, x: object) -> dict[Any, Any]:
    if not isinstance(x, dict) or not x:
        raise _fail(path, f"{where} must be a non-empty mapping, got {x!r}")
    for key in x:
        if not isinstance(key, str) or not key:
            raise _fail(path, f"{where}: key {key!r} must be a non-empty string")
    return x


def _strings(path: Path, where: str, x: object) -> list[str]:
    if not isinstance(x, list) or not x or not all(isinstance(s, str) and s for s in x):
        raise _fail(path, f"{where} must be a non-empty list of strings, got {x!r}")
    return x


def _flag(path: Path, where: str, spec: dict[str, Any], field: str, default: bool) -> bool:
    value = spec.get(field, default)
    if not isinstance(value, bool):
        raise _fail(path, f"{where}: field '{field}' must be true or false, got {value!r}")
    return value


def _load_units(path: Path, raw: object) -> tuple[dict[str, Unit], frozenset[str], frozenset[str]]:
    units: dict[str, Unit] = {}
    one_ok: set[str] = set()
    no_magnitude: set[str] = set()
    for name, spec in _mapping(path, "'units'", raw).items():
        where = f"unit '{name}'"
        if not isinstance(spec, dict):
            raise _fail(path, f"{where} must be a mapping with 'dimension' and 'factor', got {spec!r}")
        unknown = set(spec) - _UNIT_KEYS
        if unknown:
            raise _fail(path, f"{where}: unknown field(s) {sorted(map(str, unknown))}")
        dimension = spec.get("dimension")
        if not isinstance(dimension, str) or not dimension:
            raise _fail(path, f"{where}: field 'dimension' must be a non-empty string, got {dimension!r}")
        units[name] = Unit(dimension, _positive(path, where, "factor", spec.get("factor")))
        if _flag(path, where, spec, "one_ok", False):
            one_ok.add(name)
        if not _flag(path, where, spec, "magnitude_ok", True):
            no_magnitude.add(name)
    return units, frozenset(one_ok), frozenset(no_magnitude)


def _load_qualifiers(path: Path, section: str, raw: object, guard: str) -> tuple[dict[str, str], list[str]]:
    """Return word -> qualifier and the regex alternatives, each with its guard."""
    table: dict[str, str] = {}
    alternatives: list[tuple[str, str]] = []
    for word, spec in _mapping(path, f"'{section}'", raw).items():
        where = f"{section} '{word}'"
        chars = ""
        if isinstance(spec, dict):
            unknown = set(spec) - {"qualifier", guard}
            if unknown:
                raise _fail(path, f"{where}: unknown field(s) {sorted(map(str, unknown))}")
            chars = spec.get(guard, "")
            if not isinstance(chars, str):
                raise _fail(path, f"{where}: field '{guard}' must be a string of characters, got {chars!r}")
            spec = spec.get("qualifier")
        if spec not in QUALIFIERS:
            raise _fail(path, f"{where}: field 'qualifier' must be one of {sorted(QUALIFIERS)}, got {spec!r}")
        table[word] = spec
        alternatives.append((word, _guarded(word, chars, before=guard == "not_after")))
    # Longest first, so 不超过 is not read as 不 + 超过 and 约为 not as 约.
    alternatives.sort(key=lambda pair: len(pair[0]), reverse=True)
    return table, [alt for _, alt in alternatives]


def _guarded(word: str, chars: str, *, before: bool) -> str:
    if not chars:
        return regex.escape(word)
    cls = "[" + "".join(regex.escape(c) for c in chars) + "]"
    return f"(?<!{cls}){regex.escape(word)}" if before else f"{regex.escape(word)}(?!{cls})"


def _known_unit(path: Path, where: str, unit: object, units: dict[str, Unit]) -> str:
    if not isinstance(unit, str) or unit not in units:
        raise _fail(path, f"{where}: field 'unit' must name a unit of 'units', got {unit!r}")
    return unit


def _load_phrases(path: Path, raw: object, units: dict[str, Unit]) -> dict[str, Phrase]:
    phrases: dict[str, Phrase] = {}
    for word, spec in _mapping(path, "'phrases'", raw).items():
        where = f"phrase '{word}'"
        if not isinstance(spec, dict) or set(spec) != {"value", "unit", "qualifier"}:
            raise _fail(path, f"{where} must be a mapping with exactly 'value', 'unit', 'qualifier'")
        if not _is_number(spec["value"]):
            raise _fail(path, f"{where}: field 'value' must be a number, got {spec['value']!r}")
        if spec["qualifier"] not in QUALIFIERS:
            raise _fail(path, f"{where}: field 'qualifier' must be one of {sorted(QUALIFIERS)}")
        phrases[word] = Phrase(float(spec["value"]), _known_unit(path, where, spec["unit"], units),
                               spec["qualifier"])
    return phrases


def load_units(path: Path) -> UnitTable:
    """Read and validate ``units.yaml``; compile the scanning regex once."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(Path(path), f"cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise _fail(Path(path), f"invalid YAML: {exc}") from exc
    path = Path(path)
    if not isinstance(data, dict):
        raise _fail(path, "the file must be a mapping of sections")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(path, f"unknown section(s) {sorted(map(str, unknown))}")
    missing = _TOP_KEYS - set(data)
    if missing:
        raise _fail(path, f"missing section(s) {sorted(missing)}")

    units, one_ok, no_magnitude = _load_units(path, data["units"])
    magnitudes = {name: _positive(path, f"magnitude '{name}'", "factor", x)
                  for name, x in _mapping(path, "'magnitudes'", data["magnitudes"]).items()}
    for name in magnitudes:
        # Magnitudes stack (万亿); single characters keep the stack unambiguous.
        if len(name) != 1:
            raise _fail(path, f"magnitude '{name}' must be a single character")
    prefix_q, prefix_alts = _load_qualifiers(path, "prefix_qualifiers", data["prefix_qualifiers"],
                                             "not_after")
    suffix_q, suffix_alts = _load_qualifiers(path, "suffix_qualifiers", data["suffix_qualifiers"],
                                             "not_before")
    prefix_units = {word: _known_unit(path, f"prefix unit '{word}'", unit, units)
                    for word, unit in _mapping(path, "'prefix_units'", data["prefix_units"]).items()}
    phrases = _load_phrases(path, data["phrases"], units)
    infixes = _strings(path, "'approx_infixes'", data["approx_infixes"])
    connectors = _strings(path, "'range_connectors'", data["range_connectors"])

    parts = dict(units=list(units), magnitudes=list(magnitudes), infixes=infixes,
                 prefixes=prefix_alts, suffixes=suffix_alts, connectors=connectors,
                 prefix_units=list(prefix_units), phrases=list(phrases),
                 lead_words=[*prefix_q, *prefix_units, *phrases])
    pattern = _compile(**parts)
    fast = re.compile(_source(**parts, exact=False))
    range_before, minus_before = _context_checks(list(units), connectors)
    return UnitTable(units=units, magnitudes=magnitudes, prefix_qualifiers=prefix_q,
                     suffix_qualifiers=suffix_q, approx_infixes=frozenset(infixes),
                     prefix_units=prefix_units, phrases=phrases, one_ok=one_ok,
                     no_magnitude=no_magnitude, pattern=pattern, fast=fast,
                     range_before=range_before, minus_before=minus_before,
                     range_chars=frozenset(c[-1] for c in connectors),
                     dimensions={name: unit.dimension for name, unit in units.items()},
                     mag_exponents={ch: k for ch, x in magnitudes.items()
                                    if (k := _power_of_ten(x)) is not None})


def _alt(words: list[str]) -> str:
    # regex alternation is first-match, not longest-match: sort so the longest wins.
    return "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))


def _source(*, units: list[str], magnitudes: list[str], infixes: list[str], prefixes: list[str],
            suffixes: list[str], connectors: list[str], prefix_units: list[str],
            phrases: list[str], lead_words: list[str], exact: bool = True) -> str:
    """The scanning pattern; ``exact=False`` leaves out the two variable-width look-behinds
    (a range's second half, a minus after a unit) for engines that cannot compile them."""
    unit = f"(?:{_alt(units)})"
    conn = f"(?:{_alt(connectors)})"
    zh = f"[{_ZH_CHARS}]"
    arabic = r"\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?"
    # Second half of a range: 6%-7%, 6-7%, 3至5个, 三至五个.
    after_range = rf"(?<!{_range_head(units, connectors)})" if exact else ""
    # A minus only where it cannot be a range dash or part of a code (增长-2.6%).
    minus = rf"(?:(?<!{_minus_head(units)})[-−](?=\d))?" if exact else r"(?:[-−](?=\d))?"
    # Not inside another number, a code (P3, G20, 9+2), an ordinal (第5), nor the tail
    # group of 1,234 (but 1,2345 is two figures: a comma before 4 digits ends a clause).
    # Chinese runs also not after 几/数 (几十家 is not 10 家).
    # 前 before a figure ranks ("前十名", "前5位") unless it ends 目前/当前/提前.
    not_rank = r"(?<!(?<![目当提以此之])前)"
    arabic_num = rf"(?<![\d.A-Za-z+第])(?!(?<=\d,)\d{{3}}(?!\d)){not_rank}{after_range}{minus}(?:{arabic})"
    zh_num = rf"(?<![\d.A-Za-z+第几数{_ZH_CHARS}]){not_rank}{after_range}(?![零〇]){zh}+"
    numeral = rf"(?P<num>{arabic_num}|{zh_num})(?![A-Za-z+\d])"
    approx = f"(?:{_alt(infixes)})"
    mag = "[" + regex.escape("".join(magnitudes)) + "]"
    tail = (rf" ?(?P<approx1>{approx})?(?P<mag>{mag}*)"
            rf"(?P<approx2>{approx})?(?P<unit>{unit})")
    pnum = rf"(?P<punit>{_alt(prefix_units)})(?P<pnum>(?:{arabic})|(?![零〇]){zh}+)"
    body = (rf"(?P<prefix>{'|'.join(prefixes)})?"
            rf"(?:(?P<phrase>{_alt(phrases)})|{pnum}|{numeral}{tail})"
            rf"(?P<suffix>{'|'.join(suffixes)})?")
    # Atomic, so that a figure followed by a range dash is dropped whole instead of
    # being retried as a shorter figure ("3个百分点-" must not become "3个").
    range_next = rf"(?! ?{conn} ?[-−]?[\d{_ZH_CHARS}])"
    # The cheap look-ahead lets the engine skip positions that cannot start a figure.
    first = "".join(sorted({regex.escape(w[0]) for w in lead_words}))
    lead = rf"(?=[\d\-−{_ZH_CHARS}{first}])"
    return rf"{lead}(?>{body}){range_next}"


def _range_head(units: list[str], connectors: list[str]) -> str:
    """What stands before the second half of a range: a numeral or unit, then a connector."""
    return rf"(?:[\d{_ZH_CHARS}]|(?:{_alt(units)})) ?(?:{_alt(connectors)})"


def _minus_head(units: list[str]) -> str:
    """What makes a following dash a range dash or part of a code rather than a minus."""
    return rf"[\dA-Za-z%.)+]|(?:{_alt(units)})"


def _context_checks(units: list[str], connectors: list[str]) -> tuple[regex.Pattern[str], regex.Pattern[str]]:
    """Patterns that match (empty) at a position preceded by a range head / a minus head."""
    return (regex.compile(rf"(?<={_range_head(units, connectors)})"),
            regex.compile(rf"(?<={_minus_head(units)})"))


def _compile(**parts: Any) -> regex.Pattern[str]:
    pattern = regex.compile(_source(**parts))
    # _mention reads the groups by position (one m.groups() call, not ten look-ups).
    if tuple(sorted(pattern.groupindex, key=pattern.groupindex.__getitem__)) != _GROUPS \
            or pattern.groups != len(_GROUPS):
        raise AssertionError(f"capture groups changed: {pattern.groupindex}; update _GROUPS")
    return pattern


# ---------------------------------------------------------------- parsing


def parse_chinese_numeral(s: str) -> float:
    """Value of a Chinese numeral: 一百二十 -> 120, 三千五百万 -> 3.5e7, 一百零五 -> 105.

    Accepts the shorthand 一百二 (= 120) and bare place words (百 -> 100). Raises
    ValueError for what is not one number: 三五 (three or five), 十四五 (a plan
    name), digit-by-digit years (二〇二〇) and anything with other characters.
    """
    if not s:
        raise ValueError("empty Chinese numeral")
    total = 0           # finished 万/亿 groups
    section = 0         # the part below the current 万/亿 group
    digit: int | None = None
    zero = False        # a 零 since the last place word: 一百零五 is 105, not 150
    last_small = 10**4  # place words inside a section must decrease: 千 > 百 > 十
    last_place = 0      # for the shorthand 一百二 = 120
    for ch in s:
        if ch in _ZH_DIGITS:
            if digit is not None:
                raise ValueError(f"two digits in a row in {s!r}")
            if _ZH_DIGITS[ch] == 0:
                zero = True
            else:
                digit = _ZH_DIGITS[ch]
        elif ch in _ZH_SMALL:
            place = _ZH_SMALL[ch]
            if place >= last_small:
                raise ValueError(f"place words out of order in {s!r}")
            section += (1 if digit is None else digit) * place
            digit, zero, last_small, last_place = None, False, place, place
        elif ch in _ZH_BIG:
            big = _ZH_BIG[ch]
            n = section + (digit or 0)
            if big == 10**8:
                total = ((total + n) or 1) * big
            elif n == 0 and total:
                raise ValueError(f"empty 万 group in {s!r}")
            else:
                total += (n or 1) * big
            section, digit, zero, last_small, last_place = 0, None, False, 10**4, big
        else:
            raise ValueError(f"{ch!r} is not a Chinese numeral character in {s!r}")
    if digit is not None:
        section += digit * (last_place // 10 if last_place and not zero else 1)
    return float(total + section)


def unit_scale(unit: str, units: UnitTable) -> tuple[str, float]:
    """(dimension, factor to the base) of a unit, optionally led by magnitudes: 亿元 -> (cny, 1e8)."""
    for i in range(len(unit)):
        base = units.units.get(unit[i:])
        if base is None:
            continue
        factor = base.factor
        for ch in unit[:i]:
            if ch not in units.magnitudes:
                break
            factor *= units.magnitudes[ch]
        else:
            return base.dimension, factor
    raise ValueError(f"unknown unit {unit!r}")


def convert(value: float, unit: str, target: str, units: UnitTable) -> float:
    """Express ``value`` given in ``unit`` in ``target``: convert(4.5e9, '斤', '万吨') -> 225."""
    step = units.conversions.get((unit, target))
    if step is None:
        step = units.conversions[(unit, target)] = _conversion(unit, target, units)
    if isinstance(step, str):
        raise ValueError(step)
    up, ratio = step
    return value * ratio if up else value / ratio


def _conversion(unit: str, target: str, units: UnitTable) -> tuple[bool, float] | str:
    """How to go from ``unit`` to ``target``: (multiply?, by what), or why it cannot be done."""
    dim, factor = unit_scale(unit, units)
    target_dim, target_factor = unit_scale(target, units)
    if dim != target_dim:
        return f"cannot convert {unit!r} ({dim}) to {target!r} ({target_dim})"
    # Divide by the exact ratio of powers of ten when scaling down, so 83456 万元 gives
    # the float nearest to 8.3456 亿元 rather than one rounding step off.
    if factor >= target_factor:
        return True, factor / target_factor
    return False, target_factor / factor


# ---------------------------------------------------------------- finding
#
# find_numbers runs once per report over every figure-like match, so the per-match
# work below avoids what is slow in Python: named group look-ups on a ``regex`` match
# (each costs as much as a dict build), Decimal arithmetic and a quote search at
# every match. Output is unchanged: see the notes on ``_scaled`` and ``_quoted``.

# The capture groups of the scanning pattern, in order; ``_compile`` checks this so
# that one ``m.groups()`` call can replace ten named look-ups.
_GROUPS = ("prefix", "phrase", "punit", "pnum", "num", "approx1", "mag", "approx2", "unit", "suffix")
# m.groups(): per name of _GROUPS the text matched, or None. Which are set depends on
# the branch (phrase / prefix unit / numeral), so the checks below, not the types, say.
_Groups = tuple[Any, ...]
_OPENERS = "".join(open_q for open_q, _ in _QUOTES)
_OPENER_RE = regex.compile(f"[{regex.escape(_OPENERS)}]")
# Decimal's default precision: a product with at most this many digits is exact.
_EXACT_DIGITS = 28


def _in_short_quote(text: str, start: int, end: int) -> bool:
    for open_q, close_q in _QUOTES:
        q = text.rfind(open_q, max(0, start - _MAX_QUOTE), start)
        if q < 0 or text.find(close_q, q, start) >= 0:
            continue
        c = text.find(close_q, end, q + _MAX_QUOTE + 2)
        if c >= 0:
            return True
    return False


def _opening_quotes(text: str) -> list[int]:
    """Offsets of the opening quotes of a text, for ``_quoted``."""
    return [m.start() for m in _OPENER_RE.finditer(text)]


def _quoted(text: str, start: int, end: int, openers: list[int]) -> bool:
    """``_in_short_quote``, settled by one bisect for the many figures with no quote near.

    A short quote needs an opening quote in the ``_MAX_QUOTE`` characters before the
    figure, and quotes are rare.
    """
    i = bisect_left(openers, start - _MAX_QUOTE)
    return i < len(openers) and openers[i] < start and _in_short_quote(text, start, end)


def _power_of_ten(x: float) -> int | None:
    """k when x == 10**k exactly (magnitudes 百 千 万 亿), else None."""
    k = round(math.log10(x)) if x >= 1 else -1
    return k if k >= 0 and x == 10**k else None


def _mag_exponent(mag: str, units: UnitTable) -> int | None:
    """The power of ten of a magnitude stack (万亿 -> 12), or None if one is not 10**k."""
    total = 0
    for ch in mag:
        k = units.mag_exponents.get(ch)
        if k is None:
            return None
        total += k
    return total


def _exact_float(digits: str) -> float:
    """float() of a decimal string; ValueError when it is not one.

    ``regex`` knows a few Unicode digits newer than Python's tables (U+10D40 ...): such a
    "number" is not read as one, rather than stopping the whole report.
    """
    return float(digits)


def _scaled(num: str, mag: str, units: UnitTable) -> float:
    """float(numeral x magnitudes), exactly as the Decimal product would give it.

    float() of a decimal string is correctly rounded, and so is float() of a Decimal
    (CPython converts it through its string), so "250.9e8" gives the same float as
    Decimal("250.9") * Decimal(1e8) whenever that product is exact, i.e. when it has
    at most ``_EXACT_DIGITS`` digits. Anything else takes the Decimal path.
    """
    arabic = num[0].isdigit() or num[0] in "-−"
    if not mag:
        return _exact_float(num.replace(",", "").replace("−", "-")) if arabic else parse_chinese_numeral(num)
    digits = num.replace(",", "").replace("−", "-") if arabic else str(int(parse_chinese_numeral(num)))
    k = _mag_exponent(mag, units)
    if k is not None and len(digits) + k <= _EXACT_DIGITS:
        return _exact_float(f"{digits}e{k}")
    try:
        value = Decimal(digits)
    except InvalidOperation:  # a digit Python's tables do not know: not a number
        raise ValueError(digits) from None
    for ch in mag:
        value *= Decimal(units.magnitudes[ch])
    return float(value)


def _is_word(num: str, unit: str, mag: str, prefix: str | None, approx: bool,
             units: UnitTable) -> bool:
    """True when a numeral match is a word, not a figure (一个项目, 千家万户, 100亿成本)."""
    if not num[0].isdigit() and num[0] not in "-−":
        if num == "一" and unit not in units.one_ok:
            return True     # 一个项目, 一家企业: an article
        if set(num) <= _ZH_PLACE_CHARS and not (prefix or approx):
            return True     # 千家万户, 万人空巷, 千亿元级: words, unless 超百亿元 / 百余家
    return unit in units.no_magnitude and bool(mag or approx)


def _qualifier(groups: _Groups, units: UnitTable, base: str) -> str:
    prefix, _, _, _, _, approx1, _, approx2, _, suffix = groups
    # Nearest the numeral wins: 以上/左右 or 余/多 over a prefix such as 超过.
    if suffix:
        return units.suffix_qualifiers[suffix]
    if approx1 or approx2:
        return "approx"
    if base != "eq":
        return base
    return units.prefix_qualifiers[prefix] if prefix else "eq"


def _value(groups: _Groups, units: UnitTable) -> tuple[float, str, str] | None:
    """(value, unit, base qualifier) of a match, or None if it is not a figure."""
    _, phrase, punit, pnum, num, approx1, mag, approx2, unit, _ = groups
    if phrase:
        p = units.phrases[phrase]
        return p.value, p.unit, p.qualifier
    try:
        if punit:
            return _scaled(pnum, "", units), units.prefix_units[punit], "eq"
        if _is_word(num, unit, mag, groups[0], bool(approx1 or approx2), units):
            return None
        return _scaled(num, mag, units), unit, "eq"
    except ValueError:
        return None         # 十四五, 三五个: not one number


def _mention(text: str, m: regex.Match[str], units: UnitTable, openers: list[int]) -> NumberMention | None:
    groups = m.groups()
    qual_start, end = m.span()
    # The figure starts right after the prefix qualifier (the pattern puts nothing between).
    start = qual_start + len(groups[0]) if groups[0] else qual_start
    if _quoted(text, start, end, openers):
        return None
    found = _value(groups, units)
    if found is None:
        return None
    value, unit, base = found
    # Order: start, end, qual_start, value, unit, dimension, qualifier, raw.
    return NumberMention(start, end, qual_start, value, unit, units.dimensions[unit],
                         _qualifier(groups, units, base), text[start:end])


def find_numbers(text: str, units: UnitTable, spans: Sequence[tuple[int, int]] | None = None) -> list[NumberMention]:
    """Every number with a unit in ``text``, sorted by start and non-overlapping.

    ``spans`` (sorted, disjoint sentences) restricts the search to them: the numbers found
    are those of the whole text that lie in them (a figure never crosses a sentence end).
    """
    openers = _opening_quotes(text)
    mentions: list[NumberMention] = []
    for lo, hi in [(0, len(text))] if spans is None else spans:
        pos: int | None = lo
        while pos is not None:
            pos = _scan(text, pos, hi, units, openers, mentions)
    return mentions


_NUM = _GROUPS.index("num") + 1


def _scan(text: str, pos: int, endpos: int, units: UnitTable, openers: list[int],
          mentions: list[NumberMention]) -> int | None:
    """Append the mentions in [pos, endpos); return where to go on when the fast engine's match
    had to be redone by the exact pattern (None when the span is done)."""
    range_chars = units.range_chars
    for m in units.fast.finditer(text, pos, endpos):
        ns = m.start(_NUM)
        if ns > 0 and (text[ns - 1] in range_chars and units.range_before.match(text, ns)
                       or text[ns] in "-−" and units.minus_before.match(text, ns)):
            # A look-behind the fast pattern leaves out applies here: the exact pattern
            # says what, if anything, starts at this position.
            exact = units.pattern.match(text, m.start(), endpos)
            if exact is None:
                return m.start() + 1
            mention = _mention(text, exact, units, openers)
            if mention is not None:
                mentions.append(mention)
            return exact.end()
        mention = _mention(text, m, units, openers)
        if mention is not None:
            mentions.append(mention)
    return None
