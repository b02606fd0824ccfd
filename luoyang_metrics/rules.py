"""Load, validate and compile the rule files (rules/indicators/*.yaml and friends).

Rule files are data: YAML read with the safe loader, checked against one JSON Schema
(rules/schema.json), then checked for meaning (ids declared, regexes compile, units
convert). Every problem becomes one line naming the file, the rule id and the field,
and the whole load fails before anything is extracted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick_rs
import jsonschema
import regex
import yaml

from .errors import RuleError
from .numbers import UnitTable, load_units, unit_scale
from .prefilter import Scanner, first_strings, is_local, prefiltered, scanner
from .regions import Gazetteer

SPECIAL_FILES = frozenset({"grammar.yaml", "units.yaml", "regions.yaml"})
MEMO_LIMIT = 200_000


def shipped_rules_dir() -> Path:
    """The rules shipped with the package (installed wheel) or the repository (editable)."""
    here = Path(__file__).resolve().parent
    for cand in (here / "rules", here.parent / "rules"):
        if (cand / "grammar.yaml").is_file():
            return cand
    raise RuleError(f"shipped rules not found next to {here}")


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    name: str
    unit: str
    dimension: str
    family: str
    file: str


@dataclass(frozen=True)
class Example:
    text: str
    rows: tuple[dict[str, Any], ...]
    year: int | None = None
    region: str | None = None
    style: str | None = None
    xfail: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    file: str
    anchor: regex.Pattern[str] | None
    after: regex.Pattern[str] | None
    unit_word: regex.Pattern[str] | None
    level: str | None
    growth: str | None
    rate: str | None
    total: str | None
    each: tuple[str, ...]
    requires: regex.Pattern[str] | None
    forbids: regex.Pattern[str] | None
    target_words: regex.Pattern[str] | None
    examples: tuple[Example, ...]
    counter: tuple[str, ...]
    anchor_source: str = ""
    starts: frozenset[str] | None = None  # how the anchor's matches can start, when known (prefilter)


@dataclass(frozen=True)
class AnchorIndex:
    """Every rule phrase, found by how it can start (see ``find_anchors``).

    ``starts`` finds, in one Aho-Corasick pass, the positions where some phrase can start
    (its first two characters); only the phrases that can start there are then tried, each
    leftmost-longest. Built only when every phrase's starts are known.
    """

    starts: Any                                   # ahocorasick_rs.AhoCorasick over the start strings
    groups_of_start: tuple[tuple[int, ...], ...]  # per start string: the groups that can begin with it
    patterns: tuple[regex.Pattern[str], ...]      # per group: its phrase, compiled POSIX (longest match)
    rules: tuple[tuple[Rule, ...], ...]           # per group: the rules sharing that phrase


@dataclass(frozen=True)
class Grammar:
    max_gap: int
    level_gap: regex.Pattern[str]
    growth_gap: regex.Pattern[str]
    carry_gap: regex.Pattern[str]
    not_growth: regex.Pattern[str]
    multi_year: regex.Pattern[str]
    multi_year_local: bool  # its matches do not depend on the text around them (prefilter.is_local)
    level_carry: regex.Pattern[str]
    growth_after: regex.Pattern[str]
    total_carry: regex.Pattern[str]
    new_carry: regex.Pattern[str]
    from_gap: regex.Pattern[str]      # "由2018年的" before the first figure of a change
    to_gap: regex.Pattern[str]        # "增加到" between its two figures
    list_gap: regex.Pattern[str]
    list_separator: regex.Pattern[str]
    respectively: regex.Pattern[str]
    unnamed_items: regex.Pattern[str]
    each_place: regex.Pattern[str]
    place_count: regex.Pattern[str]
    number_list_gap: regex.Pattern[str]
    reference_before: regex.Pattern[str]
    reference_after: regex.Pattern[str]
    reference_next: regex.Pattern[str]
    year_earlier: regex.Pattern[str]
    reference_words: regex.Pattern[str]   # reference_before or reference_bracket_before
    target_words: regex.Pattern[str]
    actual_words: regex.Pattern[str]
    year: regex.Pattern[str]
    heading_year: regex.Pattern[str]
    year_base: regex.Pattern[str]
    relative_years: dict[str, int]
    relative_year_re: regex.Pattern[str]
    named_years: dict[str, int]                   # events that stand for a year (第七次全国人口普查: 2020)
    named_year_re: re.Pattern[str] | None
    named_year_hint: str                          # a character all of them hold: a text without it has none
    periods: regex.Pattern[str]
    period_scanner: Scanner                       # finds ``periods`` faster than finditer
    period_names: dict[str, str]
    lead: regex.Pattern[str]
    subunit: regex.Pattern[str]           # a town or park as a subject: not the region's figure
    report: dict[str, regex.Pattern[str]]


@dataclass(frozen=True)
class RuleSet:
    """Everything extraction needs, loaded once and passed explicitly."""

    indicators: dict[str, Indicator]
    rules: dict[str, Rule]
    grammar: Grammar
    units: UnitTable
    gazetteer: Gazetteer
    anchor_re: regex.Pattern[str] | None
    group_rules: dict[str, tuple[Rule, ...]]
    anchor_index: AnchorIndex | None
    after_rules: tuple[Rule, ...]
    # A sentence without a rule phrase yields a row only through ``after_rules``, and then
    # holds one of these words (see ``_number_words``); None: any sentence may.
    number_words: frozenset[str] | None
    version: str
    notices: tuple[str, ...] = field(default=())
    timeout: float = 1.0
    # What the grammar says of a short piece of text (the words between a phrase and its
    # figure, a unit): the same few hundred pieces come back in every report. See ``recall``.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def recall(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered under ``key`` (the memo is emptied when it grows large,
        so memory stays bounded on any archive)."""
        try:
            return self.memo[key]
        except KeyError:
            pass
        value = compute()
        if len(self.memo) >= MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = value
        return value


