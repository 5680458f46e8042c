"""Bulk import of members from XLSX or CSV.

The whole file is read and validated first; rows are written only when every row is valid, in
one transaction, so a file with problems writes nothing. Re-importing updates people by
employee number instead of duplicating them.
"""

import io
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook

from app.accounts.member_rows import MemberRow, check_rows
from app.accounts.models import (
    CATEGORY_NAMES,
    EDUCATION_NAMES,
    GENDER_NAMES,
    POSITION_NAMES,
    ImportJob,
    MemberCategory,
    Role,
    User,
    UserRole,
)
from app.accounts.passwords import derived_activation_code, hash_activation_code, new_activation_code
from app.core import audit, imports, spreadsheets
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.signals import categories_reported, members_imported
from app.extensions import db
from app.org.services import scope_path

logger = logging.getLogger(__name__)

#: Template columns in order; the first four are required.
COLUMNS = [
    "工号",
    "姓名",
    "手机号",
    "所属组织",
    "性别",
    "人员类别",
    "入党日期",
    "党内职务",
    "出生日期",
    "学历",
]
REQUIRED_COLUMNS = COLUMNS[:4]
BATCH = 500


class ImportFileError(DomainError):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


@dataclass
class ImportReport:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)
    message: str | None = None
    skipped: int = 0
    #: Ids of the accounts created, in file order.
    created_ids: list[int] = field(default_factory=list)
    #: Employee number → activation code of each new member, for the caller to show once (the CLI
    #: prints them; the web import derives them again on its slip page instead of keeping them).
    activation_codes: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None


def template_workbook() -> bytes:
    """The downloadable XLSX template, with one example row and the allowed values."""
    wb = Workbook()
    ws = wb.active
    ws.title = "成员"
    ws.append(COLUMNS)
    ws.append(
        [
            "E10001",
            "张三",
            "13800138000",
            "公司党委/机关党总支/机关第一党支部",
            "男",
            "正式党员",
            "2010-07-01",
            "党员",
            "1985-03-15",
            "本科",
        ]
    )
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "说明"])
    notes.append(["工号", "必填，唯一；重复导入同一工号将更新该成员"])
    notes.append(["姓名", "必填"])
    notes.append(["手机号", "必填，11 位大陆手机号；可用作登录名"])
    notes.append(
        ["激活码", "导入后为每位新成员生成一次性激活码（打印激活码单发给本人），首次登录后须设置密码"]
    )
    notes.append(["所属组织", "必填，组织全称路径（用 / 分隔）或在全系统唯一的组织名称"])
    notes.append(["性别", "、".join(GENDER_NAMES.values())])
    notes.append(["人员类别", "、".join(CATEGORY_NAMES.values())])
    notes.append(["入党日期", "日期，如 2010-07-01"])
    notes.append(["党内职务", "、".join(POSITION_NAMES.values())])
    notes.append(["出生日期", "日期，如 1985-03-15"])
    notes.append(["学历", "、".join(EDUCATION_NAMES.values())])
    for sheet in (ws, notes):
        for col in "ABCDEFGHIJ":
            sheet.column_dimensions[col].width = 22
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def read_rows(path: Path, filename: str) -> Iterator[list[str]]:
    """Rows of cell texts from an XLSX or CSV file, streamed under the import limits;
    :class:`ImportFileError` when unreadable or over a limit."""
    suffix = Path(filename).suffix.lower()
    if suffix not in {".xlsx", ".csv"}:
        raise ImportFileError(_("只支持 .xlsx 或 .csv 文件，请下载模板填写。"))
    if path.stat().st_size == 0:
        raise ImportFileError(_("文件是空的，请使用模板填写后再上传。"))
    limits = spreadsheets.ReadLimits.from_config(current_app.config["MEMBER_IMPORT_MAX_ROWS"])
    try:
        yield from spreadsheets.read_rows(path, suffix[1:], limits)
    except spreadsheets.SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from exc


