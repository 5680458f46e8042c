"""The one spreadsheet reader and writer.

Reading (imports): XLSX and CSV rows are streamed one at a time under limits a file cannot talk its
way past: the columns read per row, the rows accepted, a run of empty rows that ends the data, the
characters of one CSV record, and, before openpyxl opens an XLSX, the archive's uncompressed size
and compression ratio. A 5 KB workbook claiming ``A1:XFD1048576`` or 4 MB of newlines costs a few
megabytes and a clear message, not a gigabyte.

Writing (exports): every text cell that a spreadsheet would run as a formula (it starts with
``= + - @``, a tab or a carriage return) gets a leading apostrophe, and XLSX text cells are typed as
strings; numbers stay numbers. CSV streams in chunks, XLSX is written in openpyxl's write-only mode.
The reader takes the apostrophe off again, so an export imports back as it was.
"""

import codecs
import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from app.core.errors import DomainError

#: What makes Excel, LibreOffice or WPS read a cell as a formula (OWASP's list for CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
_UTF8_BOM = "\ufeff"
_READ_CHUNK = 1024 * 1024


class SpreadsheetError(DomainError):
    """The file cannot be read within the limits; the message (Chinese) says why."""


# --- neutralising cells ---------------------------------------------------------------------------


def starts_like_formula(text) -> bool:
    return isinstance(text, str) and text.startswith(FORMULA_TRIGGERS)


def neutralise(value):
    """The cell value to export: text that would run as a formula gets a leading apostrophe."""
    if starts_like_formula(value):
        return GUARD + value
    return value


def unguard(text: str) -> str:
    """Undo :func:`neutralise` on a text read back from an export."""
    if text.startswith(GUARD) and starts_like_formula(text[1:]):
        return text[1:]
    return text


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadLimits:
    #: Non-empty rows accepted after the first (the header); one more is an error.
    max_rows: int
    #: Columns read per row; cells to the right are never materialised.
    max_columns: int = 64
    #: Consecutive empty rows that end the data (and the padding a forged dimension asks for).
    max_empty_run: int = 1000
    #: Characters of one CSV record (all its lines).
    max_row_chars: int = 100_000
    #: XLSX: uncompressed bytes of all the archive's members together.
    max_uncompressed_bytes: int = 50 * 1024 * 1024
    #: XLSX: largest uncompressed/compressed ratio of a member bigger than 1 MB.
    max_compression_ratio: int = 100

    @classmethod
    def from_config(cls, max_rows: int) -> "ReadLimits":
        config = current_app.config
        return cls(
            max_rows=max_rows,
            max_columns=config["SPREADSHEET_MAX_COLUMNS"],
            max_empty_run=config["SPREADSHEET_MAX_EMPTY_ROWS"],
            max_row_chars=config["SPREADSHEET_MAX_ROW_CHARS"],
            max_uncompressed_bytes=config["SPREADSHEET_MAX_UNCOMPRESSED_BYTES"],
            max_compression_ratio=config["SPREADSHEET_MAX_COMPRESSION_RATIO"],
        )


