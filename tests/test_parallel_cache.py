"""Parallel extraction and the row cache change nothing in the output, only the time it takes."""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from luoyang_metrics import report
from luoyang_metrics.cache import RowCache, cache_key, decode_entry, encode_entry
from luoyang_metrics.errors import RuleError
from luoyang_metrics.model import Row
from luoyang_metrics.pipeline import FileResult, extract_text
from luoyang_metrics.report import (
    Outcome,
    Runner,
    Task,
    WorkerSetup,
    extract_batch,
    extract_tasks,
    in_order,
    plan,
    run_extract,
)
from luoyang_metrics.rules import load_rules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds and the dev documents, three times over (27 files, more than are extracted
    in-process before a pool starts), each copy with its own content so each has its own entry."""
    root = tmp_path_factory.mktemp("reports")
    sources = sorted((REPO / "seeds").glob("*.txt")) + sorted((REPO / "tests/data/dev/docs").glob("*.txt"))
    for copy in range(3):
        target = root / f"copy{copy}"
        target.mkdir()
        for f in sources:
            # Trailing blank lines change the bytes, not the rows.
            (target / f.name).write_bytes(f.read_bytes() + b"\n" * (copy + 1))
    return root


def _extract(root: Path, out: Path, rs, **kw):
    summary = run_extract(root, [out.with_suffix(".csv"), out.with_suffix(".parquet")], rs, **kw)
    return summary, out.with_suffix(".csv").read_bytes()


def test_output_identical_for_any_workers_and_with_or_without_cache(reports, rs, tmp_path) -> None:
    cache = tmp_path / "cache"
    base, expected = _extract(reports, tmp_path / "w1", rs, workers=1)
    two, out_two = _extract(reports, tmp_path / "w2", rs, workers=2)
    cold, out_cold = _extract(reports, tmp_path / "cold", rs, workers=2, cache_dir=cache)
    warm, out_warm = _extract(reports, tmp_path / "warm", rs, workers=1, cache_dir=cache)
    warm2, out_warm2 = _extract(reports, tmp_path / "warm2", rs, workers=2, cache_dir=cache)

    assert base.files == 27 and base.rows > 150 and base.cached == 0
    assert out_two == expected and out_cold == expected and out_warm == expected and out_warm2 == expected
    assert (cold.cached, warm.cached, warm2.cached) == (0, 27, 27)
    assert warm.rows == base.rows and warm.warnings == base.warnings
    table = pq.read_table(tmp_path / "w1.parquet")
    for name in ("w2", "cold", "warm", "warm2"):
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(table)


def test_cache_hit_carries_the_current_path(reports, rs, tmp_path) -> None:
    cache = tmp_path / "cache"
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(REPO / "tests/data/dev/docs/ly_mengjin_tjgb_2024.txt", first / "a.txt")
    fresh, _ = _extract(first, tmp_path / "first_out", rs, cache_dir=cache)

    moved = tmp_path / "second"
    (moved / "sub").mkdir(parents=True)
    shutil.copy(first / "a.txt", moved / "sub" / "renamed.txt")
    hit, _ = _extract(moved, tmp_path / "second_out", rs, cache_dir=cache)
    uncached, _ = _extract(moved, tmp_path / "third_out", rs)

    assert hit.cached == 1 and fresh.cached == 0
    rows_hit = pq.read_table(tmp_path / "second_out.parquet").to_pylist()
    assert {r["source"] for r in rows_hit} == {"sub/renamed.txt"}
    assert rows_hit == pq.read_table(tmp_path / "third_out.parquet").to_pylist()
    assert len(rows_hit) == fresh.rows > 0


def test_edited_rules_miss_every_entry(reports, rs, tmp_path) -> None:
    cache = tmp_path / "cache"
    _extract(reports, tmp_path / "a", rs, cache_dir=cache)
    user_rules = tmp_path / "rules"
    user_rules.mkdir()
    # Same rules, one file edited (a comment): a new version, so nothing may come from the cache.
    edited = (REPO / "rules/indicators/gdp.yaml").read_text(encoding="utf-8") + "\n# edited\n"
    (user_rules / "gdp.yaml").write_text(edited, encoding="utf-8")
    rs2 = load_rules([user_rules])
    assert rs2.version != rs.version

    again, out = _extract(reports, tmp_path / "b", rs2, cache_dir=cache, rule_dirs=[user_rules])
    assert again.cached == 0
    assert out == (tmp_path / "a.csv").read_bytes()


def test_corrupt_entries_are_ignored_and_replaced(reports, rs, tmp_path) -> None:
    cache = tmp_path / "cache"
    _, expected = _extract(reports, tmp_path / "a", rs, cache_dir=cache)
    entries = sorted((cache / "v1").glob("*/*.json"))
    assert len(entries) == 27
    entries[0].write_bytes(entries[0].read_bytes()[:-40])                # truncated
    entries[1].write_bytes(b"\x00garbage")                              # not an entry
    data = entries[2].read_bytes()
    entries[2].write_bytes(data.replace(b'"', b"'", 1) if b'"' in data else b"")  # payload edited

    again, out = _extract(reports, tmp_path / "b", rs, cache_dir=cache)
    assert again.cached == 24 and out == expected
    third, _ = _extract(reports, tmp_path / "c", rs, cache_dir=cache)
    assert third.cached == 27


def _row(**kw) -> Row:
    base = dict(year=2023, period="Y", region="嵩县", indicator="gdp", indicator_name="地区生产总值", value=412.6,
                unit="亿元", kind="actual", qualifier="eq", source="a.txt", line=3, raw="412.6亿元",
                evidence="全年全区地区生产总值412.6亿元。", rule="gdp")
    return Row(**{**base, **kw})


def test_entries_round_trip_and_reject_wrong_shapes() -> None:
    rows = [_row(), _row(value=3.0, indicator="gdp_growth", raw="3%")]
    hit = decode_entry(encode_entry(rows, ["1 invalid byte replaced at line 2"]), "b/c.txt")
    assert hit is not None
    assert hit.rows == [_row(source="b/c.txt"), _row(value=3.0, indicator="gdp_growth", raw="3%", source="b/c.txt")]
    assert hit.warnings == ("1 invalid byte replaced at line 2",)
    # A whole value stored as an int would print "3" instead of "3.0": refused, not served.
    assert decode_entry(encode_entry([_row(value=3)], []), "x") is None  # type: ignore[arg-type]
    assert decode_entry(b"", "x") is None



def test_entry_payload_is_columns_without_source() -> None:
    data = encode_entry([_row(), _row(line=4, value=3.0, raw="=3%")], ["w"])
    head, payload = data.split(b"\n", 1)
    assert payload == (
        '{"columns":[[2023,2023],["Y","Y"],["嵩县","嵩县"],["gdp","gdp"],["地区生产总值","地区生产总值"],'
        '[412.6,3.0],["亿元","亿元"],["actual","actual"],["eq","eq"],[3,4],["412.6亿元","=3%"],'
        '["全年全区地区生产总值412.6亿元。","全年全区地区生产总值412.6亿元。"],["gdp","gdp"]],"warnings":["w"]}'
    ).encode()


def test_empty_entry_round_trips() -> None:
    data = encode_entry([], [])
    assert data.split(b"\n", 1)[1] == b'{"columns":[[],[],[],[],[],[],[],[],[],[],[],[],[]],"warnings":[]}'
    hit = decode_entry(data, "x")
    assert hit is not None and hit.rows == [] and hit.warnings == ()

def test_key_depends_on_content_rules_and_overrides() -> None:
    key = cache_key("c" * 64, "v1", None, None, code="k")
    others = [cache_key("d" * 64, "v1", None, None, code="k"), cache_key("c" * 64, "v2", None, None, code="k"),
              cache_key("c" * 64, "v1", 2023, None, code="k"), cache_key("c" * 64, "v1", None, "嵩县", code="k"),
              cache_key("c" * 64, "v1", None, None, code="k2")]
    assert len({key, *others}) == 6


def test_unwritable_cache_is_not_an_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert RowCache(blocker).put("ab" * 32, [_row()]) is False
    assert RowCache(blocker).get("ab" * 32, "a.txt") is None


def test_put_makes_folders_on_demand_and_again_when_deleted(tmp_path) -> None:
    cache = RowCache(tmp_path / "cache")
    key, other = "ab" + "0" * 62, "ab" + "1" * 62
    assert cache.put(key, [_row()], ["w"])
    assert cache.path(key).read_bytes() == encode_entry([_row()], ["w"])
    shutil.rmtree(tmp_path / "cache")                       # deleted during a run: made again
    assert cache.put(other, [_row(line=9)])
    hit = cache.get(other, "x.txt")
    assert hit is not None and hit.rows == [_row(line=9, source="x.txt")]
    assert [p.name for p in cache.path(other).parent.iterdir()] == [cache.path(other).name]  # no temp file left


def test_results_come_in_file_order_with_a_bounded_window() -> None:
    items: list[Task | Outcome] = []
    for i in range(23):
        if i % 5 == 0:
            items.append(Outcome(FileResult(f"f{i:02d}", error="unreadable")))
        else:
            items.append(Task(Path(f"f{i:02d}"), f"f{i:02d}", None, None))
    open_jobs: list[int] = []
    peak = 0

    def submit(tasks: list[Task]):
        nonlocal peak
        open_jobs.append(1)
        peak = max(peak, len(open_jobs))

        def result() -> list[FileResult]:
            open_jobs.pop()
            return [FileResult(t.source) for t in tasks]
        return result

    order = [o.result.source for o in in_order(iter(items), submit, batch_files=3, window=2)]
    assert order == [f"f{i:02d}" for i in range(23)]
    assert peak <= 2


def test_pool_gives_the_results_of_the_main_process(reports, rs) -> None:
    tasks = [t for t in plan(reports) if isinstance(t, Task)][:10]
    setup = WorkerSetup(reports, (), rs.version, rs.timeout, None)
    with Runner(setup, rs, workers=2, inline_files=0) as runner:
        jobs = [runner.submit(tasks[:5]), runner.submit(tasks[5:])]
        pooled = [res for job in jobs for res in job()]
    assert pooled == extract_tasks(tasks, reports, rs, None)


def test_worker_refuses_rules_of_another_version(reports, rs) -> None:
    with pytest.raises(RuleError, match="rules version"):
        extract_batch(WorkerSetup(reports, (), "not-" + rs.version, rs.timeout, None), [])


def test_unchanged_run_leaves_its_outputs_alone(reports, rs, tmp_path) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    first, expected = _extract(reports, out, rs, cache_dir=cache)
    stat = (out.with_suffix(".csv").stat().st_ino, out.with_suffix(".csv").stat().st_mtime_ns)

    again, data = _extract(reports, out, rs, cache_dir=cache)
    assert again.up_to_date and data == expected
    assert (again.files, again.rows, again.failed, again.warnings) == (first.files, first.rows, first.failed,
                                                                       first.warnings)
    assert (out.with_suffix(".csv").stat().st_ino, out.with_suffix(".csv").stat().st_mtime_ns) == stat

    out.with_suffix(".parquet").unlink()                        # one output gone: both written again
    rebuilt, data = _extract(reports, out, rs, cache_dir=cache)
    assert not rebuilt.up_to_date and rebuilt.cached == 27 and data == expected
    assert out.with_suffix(".parquet").is_file()

    with out.with_suffix(".csv").open("a", encoding="utf-8") as f:  # an output edited by hand
        f.write("edited\n")
    fixed, data = _extract(reports, out, rs, cache_dir=cache)
    assert not fixed.up_to_date and data == expected

    (reports / "copy0" / "extra.txt").write_text("2023年,全县地区生产总值300亿元。", encoding="utf-8")
    try:
        changed, _ = _extract(reports, out, rs, cache_dir=cache)    # a new report: a real run
        assert not changed.up_to_date and changed.files == 28 and changed.cached == 27
    finally:
        (reports / "copy0" / "extra.txt").unlink()


def test_run_restores_garbage_collection_settings(reports, rs, tmp_path) -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    _extract(reports / "copy0", tmp_path / "m", rs)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def _aged_reports(tmp_path: Path) -> Path:
    """A copy of the seeds whose files were last written a minute ago."""
    root = tmp_path / "reports"
    root.mkdir()
    past = time.time() - 60
    for f in sorted((REPO / "seeds").glob("*.txt")):
        target = root / f.name
        target.write_bytes(f.read_bytes())
        os.utime(target, (past, past))
    return root


def test_rerun_reads_only_changed_files_for_their_hash(rs, tmp_path, monkeypatch) -> None:
    root = _aged_reports(tmp_path)
    cache_dir = tmp_path / "cache"
    _, first = _extract(root, tmp_path / "a", rs, cache_dir=cache_dir)
    hashed: list[str] = []
    original = report.digest_file
    monkeypatch.setattr(report, "digest_file", lambda p: hashed.append(Path(p).name) or original(p))
    _, again = _extract(root, tmp_path / "b", rs, cache_dir=cache_dir)
    assert hashed == [] and again == first

    # Same size and mtime, other content: the ctime gives it away.
    edited = sorted(root.glob("*.txt"))[0]
    st = edited.stat()
    data = edited.read_bytes()
    edited.write_bytes(data.replace("增长".encode(), "下降".encode(), 1))
    os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert edited.stat().st_size == st.st_size
    _, changed = _extract(root, tmp_path / "c", rs, cache_dir=cache_dir)
    assert hashed == [edited.name]
    assert changed != first


def test_recently_written_files_are_hashed_again(rs, tmp_path, monkeypatch) -> None:
    root = _aged_reports(tmp_path)
    fresh = sorted(root.glob("*.txt"))[1]
    # written at about the time its hash is recorded (a second ahead, so that a slow machine
    # cannot make it look older): racy
    soon = time.time() + 1
    os.utime(fresh, (soon, soon))
    cache_dir = tmp_path / "cache"
    _extract(root, tmp_path / "a", rs, cache_dir=cache_dir)
    hashed: list[str] = []
    original = report.digest_file
    monkeypatch.setattr(report, "digest_file", lambda p: hashed.append(Path(p).name) or original(p))
    _extract(root, tmp_path / "b", rs, cache_dir=cache_dir)
    assert hashed == [fresh.name]


def test_file_results_cross_processes_intact(rs) -> None:
    text = (REPO / "seeds" / "000_8e1ad2d1e4127c43.txt").read_text(encoding="utf-8")
    rows = extract_text(text, rules=rs)
    for result in (FileResult("a.txt", rows, None, ("a warning",)), FileResult("b.txt", error="cannot read")):
        assert pickle.loads(pickle.dumps(result)) == result
