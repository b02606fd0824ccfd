"""Reading reports: walking folders and decoding bytes without ever producing mojibake."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from luoyang_metrics import reading
from luoyang_metrics.errors import ReadError, UsageError
from luoyang_metrics.reading import Decoded, decode_bytes, iter_reports, read_report

SEED = Path(__file__).resolve().parents[1] / "seeds" / "003_c04f0aeedbb1cb59.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
# A real paragraph, with the report's own line breaks, digits and full-width punctuation.
PARA = SEED_TEXT[SEED_TEXT.index("数据显示") : SEED_TEXT.index("奋进新时代")]

# Traditional-Chinese version of the same kind of text, for Big5.
TRAD = (
    "數據顯示，2020年，洛陽高新區實現生產總值250.9億元，同比增長5.4%，居洛陽市第一；\n"
    "規模以上工業增加值55億元、同比增長4.4%，高於洛陽市0.9個百分點；\n"
    "固定資產投資115.5億元、同比增長6.9%，高於洛陽市1個百分點。\n"
)

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")


def write_bytes(tmp_path: Path, data: bytes, name: str = "report.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),  # the GBK family is always decoded as its superset
        ("gb2312", "gb18030"),
        ("utf-16", "utf-16"),  # Python writes a BOM
        ("utf-16-le", "utf-16-le"),  # no BOM: found by the NUL pattern
        ("utf-16-be", "utf-16-be"),
        ("utf-32", "utf-32"),
    ],
)
def test_decodes_each_encoding_exactly(tmp_path: Path, codec: str, expected: str) -> None:
    path = write_bytes(tmp_path, PARA.encode(codec))
    decoded = read_report(path)
    assert decoded == Decoded(PARA, expected, ())


def test_decodes_big5_traditional_text(tmp_path: Path) -> None:
    decoded = read_report(write_bytes(tmp_path, TRAD.encode("big5")))
    assert decoded == Decoded(TRAD, "big5", ())


def test_traditional_text_in_gbk_is_gb18030(tmp_path: Path) -> None:
    decoded = read_report(write_bytes(tmp_path, TRAD.encode("gbk")))
    assert decoded == Decoded(TRAD, "gb18030", ())


def test_whole_seed_report_in_gbk() -> None:
    assert decode_bytes(SEED_TEXT.encode("gbk")).text == SEED_TEXT


@pytest.mark.parametrize("codec", ["utf-8", "gbk", "utf-16"])
def test_crlf_and_lone_cr_become_lf_without_shifting_lines(codec: str) -> None:
    lines = PARA.split("\n")
    mixed = lines[0]
    for i, line in enumerate(lines[1:]):
        # A lone CR right before an LF would be a CRLF: use it only before text.
        mixed += ("\r" if line and i % 2 else "\r\n") + line
    assert "\r\n" in mixed and regex.search(r"\r[^\n]", mixed)
    decoded = decode_bytes(mixed.encode(codec))
    assert decoded.text == PARA
    assert decoded.text.count("\n") == PARA.count("\n")


def test_leading_boms_are_stripped_and_inner_text_is_kept() -> None:
    assert decode_bytes(b"\xef\xbb\xbf" + "洛阳\r\n".encode()).text == "洛阳\n"
    # Concatenated files repeat the BOM; a BOM inside the text is left alone.
    assert decode_bytes("\ufeff\ufeff洛阳\ufeff".encode("utf-8")).text == "洛阳\ufeff"


def test_utf16_with_many_u4e00_characters() -> None:
    # 一 is U+4E00: its NUL byte sits on the "wrong" side for the byte order.
    text = "一一一一一二\n"
    assert decode_bytes(text.encode("utf-16-le")) == Decoded(text, "utf-16-le", ())
    assert decode_bytes(text.encode("utf-16-be")) == Decoded(text, "utf-16-be", ())


# --------------------------------------------------------------------------- short texts


def test_short_gbk_text_decodes_right() -> None:
    text = "洛阳高新区实现生产总值二百五十亿元同比增长"[:20]
    assert decode_bytes(text.encode("gbk")) == Decoded(text, "gb18030", ())


def test_tiny_gbk_text_is_refused_not_guessed() -> None:
    # Two characters cannot tell GB18030 from Big5: refusing is the right answer.
    with pytest.raises(ReadError, match="encoding"):
        decode_bytes("增长".encode("gbk"))


@pytest.mark.parametrize(("source", "codec"), [(SEED_TEXT, "gbk"), (TRAD * 3, "big5")])
@pytest.mark.parametrize("width", [6, 12, 20])
def test_short_snippets_decode_right_or_raise_never_mojibake(source: str, codec: str, width: int) -> None:
    decoded = refused = 0
    for start in range(0, len(source) - width, 17):
        snippet = source[start : start + width]
        data = snippet.encode(codec)
        try:
            result = decode_bytes(data)
        except ReadError:
            refused += 1
            continue
        assert result.text == snippet.replace("\r\n", "\n"), (snippet, result)
        decoded += 1
    if width >= 20:
        assert decoded > refused  # the guard must not refuse everything


# --------------------------------------------------------------------------- refusals


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"^empty file$"):
        read_report(write_bytes(tmp_path, b""))


def test_bom_only_file_is_empty() -> None:
    with pytest.raises(ReadError, match=r"^empty file$"):
        decode_bytes(b"\xef\xbb\xbf")


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (_zip_bytes(), "ZIP"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (gzip.compress("洛阳".encode()), "gzip"),
        (b"%PDF-1.4\nplain ascii only", "PDF"),  # valid UTF-8, still a PDF
    ],
)
def test_binary_files_renamed_txt_are_refused(tmp_path: Path, data: bytes, kind: str) -> None:
    with pytest.raises(ReadError) as info:
        read_report(write_bytes(tmp_path, data))
    assert str(info.value) == f"binary file (looks like {kind})"


def test_nul_bytes_in_a_non_utf16_file_mean_binary() -> None:
    with pytest.raises(ReadError, match=r"binary file \(contains NUL"):
        decode_bytes("洛阳高新区".encode() + b"\x00\x01\x02\x03\x00")


def test_unknown_encodings_are_refused_not_guessed() -> None:
    with pytest.raises(ReadError, match="encoding"):
        decode_bytes("café résumé naïve façade".encode("latin-1"))
    with pytest.raises(ReadError, match="encoding"):
        decode_bytes("これは日本語のテキストです。東京都の人口。".encode("shift_jis"))


# --------------------------------------------------------------------------- damaged files


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def test_invalid_utf8_bytes_are_replaced_and_reported() -> None:
    cut = PARA.index("固定资产")
    data = PARA[:cut].encode() + b"\xff" + PARA[cut:].encode()
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-8"
    assert decoded.text == PARA[:cut] + "\ufffd" + PARA[cut:]
    assert decoded.warnings == (f"1 invalid byte replaced at line {_line_of(PARA, cut)}",)


def test_invalid_gbk_bytes_are_replaced_and_reported_on_each_line() -> None:
    first, second = PARA.index("规模以上"), PARA.index("固定资产")
    data = (
        PARA[:first].encode("gbk")
        + b"\xff\xff"
        + PARA[first:second].encode("gbk")
        + b"\x80"
        + PARA[second:].encode("gbk")
    )
    decoded = decode_bytes(data)
    assert decoded.encoding == "gb18030"
    assert decoded.text == PARA[:first] + "\ufffd" + PARA[first:second] + "\ufffd" + PARA[second:]
    lines = f"{_line_of(PARA, first)}, {_line_of(PARA, second)}"
    assert decoded.warnings == (f"3 invalid bytes replaced at lines {lines}",)


def test_invalid_big5_byte_keeps_big5() -> None:
    cut = TRAD.index("規模")
    data = TRAD[:cut].encode("big5") + b"\xff" + TRAD[cut:].encode("big5")
    decoded = decode_bytes(data)
    assert decoded.encoding == "big5"
    assert decoded.text == TRAD[:cut] + "\ufffd" + TRAD[cut:]
    assert decoded.warnings == ("1 invalid byte replaced at line 2",)


def test_line_numbers_of_damage_count_crlf_once() -> None:
    data = "洛阳高新区\r\n生产总值\r\n".encode() * 5 + b"\xfe" + "增长".encode()
    decoded = decode_bytes(data)
    assert decoded.warnings == ("1 invalid byte replaced at line 11",)
    assert decoded.text.split("\n")[10] == "\ufffd增长"


def test_truncated_last_utf8_character() -> None:
    data = PARA.encode()[:-1] if PARA.encode()[-1] >= 0x80 else (PARA + "长").encode()[:-1]
    decoded = decode_bytes(data)
    assert decoded.text.endswith("\ufffd")
    assert decoded.warnings[0].startswith("2 invalid bytes replaced at line")


def test_many_damaged_lines_are_summarised() -> None:
    data = b"".join(f"第{i}行洛阳高新区生产总值".encode() + b"\xff\n" for i in range(15))
    (warning,) = decode_bytes(data).warnings
    assert warning == "15 invalid bytes replaced at lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 5 more"


def test_mostly_invalid_after_utf8_bom_is_refused() -> None:
    with pytest.raises(ReadError, match="after its byte-order mark"):
        decode_bytes(b"\xef\xbb\xbf" + SEED_TEXT.encode("gbk"))


# --------------------------------------------------------------------------- file system errors


def test_size_limit_names_the_limit(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, PARA.encode())
    with pytest.raises(ReadError, match=r"too large .*limit is 100 bytes"):
        read_report(path, max_bytes=100)
    assert read_report(path, max_bytes=len(PARA.encode())).text == PARA


def test_permission_denied(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, PARA.encode())
    path.chmod(0)
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # root bypasses file modes: the file is simply read.
            assert read_report(path).text == PARA
        else:
            with pytest.raises(ReadError, match=r"^permission denied$"):
                read_report(path)
    finally:
        path.chmod(0o644)


def test_permission_error_is_a_short_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Deterministic even as root: the OS refusal itself is simulated.
    path = write_bytes(tmp_path, PARA.encode())

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(reading.os, "open", refuse)
    with pytest.raises(ReadError) as info:
        read_report(path)
    assert str(info.value) == "permission denied"


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"^is a directory$"):
        read_report(tmp_path)
    with pytest.raises(ReadError, match=r"^file not found$"):
        read_report(tmp_path / "missing.txt")


@needs_symlinks
def test_broken_link_and_fifo(tmp_path: Path) -> None:
    (tmp_path / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(ReadError, match=r"^broken symbolic link$"):
        read_report(tmp_path / "broken.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(ReadError, match=r"^not a regular file$"):
        read_report(tmp_path / "pipe.txt")  # must not block waiting for a writer


# --------------------------------------------------------------------------- walking


def make_tree(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("洛阳", encoding="utf-8")


def walk(root: Path) -> list[tuple[str, str | None]]:
    return [(p.relative_to(root).as_posix(), reason) for p, reason in iter_reports(root)]


def test_nested_folders_in_sorted_order_with_odd_names(tmp_path: Path) -> None:
    names = [
        "z.txt",
        "a/b c/r 1.txt",
        "a-b/r.md",
        "a.txt",
        "中文 目录/二〇二一年 报告.TXT",
        "odd/#1 'quote' & (x) [y] ü.md",
        "odd/with\nnewline.txt",
        "deep/1/2/3/4/5/6/7/8/9/10/leaf.txt",
        "skip/report.pdf",
        "skip/notes.txt.bak",
    ]
    make_tree(tmp_path, names)
    found = walk(tmp_path)
    expected = sorted(Path(n) for n in names if not n.startswith("skip/"))
    assert [Path(p) for p, _ in found] == expected
    assert all(reason is None for _, reason in found)
    assert walk(tmp_path) == found  # deterministic


def test_custom_suffixes(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a.txt", "b.md", "c.csv"])
    assert [p.name for p, _ in iter_reports(tmp_path, suffixes=(".csv",))] == ["c.csv"]


def test_root_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        list(iter_reports(tmp_path / "missing"))
    make_tree(tmp_path, ["a.txt"])
    with pytest.raises(UsageError):
        list(iter_reports(tmp_path / "a.txt"))


@needs_symlinks
def test_symlink_loop_is_reported_once_and_walk_ends(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a/r.txt", "a/b/s.txt"])
    (tmp_path / "a" / "b" / "up").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "self").symlink_to(tmp_path / "self")
    assert walk(tmp_path) == [
        ("a/b/s.txt", None),
        ("a/b/up", "symbolic link loop (points back to a parent folder)"),
        ("a/r.txt", None),
        ("self", "symbolic link loop"),
    ]


@needs_symlinks
def test_symlinked_folders_are_followed_once(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_tree(outside, ["x.txt"])
    root = tmp_path / "root"
    make_tree(root, ["own.txt"])
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "linked-again").symlink_to(outside, target_is_directory=True)
    (root / "file-link.txt").symlink_to(root / "own.txt")
    (root / "broken.txt").symlink_to(tmp_path / "nowhere")
    assert walk(root) == [
        ("broken.txt", "broken symbolic link"),
        ("file-link.txt", None),
        ("linked/x.txt", None),
        ("linked-again", "folder already visited as linked"),
        ("own.txt", None),
    ]


def test_unreadable_folder_is_reported_and_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, ["locked/secret.txt", "open/r.txt"])
    real_scandir = os.scandir

    def scandir(path: os.PathLike[str] | str) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(reading.os, "scandir", scandir)
    assert walk(tmp_path) == [("locked", "permission denied"), ("open/r.txt", None)]


def test_unreadable_folder_for_real(tmp_path: Path) -> None:
    make_tree(tmp_path, ["locked/secret.txt", "open/r.txt"])
    (tmp_path / "locked").chmod(0)
    try:
        found = walk(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert found == [("locked/secret.txt", None), ("open/r.txt", None)]
    else:
        assert found == [("locked", "permission denied"), ("open/r.txt", None)]


# --------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1))
def test_any_utf8_text_round_trips(text: str) -> None:
    data = text.encode("utf-8")
    if reading._binary_kind(data) is not None:  # text that starts like a PDF header
        return
    expected = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not expected:  # nothing but byte-order marks: an empty file
        with pytest.raises(ReadError):
            decode_bytes(data)
        return
    assert decode_bytes(data).text == expected