def cell_text(value) -> str:
    """A cell as the text a person typed: Excel's floats for whole numbers and dates undone."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel turns 13800138000 and E-less employee numbers into floats
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return unguard(str(value).strip())


def read_rows(source: Path | bytes | IO[bytes], kind: str, limits: ReadLimits) -> Iterator[list[str]]:
    """Rows of cell texts (trailing empty cells dropped, so an empty row is ``[]``), one at a time.

    ``kind`` is ``"xlsx"`` or ``"csv"``. Raises :class:`SpreadsheetError` as soon as the file breaks a
    limit or cannot be read; rows already yielded stay with the caller, who must then write nothing.
    Empty rows are yielded (callers number rows as the spreadsheet does) until ``max_empty_run`` of
    them in a row: that ends the data.
    """
    rows = _xlsx_rows(source, limits) if kind == "xlsx" else _csv_rows(source, limits)
    filled = empty_run = 0
    for row in rows:
        while row and not row[-1]:
            row.pop()
        if not row:
            empty_run += 1
            if empty_run >= limits.max_empty_run:
                return
            yield row
            continue
        empty_run = 0
        filled += 1
        if filled > limits.max_rows + 1:  # the header and max_rows data rows
            raise SpreadsheetError(
                _(
                    "一次最多导入 %(max_rows)s 行，本文件超过了这个数量，请拆分后分批导入。",
                    max_rows=limits.max_rows,
                )
            )
        yield row


def _binary(source: Path | bytes | IO[bytes]) -> IO[bytes]:
    if isinstance(source, Path):
        return source.open("rb")
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    return source


def check_archive(handle: IO[bytes], limits: ReadLimits) -> None:
    """Refuse a zip whose members would inflate past the limits, before anything decompresses them.

    The sizes come from the central directory; Python's zipfile never inflates a member past the
    size declared there, so they bound what openpyxl can read.
    """
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SpreadsheetError(_("无法读取文件：它不是有效的 Excel (.xlsx) 文件。")) from exc
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise SpreadsheetError(_("文件内容的压缩比异常（疑似压缩炸弹），已拒绝读取。"))
        if total > limits.max_uncompressed_bytes:
            limit_mb = limits.max_uncompressed_bytes // (1024 * 1024)
            raise SpreadsheetError(
                _("工作簿解压后超过 %(limit_mb)s MB，请拆分后分批导入。", limit_mb=limit_mb)
            )
    handle.seek(0)


def _xlsx_rows(source, limits: ReadLimits) -> Iterator[list[str]]:
    handle = _binary(source)
    try:
        check_archive(handle, limits)
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, ...) for a broken file
            raise SpreadsheetError(_("无法读取文件：它不是有效的 Excel (.xlsx) 文件。")) from exc
        try:
            if not workbook.worksheets:
                return
            sheet = workbook.worksheets[0]
            # The stored dimension is the file's claim, not a fact: ignore it, read real rows only.
            sheet.reset_dimensions()
            try:
                for values in sheet.iter_rows(max_col=limits.max_columns, values_only=True):
                    yield [cell_text(v) for v in values]
            except SpreadsheetError:
                raise
            except Exception as exc:  # a malformed sheet found while streaming it
                raise SpreadsheetError(_("无法读取文件：工作表内容已损坏。")) from exc
        finally:
            workbook.close()
    finally:
        if handle is not source:
            handle.close()


def detect_encoding(handle: IO[bytes], what: str | None = None) -> str:
    """``utf-8-sig`` or ``gb18030`` (Excel in China saves CSV as GBK), checked over the whole file in
    chunks; :class:`SpreadsheetError` for binary data or bytes no encoding explains."""
    what = what or _("CSV 文件")
    handle.seek(0)
    if b"\x00" in handle.read(4096):
        raise SpreadsheetError(_("无法读取文件：它不是文本格式的 %(what)s。", what=what))
    for encoding in ("utf-8-sig", "gb18030"):
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := handle.read(_READ_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        handle.seek(0)
        return encoding
    named = f" {what}" if str(what)[:1].isascii() else what  # a space between Latin and Chinese only
    raise SpreadsheetError(_("无法识别%(named)s的编码，请另存为 UTF-8 或 GBK 编码。", named=named))


class BoundedLines:
    """Lines of a text stream, each read with a length cap; ``chars`` counts since the last reset."""

    def __init__(self, text: IO[str], max_chars: int):
        self.text, self.max_chars, self.chars = text, max_chars, 0

    def __iter__(self) -> Iterator[str]:
        while line := self.text.readline(self.max_chars + 1):
            self.chars += len(line)
            if self.chars > self.max_chars:
                raise SpreadsheetError(
                    _("文件中有一行超过 %(max_chars)s 个字符，请检查文件内容。", max_chars=self.max_chars)
                )
            yield line


def open_text(source: Path | bytes | IO[bytes], what: str | None = None) -> IO[str]:
    """A text stream over ``source`` in the encoding it was written in (newlines left as they are)."""
    handle = _binary(source)
    encoding = detect_encoding(handle, what)
    return io.TextIOWrapper(handle, encoding=encoding, newline="")


def read_lines(source: Path | bytes, limits: ReadLimits, what: str | None = None) -> Iterator[str]:
    """Lines of a text file (without their ends), streamed, each at most ``max_row_chars`` long."""
    with open_text(source, what or _("文本文件")) as text:
        lines = BoundedLines(text, limits.max_row_chars)
        for line in lines:
            lines.chars = 0
            yield line.rstrip("\r\n")


def _csv_rows(source, limits: ReadLimits) -> Iterator[list[str]]:
    text = open_text(source)
    lines = BoundedLines(text, limits.max_row_chars)
    try:
        for row in csv.reader(lines):
            lines.chars = 0
            yield [unguard(cell.strip()) for cell in row[: limits.max_columns]]
    except csv.Error as exc:
        raise SpreadsheetError(_("CSV 文件格式有误：%(reason)s", reason=exc)) from exc
    finally:
        if isinstance(source, Path | bytes | bytearray):
            text.close()
        else:
            text.detach()


# --- writing --------------------------------------------------------------------------------------


def export_row(values: Sequence) -> list:
    return [neutralise(v) for v in values]


def csv_stream(header: Sequence[str], rows: Iterable[Sequence], batch: int = 500) -> Iterator[str]:
    """CSV text in chunks of ``batch`` rows (with the BOM Excel needs to open UTF-8 correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(_UTF8_BOM)
    writer.writerow(export_row(header))
    for n, row in enumerate(rows, start=1):
        writer.writerow(export_row(row))
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    #: Column widths, in characters, from column A.
    widths: Sequence[float] = ()


def _write_sheet(workbook: Workbook, sheet: Sheet) -> None:
    worksheet = workbook.create_sheet(sheet.title)
    for index, width in enumerate(sheet.widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width

    def cells(values):
        out = []
        for value in values:
            if isinstance(value, str):
                cell = WriteOnlyCell(worksheet, value=neutralise(value))
                cell.data_type = "s"  # text is text, whatever it starts with
                out.append(cell)
            else:
                out.append(value)
        return out

    worksheet.append(cells(sheet.header))
    for row in sheet.rows:
        worksheet.append(cells(row))


def xlsx_file(sheets: Iterable[Sheet]) -> IO[bytes]:
    """The workbook in a temporary file (write-only mode: rows are not kept in memory), rewound."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 -- the caller (a response) closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """A small workbook (a template) as bytes."""
    with xlsx_file(sheets) as handle:
        return handle.read()