# --------------------------------------------------------------------------- loading


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        # Most YAML slips in rule files are regexes: backslashes in double quotes, or ':' / '#' unquoted.
        raise RuleError(f"{path}:{where}: not valid YAML: {getattr(e, 'problem', e)}; fix the syntax there "
                        "(put regexes in single quotes: anchor: '生产总值|GDP')") from None
    except UnicodeDecodeError:
        raise RuleError(f"{path}: not UTF-8 text; save the rule file as UTF-8") from None
    except OSError as e:
        raise RuleError(f"{path}: cannot read: {e.strerror or e}") from None


def _compile(pattern: str, where: str, fld: str, problems: list[str]) -> regex.Pattern[str] | None:
    try:
        return regex.compile(pattern, regex.V0)
    except regex.error as e:
        problems.append(f"{where}: field '{fld}': regex does not compile ({e}); fix the pattern "
                        "(a literal bracket is written \\( \\) \\[ \\])")
        return None


def _schema(base: Path) -> dict[str, Any]:
    path = base / "schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _schema_problems(doc: Any, path: Path, validator: jsonschema.Draft202012Validator) -> list[str]:
    """One line per schema violation: file, rule id (or indicator), the field, and what to write."""
    import difflib

    # What to write for a field that is missing or malformed (keyed by the field's name).
    hints = {
        "family": "family: a short name for the file's indicators, e.g. tourism",
        "rules": "rules: a list of rules, each with id, anchor, level/growth/rate and examples",
        "id": "ids are lower-case letters, digits and '_' (rule ids may also use '.'), starting with a letter",
        "examples": "examples: at least one {text: a sentence from a report, rows: [{indicator: ID, value: N}]}",
        "text": "text: a sentence copied from a report",
        "rows": "rows: the rows the sentence must give, e.g. [{indicator: gdp, value: 412.6}] ([] for none)",
        "indicator": "indicator: an id declared under 'indicators'",
        "value": "value: the number alone, in the indicator's unit (12, not 12亿元)",
        "name": "name: the Chinese label, e.g. 旅游总收入",
        "unit": "unit: a unit from rules/units.yaml, e.g. 亿元, %, 万人, 家",
        "each": "each: two or more rule ids, in the order the 分别 list gives them",
        "indicators": "indicators: a list of {id, name, unit}, or leave the key out",
    }

    def where_of(loc: list[Any]) -> tuple[str, list[Any]]:
        if len(loc) >= 2 and loc[0] in ("rules", "indicators") and isinstance(loc[1], int):
            items = doc.get(loc[0]) or []
            item = items[loc[1]] if loc[1] < len(items) else None
            label = "rule" if loc[0] == "rules" else "indicator"
            ident = item.get("id") if isinstance(item, dict) else None
            return (f"{path}: {label} '{ident}'" if ident else f"{path}: {label} #{loc[1] + 1}"), loc[2:]
        return str(path), loc

    def field_of(loc: list[Any]) -> str:
        # ["examples", 0, "rows", 1, "value"] -> "examples[1].rows[2].value" (1-based, as a reader counts)
        out = ""
        for x in loc:
            out += f"[{x + 1}]" if isinstance(x, int) else (f".{x}" if out else str(x))
        return out

    out = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        where, loc = where_of(list(err.absolute_path))
        fld = field_of(loc)
        inside = f" in {fld}" if fld else ""
        last = next((x for x in reversed(loc) if isinstance(x, str)), "")
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                close = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.75)
                instead = f"did you mean '{close[0]}'? " if close else ""
                out.append(f"{where}: unknown field '{extra}'{inside}; {instead}allowed fields: {', '.join(allowed)}")
        elif err.validator == "required":
            missing = next(iter(set(err.validator_value) - set(err.instance)), "")
            hint = hints.get(missing, f"add '{missing}'")
            out.append(f"{where}: missing field '{missing}'{inside}; add {hint}")
        elif err.validator == "minItems" and not err.instance:
            out.append(f"{where}: field '{fld}' is empty; write {hints.get(last, 'at least one item')}")
        elif last in hints and err.validator in ("type", "pattern", "minLength", "minItems"):
            out.append(f"{where}: field '{fld}': {err.message}; write {hints[last]}")
        else:
            out.append(f"{where}: field '{fld or '(top level)'}': {err.message}")
    return out