def import_members(
    path: Path,
    filename: str,
    actor: User | None,
    progress: Callable[[int, int], None] | None = None,
    *,
    activation_days: int = 14,
    code_for: Callable[[str], str] | None = None,
) -> ImportReport:
    """Validate and import the file at ``path``. Writes nothing unless every row is valid.

    The caller commits. ``progress(done, total)`` is called as rows are written. Each new member
    gets a one-time activation code valid ``activation_days``: ``code_for(employee_no)`` when given
    (only its keyed hash is stored), otherwise a random one returned in the report.
    """
    report = ImportReport()
    if actor is not None and scope_path(actor) is None:
        report.message = _("您无权导入成员。")
        return report
    table = _read_table(path, filename, report)
    if table is None:
        return report
    header_index, data_rows = table
    valid, existing = check_rows(data_rows, header_index, actor, report.errors)
    if report.errors:
        return report
    new_rows, update_rows = _member_values(valid, existing, report, activation_days, code_for)
    arrived = _write_members(new_rows, update_rows, existing, report, progress)
    report.created, report.updated = len(new_rows), len(update_rows)
    if arrived:
        members_imported.send("accounts", user_ids=arrived, actor=actor)
    _report_categories(valid, actor)
    logger.info(
        "%s imported %s: %d new, %d updated", actor or "system", filename, report.created, report.updated
    )
    return report


def _read_table(path: Path, filename: str, report: ImportReport) -> tuple[dict[str, int], list] | None:
    """The header's column positions and the data rows; None (with ``report.message``) when the
    file as a whole cannot be imported."""
    try:
        all_rows = list(read_rows(path, filename))  # bounded: the reader stops at the row limit
    except ImportFileError as exc:
        report.message = str(exc)
        return None
    while all_rows and not any(all_rows[-1]):
        all_rows.pop()
    if not all_rows or not any(all_rows[0]):
        report.message = _("文件是空的，请使用模板填写后再上传。")
        return None
    header = [cell.strip().lstrip("*") for cell in all_rows[0]]
    header_index = {name: i for i, name in enumerate(header) if name}
    missing = [c for c in REQUIRED_COLUMNS if c not in header_index]
    if missing:
        report.message = _(
            "表头缺少必需的列：%(missing)s。请下载模板，表头须为：%(columns)s。",
            missing="、".join(missing),
            columns="、".join(COLUMNS),
        )
        return None
    data_rows = all_rows[1:]
    report.total_rows = sum(1 for r in data_rows if any(c.strip() for c in r))
    if report.total_rows == 0:
        report.message = _("文件中没有成员数据（只有表头）。")
        return None
    return header_index, data_rows


def _member_values(
    valid: list[MemberRow],
    existing: dict,
    report: ImportReport,
    activation_days: int,
    code_for: Callable[[str], str] | None,
) -> tuple[list[dict], list[dict]]:
    """The column values of the accounts to insert and of those to update, in file order."""
    now = utcnow()
    activation_expires_at = now + timedelta(days=activation_days)
    new_rows, update_rows = [], []
    for row in valid:
        values = {
            "employee_no": row.employee_no,
            "name": row.name,
            "mobile": row.mobile,
            "branch_id": row.branch.id,
            "gender": row.gender,
            "joined_party_on": row.joined_party_on,
            "position": row.position,
            "birth_date": row.birth_date,
            "education": row.education,
            "updated_at": now,
        }
        if row.employee_no in existing:
            update_rows.append({"id": existing[row.employee_no][0], **values})
            continue
        if code_for is not None:
            code = code_for(row.employee_no)
        else:
            code = report.activation_codes[row.employee_no] = new_activation_code()
        new_rows.append(
            {
                **values,
                "created_at": now,
                "must_change_password": True,
                "is_active_account": True,
                "failed_logins": 0,
                "auth_nonce": secrets.token_hex(16),
                "activation_code_hash": hash_activation_code(code),
                "activation_expires_at": activation_expires_at,
            }
        )
    return new_rows, update_rows


def _report_categories(valid: list[MemberRow], actor: User | None) -> None:
    """Hand the categories the file names to the membership domain, which records them as baselines
    on the development files (the category is the workflow's result, never written here)."""
    named = {row.employee_no: MemberCategory(row.category) for row in valid if row.category}
    numbers, categories = list(named), {}
    for start in range(0, len(numbers), BATCH):
        for user_id, employee_no in db.session.execute(
            sa.select(User.id, User.employee_no).where(User.employee_no.in_(numbers[start : start + BATCH]))
        ):
            categories[user_id] = named[employee_no]
    if categories:
        categories_reported.send("accounts", categories=categories, actor=actor, source="import")


