"""Importing question banks: XLSX (the template's layout), Moodle GIFT and Aiken.

Every row is parsed and validated before anything is written. A file with a broken row writes
nothing and reports each broken row by number (sheet row for XLSX, the line where the question
starts for text files). Questions already in the bank (or twice in the file) are counted as
duplicates and skipped, so importing the same file again adds nothing.

Files are read through the shared bounded reader (``app.core.spreadsheets``): streamed, with a limit
on questions, columns, line length and an XLSX's uncompressed size. The web import runs on a worker
as an :class:`~app.accounts.models.ImportJob` of kind ``questions``, with the members' progress page.
"""

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import ImportJob, User
from app.core import audit, imports, spreadsheets
from app.core.errors import DomainError
from app.extensions import db
from app.quiz.bank import QuestionError, QuestionFields, clean_question
from app.quiz.gift import gift_question
from app.quiz.models import OPTION_KEYS, Question, QuestionKind

OPTION_COLUMNS = [f"选项{k}" for k in OPTION_KEYS]
COLUMNS = ["题型", "题干", *OPTION_COLUMNS, "答案", "解析", "难度", "标签", "分类", "来源"]
REQUIRED = ["题型", "题干", "答案"]


class ImportFileError(DomainError):
    """The file cannot be read at all (message in Chinese)."""


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)
    #: Rows skipped as already in the bank: ``[{"row": 4, "question_id": 17}]`` (None: twice in the file).
    duplicate_rows: list[dict] = field(default_factory=list)
    format: str = ""
    total_rows: int = 0
    #: Why the file as a whole could not be imported (an import job's report).
    message: str | None = None

    def as_json(self) -> dict:
        return {"imported": self.imported, "duplicates": self.duplicates, "errors": self.errors}

    # What an import job records (app.core.imports.Outcome).
    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None

    @property
    def created(self) -> int:
        return self.imported

    @property
    def skipped(self) -> int:
        return self.duplicates

    updated = 0


@dataclass
class ParsedRow:
    row: int
    fields: QuestionFields | None = None
    error: str | None = None


# --- reading the formats ------------------------------------------------------------------------


def _limits() -> spreadsheets.ReadLimits:
    return spreadsheets.ReadLimits.from_config(current_app.config["QUIZ_IMPORT_MAX_QUESTIONS"])


def _too_many(count: int) -> None:
    limit = current_app.config["QUIZ_IMPORT_MAX_QUESTIONS"]
    if count > limit:
        raise ImportFileError(_("一次最多导入 %(limit)s 道题，请拆分文件", limit=limit))


def parse_xlsx(source: bytes | Path, category: str | None) -> list[ParsedRow]:
    try:
        rows = spreadsheets.read_rows(source, "xlsx", _limits())
        header = next(rows, [])
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise ImportFileError(
                _("第 1 行缺少列：%(columns)s（请使用题库导入模板）", columns="、".join(missing))
            )
        index = {name: header.index(name) for name in COLUMNS if name in header}
        parsed = []
        for number, cells in enumerate(rows, start=2):
            if not any(cells):
                continue

            def get(name, cells=cells):
                i = index.get(name)
                return cells[i] if i is not None and i < len(cells) else ""

            parsed.append(
                _clean(
                    number,
                    kind=get("题型"),
                    stem=get("题干"),
                    options=[get(name) for name in OPTION_COLUMNS],
                    answer=get("答案"),
                    explanation=get("解析"),
                    difficulty=get("难度"),
                    tags=get("标签"),
                    category=get("分类") or category or "",
                    source=get("来源"),
                )
            )
    except spreadsheets.SpreadsheetError as exc:
        if "Excel" in str(exc):
            raise ImportFileError(_("无法读取该 XLSX 文件，请确认它是用题库模板保存的 Excel 文件")) from exc
        raise ImportFileError(str(exc)) from exc
    return parsed


def _clean(row: int, **values) -> ParsedRow:
    try:
        return ParsedRow(row, fields=clean_question(**values))
    except QuestionError as exc:
        return ParsedRow(row, error=str(exc))