def _rule_files(dirs: Sequence[Path]) -> list[tuple[int, Path]]:
    files: list[tuple[int, Path]] = []
    for layer, d in enumerate(dirs):
        if not d.is_dir():
            raise RuleError(f"{d}: rule folder does not exist")
        for p in sorted(d.rglob("*.yaml")):
            if p.name not in SPECIAL_FILES:
                files.append((layer, p))
    return files


def load_rules(extra_dirs: Sequence[Path] = (), base_dir: Path | None = None, timeout: float = 1.0) -> RuleSet:
    """Load the shipped rules plus user layers (later layers replace rules by id)."""
    base = base_dir or shipped_rules_dir()
    problems: list[str] = []
    notices: list[str] = []
    grammar = _load_grammar(base / "grammar.yaml", problems)
    units = load_units(base / "units.yaml")
    gazetteer = Gazetteer.load(base / "regions.yaml")
    validator = jsonschema.Draft202012Validator(_schema(base))

    dirs = [base / "indicators", *[Path(d) for d in extra_dirs]]
    docs: list[tuple[int, Path, dict[str, Any]]] = []
    digest = hashlib.sha256()
    for special in sorted(SPECIAL_FILES):
        digest.update((base / special).read_bytes())
    for layer, path in _rule_files(dirs):
        digest.update(str(path.name).encode() + path.read_bytes())
        doc = _read_yaml(path)
        if not isinstance(doc, dict):
            problems.append(f"{path}: expected a mapping with 'family' and 'rules' at the top level")
            continue
        found = _schema_problems(doc, path, validator)
        if found:
            problems.extend(found)
            continue
        docs.append((layer, path, doc))

    indicators = _collect_indicators(docs, units, problems)
    raw_rules: dict[str, tuple[int, Path, dict[str, Any], dict[str, Any]]] = {}
    for layer, path, doc in docs:
        for r in doc["rules"]:
            rid = r["id"]
            if rid in raw_rules:
                old_layer, old_path, _, _ = raw_rules[rid]
                if old_layer == layer:
                    problems.append(f"{path}: rule '{rid}': duplicate rule id (also in {old_path}); rename one")
                    continue
                notices.append(f"rule '{rid}' from {path} replaces the one in {old_path}")
            raw_rules[rid] = (layer, path, doc, r)

    rules: dict[str, Rule] = {}
    for rid, (_, path, doc, r) in raw_rules.items():
        rule = _build_rule(r, path, doc, indicators, problems)
        if rule is not None:
            rules[rid] = rule
    for rule in rules.values():
        for ref in rule.each:
            if ref not in rules:
                problems.append(f"{rule.file}: rule '{rule.id}': field 'each': no rule '{ref}'; list existing rule ids")
    if problems:
        raise RuleError("\n".join(problems))

    anchor_re, group_rules = _combine_anchors(rules)
    after_rules = tuple(r for r in rules.values() if r.after is not None or r.unit_word is not None)
    return RuleSet(
        indicators=indicators,
        rules=rules,
        grammar=grammar,
        units=units,
        gazetteer=gazetteer,
        anchor_re=anchor_re,
        group_rules=group_rules,
        anchor_index=_anchor_index(group_rules),
        after_rules=after_rules,
        number_words=_number_words(after_rules, units),
        version=digest.hexdigest()[:16],
        notices=tuple(notices),
        timeout=timeout,
    )