def _write_members(
    new_rows: list[dict],
    update_rows: list[dict],
    existing: dict,
    report: ImportReport,
    progress: Callable[[int, int], None] | None,
) -> list[int]:
    """Write the rows in batches; the ids of who arrived in a branch (new accounts and accounts
    moved: open assignments pick them up)."""
    done, total = 0, len(new_rows) + len(update_rows)
    # Core bulk statements: one round trip per batch, not one ORM object per row.
    for statement, rows in ((sa.update(User), update_rows), (sa.insert(User), new_rows)):
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            db.session.execute(statement, batch)
            done += len(batch)
            if progress:
                progress(done, total)
    arrived = [u["id"] for u in update_rows if existing[u["employee_no"]][2] != u["branch_id"]]
    new_nos = [r["employee_no"] for r in new_rows]
    for start in range(0, len(new_nos), BATCH):
        ids = db.session.scalars(
            sa.select(User.id).where(User.employee_no.in_(new_nos[start : start + BATCH]))
        ).all()
        db.session.execute(sa.insert(UserRole), [{"user_id": uid, "role": Role.MEMBER} for uid in ids])
        arrived += ids
        report.created_ids += ids
    return arrived


def run_import_job(
    job: ImportJob, actor: User | None, commit: Callable[[], None], *, activation_days: int = 14
) -> ImportReport:
    """Run a stored import job, recording progress on it; ``commit`` persists progress as it goes.

    The new members' activation codes are derived from a secret kept on the job until its
    coordinator opens the slips once (:func:`reveal_import_slips`).
    """
    job.slip_secret = secrets.token_hex(32)
    secret, job_id = job.slip_secret, job.id

    def work(progress):
        return import_members(
            Path(job.stored_path),
            job.filename,
            actor,
            progress,
            activation_days=activation_days,
            code_for=lambda employee_no: derived_activation_code(secret, f"{job_id}:{employee_no}"),
        )

    def on_success(report: ImportReport) -> None:
        job.created_user_ids = report.created_ids or None
        if not report.created_ids:
            job.slip_secret = None
        audit.record(
            actor, "user.import", job, f"导入 {job.filename}：新增 {report.created}，更新 {report.updated}"
        )

    try:
        report = imports.run_job(job, work, commit, on_success)
    except Exception:
        job.slip_secret = None
        commit()
        raise
    if not report.ok:
        job.slip_secret = None
        commit()
    return report


def create_import_job(stream, filename: str, actor: User | None, import_dir: str) -> ImportJob:
    """Save an uploaded file under ``import_dir`` (streamed, not read into memory) and record the job."""
    suffix = Path(filename).suffix.lower()
    if suffix not in {".xlsx", ".csv"}:
        raise ImportFileError(_("只支持 .xlsx 或 .csv 文件，请下载模板填写。"))
    stored = imports.save_upload(stream, suffix, import_dir)
    job = ImportJob(
        created_by_id=actor.id if actor else None, filename=filename[:255], stored_path=str(stored)
    )
    db.session.add(job)
    db.session.flush()
    return job


def reveal_import_slips(job: ImportJob, actor: User) -> list[tuple[User, str]]:
    """The activation codes of the members ``job`` created, derived once more and never again: the
    secret is erased here. Members activated meanwhile or given a new code are left out."""
    # Locked and read afresh: two requests at once must not both see the secret.
    secret = db.session.scalars(
        sa.select(ImportJob.slip_secret).where(ImportJob.id == job.id).with_for_update()
    ).one()
    job.slip_secret = None
    job.slip_shown_at = utcnow()
    slips: list[tuple[User, str]] = []
    ids = job.created_user_ids or []
    if secret is not None:
        for start in range(0, len(ids), BATCH):
            members = db.session.scalars(
                sa.select(User).where(User.id.in_(ids[start : start + BATCH])).order_by(User.id)
            ).all()
            for member in members:
                code = derived_activation_code(secret, f"{job.id}:{member.employee_no}")
                if member.password_hash is None and member.activation_code_hash == hash_activation_code(code):
                    slips.append((member, code))
    audit.record(actor, "user.import.slips", job, f"查看导入 {job.filename} 的激活码单（{len(slips)} 人）")
    db.session.flush()
    return slips