def _blocks(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Groups of non-blank lines with the line number where each starts, one at a time. A group
    longer than one row may be is refused; a long run of blank lines ends the file, as in sheets."""
    limit = current_app.config["SPREADSHEET_MAX_ROW_CHARS"]
    blank_limit = current_app.config["SPREADSHEET_MAX_EMPTY_ROWS"]
    current, start, size, count, blanks = [], 0, 0, 0, 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            blanks = 0
            if not current:
                start, size = number, 0
            current.append(line.rstrip())
            size += len(line)
            if size > limit:
                raise ImportFileError(
                    _(
                        "第 %(start)s 行开始的题目超过 %(limit)s 个字符，请检查文件（题目之间要空一行）",
                        start=start,
                        limit=limit,
                    )
                )
            continue
        blanks += 1
        if current:
            count += 1
            _too_many(count)
            yield start, current
            current = []
        if blanks >= blank_limit:
            return
    if current:
        _too_many(count + 1)
        yield start, current


_AIKEN_OPTION = re.compile(r"^\s*([A-Ha-h])\s*[.)．、]\s*(.*)$")
_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*[:：]\s*(.*)$", re.IGNORECASE)


def parse_aiken(lines: Iterable[str], category: str | None) -> list[ParsedRow]:
    """Aiken: a stem line, options ``A.``/``A)``, then ``ANSWER: B``; single choice only."""
    parsed = []
    for start, block in _blocks(lines):
        stem_lines, options, answer = [], [], None
        for line in block:
            if (m := _AIKEN_ANSWER.match(line)) is not None:
                answer = m.group(1).strip()
            elif (m := _AIKEN_OPTION.match(line)) is not None and (options or stem_lines):
                if m.group(1).upper() != OPTION_KEYS[len(options)]:
                    answer = answer or ""
                    options.append(None)
                    break
                options.append(m.group(2).strip())
            elif not options:
                stem_lines.append(line.strip())
            else:
                options[-1] += " " + line.strip()  # a wrapped option
        if None in options:
            parsed.append(ParsedRow(start, error=_("选项字母不连续（应为 A、B、C……）")))
        elif answer is None:
            parsed.append(ParsedRow(start, error=_("缺少 ANSWER: 行")))
        else:
            parsed.append(
                _clean(
                    start,
                    kind=QuestionKind.SINGLE,
                    stem="\n".join(stem_lines),
                    options=options,
                    answer=answer,
                    category=category or "",
                )
            )
    return parsed


def parse_gift(lines: Iterable[str], category: str | None) -> list[ParsedRow]:
    """Moodle GIFT: single and multiple choice, true/false, short answer (→ fill-in), ``####`` 解析."""
    lines = ("" if line.lstrip().startswith("//") else line for line in lines)
    current_category = category or ""
    parsed = []
    for start, block in _blocks(lines):
        if block[0].strip().startswith("$CATEGORY:"):
            path = block[0].split(":", 1)[1].strip()
            current_category = path.rstrip("/").split("/")[-1].strip() or category or ""
            block = block[1:]
            start += 1
            if not block:
                continue
        try:
            parsed.append(
                ParsedRow(start, fields=clean_question(**gift_question("\n".join(block), current_category)))
            )
        except QuestionError as exc:
            parsed.append(ParsedRow(start, error=str(exc)))
    return parsed


_SNIFF_BYTES = 1024 * 1024


def _head(source: bytes | Path) -> bytes:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    return source[:_SNIFF_BYTES]


def _is_zip(source: bytes | Path) -> bool:
    return zipfile.is_zipfile(source if isinstance(source, Path) else io.BytesIO(source))


def detect_format(source: bytes | Path, filename: str) -> str:
    """``xlsx``, ``gift`` or ``aiken``, by extension and content (the first megabyte of it)."""
    suffix = Path(filename).suffix.lower()
    head = _head(source)
    if not head.strip():
        raise ImportFileError(_("文件是空的"))
    if head[:4] == b"PK\x03\x04" and _is_zip(source):
        return "xlsx"
    if suffix in {".xlsx", ".xlsm"}:
        raise ImportFileError(_("文件扩展名是 .xlsx，但内容不是 Excel 工作簿"))
    if b"\x00" in head[:4096]:
        raise ImportFileError(_("无法识别的文件格式：应为 XLSX、GIFT 或 Aiken 文本"))
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # The sniffed megabyte may end inside a character; the whole file is checked when read.
            text = head.decode(encoding, errors="strict" if len(head) < _SNIFF_BYTES else "ignore")
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ImportFileError(_("无法识别文件编码，请保存为 UTF-8 文本"))
    if suffix == ".gift":
        return "gift"
    if suffix == ".aiken" or re.search(r"^\s*ANSWER\s*[:：]", text, re.MULTILINE | re.IGNORECASE):
        return "aiken"
    if re.search(r"(?<!\\)\{[^}]*(?<!\\)\}", text):
        return "gift"
    raise ImportFileError(_("无法识别的文件格式：应为 XLSX、GIFT 或 Aiken 文本"))