def _collect_indicators(docs: list[tuple[int, Path, dict[str, Any]]], units: UnitTable,
                        problems: list[str]) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for _, path, doc in docs:
        for ind in doc.get("indicators", []):
            try:
                dim, _ = unit_scale(ind["unit"], units)
            except (KeyError, ValueError):
                problems.append(f"{path}: indicator '{ind['id']}': field 'unit': unit '{ind['unit']}' has no "
                                "conversion in rules/units.yaml; write a unit declared there, alone or after 万/亿 "
                                "(亿元, 万人, 家, %)")
                continue
            new = Indicator(ind["id"], ind["name"], ind["unit"], dim, doc["family"], str(path))
            old = out.get(ind["id"])
            if old and (old.name, old.unit) != (new.name, new.unit):
                problems.append(f"{path}: indicator '{ind['id']}': declared differently in {old.file} "
                                f"({old.name}, {old.unit}); keep one declaration or give this one another id")
            out[ind["id"]] = new
    return out


def _build_rule(r: dict[str, Any], path: Path, doc: dict[str, Any], indicators: dict[str, Indicator],
                problems: list[str]) -> Rule | None:
    import difflib

    where = f"{path}: rule '{r['id']}'"
    before = len(problems)
    # Declared in this file but rejected (bad unit): that problem is reported once, by _collect_indicators.
    declared_here = {ind.get("id") for ind in doc.get("indicators", [])}
    rejected: list[str] = []
    reported: set[str] = set()

    def undeclared(ind_id: str, fld: str) -> None:
        if ind_id in declared_here:
            rejected.append(ind_id)
            return
        if ind_id in reported:  # once per id: the fix is one declaration
            return
        reported.add(ind_id)
        close = difflib.get_close_matches(ind_id, list(indicators), n=1, cutoff=0.8)
        instead = f"did you mean '{close[0]}'? or " if close else ""
        problems.append(f"{where}: field '{fld}': indicator '{ind_id}' is not declared; {instead}"
                        "declare it under 'indicators' as {id: " + ind_id + ", name: 中文名称, unit: 亿元}")

    if not any(k in r for k in ("anchor", "after", "unit_word")):
        problems.append(f"{where}: needs 'anchor' (a regex of the phrase before the number), "
                        "'after' (the words after it) or 'unit_word' (its unit names it); add one")
    if not any(k in r for k in ("level", "growth", "rate", "each")):
        problems.append(f"{where}: needs at least one of 'level', 'growth', 'rate' (indicator ids) "
                        "or 'each' (rule ids); add the indicator the figure gives")
    for fld in ("level", "growth", "rate", "total"):
        if fld in r and r[fld] not in indicators:
            undeclared(r[fld], fld)
    for fld in ("rate", "growth"):
        if fld in r and r[fld] in indicators and indicators[r[fld]].dimension != "percent":
            problems.append(f"{where}: field '{fld}': indicator '{r[fld]}' has unit {indicators[r[fld]].unit}, "
                            f"but a {fld} is in %; declare it with unit: \"%\" or put it under 'level'")
    comp = {k: _compile(r[k], where, k, problems) if k in r else None
            for k in ("anchor", "after", "unit_word", "requires", "forbids")}
    family_targets = _compile(doc["target_words"], f"{path}", "target_words", problems) \
        if doc.get("target_words") else None
    examples = []
    for i, ex in enumerate(r["examples"]):
        for j, row in enumerate(ex["rows"]):
            fld = f"examples[{i + 1}].rows[{j + 1}]"
            ind = indicators.get(row["indicator"])
            if ind is None:
                undeclared(row["indicator"], f"{fld}.indicator")
            elif "unit" in row and row["unit"] != ind.unit:
                # Rows come out in the indicator's unit, so any other unit can never match.
                problems.append(f"{where}: field '{fld}.unit': '{row['unit']}' is not the unit of indicator "
                                f"'{ind.id}' ({ind.unit}); write the value in {ind.unit} and leave 'unit' out")
        examples.append(Example(ex["text"], tuple(ex["rows"]), ex.get("year"), ex.get("region"),
                                ex.get("style"), ex.get("xfail")))
    if len(problems) > before or rejected:
        return None
    return Rule(
        id=r["id"], family=doc["family"], file=str(path),
        anchor=comp["anchor"], after=comp["after"], unit_word=comp["unit_word"],
        level=r.get("level"), growth=r.get("growth"), rate=r.get("rate"), total=r.get("total"),
        each=tuple(r.get("each", ())), requires=comp["requires"], forbids=comp["forbids"],
        target_words=family_targets, examples=tuple(examples), counter=tuple(r.get("counter", ())),
        anchor_source=r.get("anchor", ""),
        starts=first_strings(r["anchor"]) if "anchor" in r else None,
    )