def parse_file(
    source: bytes | Path, filename: str, category: str | None = None
) -> tuple[str, list[ParsedRow]]:
    fmt = detect_format(source, filename)
    if fmt == "xlsx":
        rows = parse_xlsx(source, category)
    else:
        try:
            lines = spreadsheets.read_lines(source, _limits(), _("题库文件"))
            rows = parse_gift(lines, category) if fmt == "gift" else parse_aiken(lines, category)
        except spreadsheets.SpreadsheetError as exc:
            raise ImportFileError(str(exc)) from exc
    if not rows:
        raise ImportFileError(_("文件中没有找到题目"))
    _too_many(len(rows))
    return fmt, rows


# --- importing ----------------------------------------------------------------------------------


def import_questions(
    source: bytes | Path,
    filename: str,
    actor: User | None,
    category: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate every row, then (only if all are valid) add the questions not yet in the bank,
    owned by ``actor``. ``progress(done, total)`` is called as questions are written.

    Raises :class:`ImportFileError` when the file cannot be read at all. The caller commits.
    """
    fmt, rows = parse_file(source, filename, category)
    report = ImportReport(format=fmt, total_rows=len(rows))
    report.errors = [{"row": r.row, "message": r.error} for r in rows if r.error]
    valid = [r for r in rows if r.fields is not None]
    fingerprints = [r.fields.fingerprint for r in valid]
    existing: dict[str, int] = {}
    for chunk in range(0, len(fingerprints), 500):
        existing.update(
            db.session.execute(
                sa.select(Question.fingerprint, Question.id).where(
                    Question.fingerprint.in_(fingerprints[chunk : chunk + 500])
                )
            ).all()
        )
    new, seen = [], set()
    for parsed in valid:
        key = parsed.fields.fingerprint
        if key in existing or key in seen:
            report.duplicate_rows.append({"row": parsed.row, "question_id": existing.get(key)})
            continue
        seen.add(key)
        new.append(parsed.fields)
    report.duplicates = len(report.duplicate_rows)
    if report.errors:
        return report  # nothing written: fix the rows and import again
    actor_id = actor.id if actor else None
    questions = []
    for start in range(0, len(new), 500):
        batch = [
            Question(created_by_id=actor_id, owner_id=actor_id, fingerprint=f.fingerprint, **f.columns())
            for f in new[start : start + 500]
        ]
        db.session.add_all(batch)
        db.session.flush()
        questions += batch
        if progress:
            progress(len(questions), len(new))
    report.imported = len(questions)
    if questions:
        audit.record(
            actor,
            "quiz.import",
            SimpleNamespace(__tablename__="quiz_question", id=None),
            f"导入题目 {len(questions)} 道（{filename}）",
            {
                "file": filename,
                "format": fmt,
                "ids": [questions[0].id, questions[-1].id],
                "duplicates": report.duplicates,
            },
        )
    return report


# --- the web import: a job on a worker ----------------------------------------------------------

SUFFIXES = {".xlsx", ".xlsm", ".gift", ".txt", ".aiken"}


def create_import_job(stream, filename: str, category: str | None, actor: User, folder: str) -> ImportJob:
    """Save an uploaded question bank (streamed to disk) and record its job; the caller commits."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(_("只支持 XLSX、GIFT（.gift/.txt）或 Aiken（.aiken/.txt）文件"))
    stored = imports.save_upload(stream, suffix, folder)
    job = ImportJob(
        kind="questions",
        created_by_id=actor.id,
        filename=filename[:255],
        stored_path=str(stored),
        params={"category": category} if category else None,
    )
    db.session.add(job)
    db.session.flush()
    return job


def run_import_job(job: ImportJob, actor: User | None, commit: Callable[[], None]) -> ImportReport:
    """Run a stored question import (see :func:`app.core.imports.run_job`)."""

    def work(progress) -> ImportReport:
        category = (job.params or {}).get("category")
        try:
            return import_questions(Path(job.stored_path), job.filename, actor, category, progress)
        except ImportFileError as exc:
            return ImportReport(message=str(exc))

    return imports.run_job(job, work, commit)