def _combine_anchors(rules: dict[str, Rule]) -> tuple[regex.Pattern[str] | None, dict[str, tuple[Rule, ...]]]:
    """One alternation of every anchor, leftmost-longest, so a report is scanned once.

    Rules with the same anchor text share a group; the matcher then tries each rule
    whose own anchor matches the found span (so overlapping variants still get a turn).
    """
    by_text: dict[str, list[Rule]] = {}
    for rule in rules.values():
        if rule.anchor_source:
            by_text.setdefault(rule.anchor_source, []).append(rule)
    if not by_text:
        return None, {}
    groups: dict[str, tuple[Rule, ...]] = {}
    alts = []
    for i, (src, rs) in enumerate(by_text.items()):
        name = f"a{i}"
        groups[name] = tuple(rs)
        alts.append(f"(?P<{name}>{src})")
    return regex.compile(prefiltered("|".join(alts)), regex.POSIX | regex.V0), groups


def _number_words(after_rules: tuple[Rule, ...], units: UnitTable) -> frozenset[str] | None:
    """What a sentence must hold for a rule without a phrase to claim a figure in it: the units
    its ``unit_word`` accepts, and the prefix words and phrases standing for those units. None
    when such a rule accepts any unit (an ``after`` phrase alone)."""
    words: set[str] = set()
    for rule in after_rules:
        if rule.unit_word is None:
            return None
        fits = {u for u in units.units if rule.unit_word.fullmatch(u)}
        words |= fits
        words |= {w for w, u in units.prefix_units.items() if u in fits}
        words |= {w for w, p in units.phrases.items() if p.unit in fits}
    return frozenset(words)


def _anchor_index(group_rules: dict[str, tuple[Rule, ...]]) -> AnchorIndex | None:
    """The index over the groups of ``_combine_anchors``, in the same order (which breaks ties
    between equally long phrases as the combined pattern does); None when some phrase's
    starts are unknown (it may start anywhere: only the combined scan finds it)."""
    by_start: dict[str, list[int]] = {}
    patterns: list[regex.Pattern[str]] = []
    rules: list[tuple[Rule, ...]] = []
    for gi, group in enumerate(group_rules.values()):
        first = group[0]
        # Three characters when they are few enough: 社会 and 经济 are everywhere in prose,
        # 社会消 and 经济总 are not.
        starts = first_strings(first.anchor_source, 3) or first.starts
        if not starts:
            return None
        for start in starts:
            by_start.setdefault(start, []).append(gi)
        patterns.append(regex.compile(first.anchor_source, regex.POSIX | regex.V0))
        rules.append(group)
    if not patterns:
        return None
    keys = list(by_start)
    return AnchorIndex(ahocorasick_rs.AhoCorasick(keys), tuple(tuple(by_start[k]) for k in keys),
                       tuple(patterns), tuple(rules))


# --------------------------------------------------------------------------- grammar


def _words(spec: str) -> str:
    return "".join(spec.split())


def _load_grammar(path: Path, problems: list[str]) -> Grammar:
    g = _read_yaml(path)
    if not isinstance(g, dict):
        raise RuleError(f"{path}: expected a mapping")
    where = str(path)
    try:
        gap_words = _words(g["gap_words"])
        leads = _words(g["growth_leads"])
        growth_word = g["growth_word"]
        pats = {
            "level_gap": f"(?:{gap_words})*",
            "growth_gap": f"(?:{gap_words}|{leads})*?{growth_word}",
            "carry_gap": f"(?:{leads}|{gap_words})*?{growth_word}",
            "not_growth": g["not_growth"],
            "multi_year": g["multi_year"],
            "level_carry": g["level_carry"],
            "growth_after": g["growth_after"],
            "total_carry": g["total_carry"],
            "new_carry": g["new_carry"],
            "from_gap": g["from_gap"],
            "to_gap": g["to_gap"],
            "list_gap": g["list_gap"],
            "list_separator": g["list_separator"],
            "respectively": g["respectively"],
            "unnamed_items": g["unnamed_items"],
            "each_place": g["each_place"],
            "place_count": g["place_count"],
            "number_list_gap": g["number_list_gap"],
            "reference_before": g["reference_before"],
            "reference_after": g["reference_after"],
            "reference_next": g["reference_next"],
            "year_earlier": g["year_earlier"],
            "reference_words": f"(?:{g['reference_before']}|{g['reference_bracket_before']})",
            "target_words": _words(g["target_words"]),
            "actual_words": g["actual_words"],
            "year": g["year"],
            "heading_year": g["heading_year"],
            "year_base": g["year_base"],
            "lead": _words(g["lead"]),
            "subunit": _words(g["subunit"]),
        }
        compiled = {k: _compile(v, where, k, problems) for k, v in pats.items()}
        rel = {str(k): int(v) for k, v in g["relative_years"].items()}
        period_alts = []
        period_names: dict[str, str] = {}
        for i, p in enumerate(g["periods"]):
            period_alts.append(f"(?P<p{i}>{p['pattern'].replace('(?P<m>', f'(?P<m{i}>')})")
            period_names[f"p{i}"] = str(p["period"]).replace("{m}", f"{{m{i}}}")
        periods = _compile(prefiltered("|".join(period_alts)), where, "periods", problems)
        period_scanner = scanner(periods, "|".join(period_alts)) if periods is not None else None
        report = {str(k): _compile(v, where, f"report.{k}", problems) for k, v in g["report"].items()}
        max_gap = int(g["max_gap"])
    except (KeyError, TypeError, ValueError) as e:
        raise RuleError(f"{path}: missing or malformed entry {e}; see the shipped grammar.yaml") from None
    if problems:
        raise RuleError("\n".join(problems))
    rel_re = regex.compile("|".join(sorted(map(regex.escape, rel), key=len, reverse=True)))
    try:
        named = {str(k): int(v) for k, v in (g.get("named_years") or {}).items()}
    except (AttributeError, TypeError, ValueError):
        raise RuleError(f"{path}: named_years must map a phrase to a year (第七次全国人口普查: 2020)") from None
    # plain words: the standard engine finds them quickly in a whole report
    named_re = re.compile("|".join(sorted(map(re.escape, named), key=len, reverse=True))) if named else None
    shared = set.intersection(*(set(k) for k in named)) if named else set()
    return Grammar(
        max_gap=max_gap,
        multi_year_local=is_local(g["multi_year"]),
        relative_years=rel,
        relative_year_re=rel_re,
        named_years=named,
        named_year_re=named_re,
        named_year_hint=min(shared) if shared else "",
        periods=periods,  # type: ignore[arg-type]
        period_scanner=period_scanner,  # type: ignore[arg-type]
        period_names=period_names,
        report=report,  # type: ignore[arg-type]
        **compiled,  # type: ignore[arg-type]
    )
