"""Checking the rows of a member import: every problem of every row, by spreadsheet row number.

The importer (:mod:`app.accounts.importing`) reads the file and writes the members; this module
decides which rows are valid. Column names are the template's (the file's vocabulary).
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import CATEGORY_NAMES, EDUCATION_NAMES, GENDER_NAMES, POSITION_NAMES, User
from app.accounts.services import EMPLOYEE_NO_RE, MOBILE_RE, normalize_mobile
from app.core import spreadsheets
from app.core.clock import utcnow
from app.extensions import db
from app.org.models import Branch
from app.org.services import branch_tree, can_manage_branch, resolve_branch_reference

# The template's words for each choice: Chinese, as the template is, whatever the page's language.
_CATEGORY_BY_LABEL = {v: k for k, v in CATEGORY_NAMES.items()}
_POSITION_BY_LABEL = {v: k for k, v in POSITION_NAMES.items()}
_GENDER_BY_LABEL = {v: k for k, v in GENDER_NAMES.items()}
_EDUCATION_BY_LABEL = {v: k for k, v in EDUCATION_NAMES.items()}


def parse_date(text: str) -> date:
    text = text.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").replace("日", "")
    return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


@dataclass
class MemberRow:
    number: int
    employee_no: str
    name: str
    mobile: str
    branch: Branch
    gender: str | None
    category: str | None
    joined_party_on: date | None
    position: str | None
    birth_date: date | None = None
    education: str | None = None


class RowChecker:
    """Checks rows one at a time against the database (read once) and the rows before them."""

    def __init__(self, header_index: dict[str, int], actor: User | None, errors: list[dict]):
        self.header_index, self.actor, self.errors = header_index, actor, errors
        self.branches = branch_tree()
        self.branch_by_id = {b.id: b for b in self.branches}
        #: Employee number → (user id, mobile, branch id) of everyone already in the system.
        self.existing = {
            employee_no: (uid, mobile, branch_id)
            for uid, employee_no, mobile, branch_id in db.session.execute(
                sa.select(User.id, User.employee_no, User.mobile, User.branch_id)
            )
        }
        self.mobile_owner = {mobile: no for no, (_uid, mobile, _b) in self.existing.items() if mobile}
        self.seen_employee: dict[str, int] = {}
        self.seen_mobile: dict[str, int] = {}
        self.resolved: dict[str, Branch | list[Branch] | None] = {}

    def error(self, number: int, column: str, message: str) -> None:
        self.errors.append({"row": number, "field": column, "message": message})

    def get(self, row: list[str], column: str) -> str:
        index = self.header_index.get(column)
        return row[index].strip() if index is not None and index < len(row) and row[index] else ""

    def may_update(self, employee_no: str) -> bool:
        """A coordinator may re-import only people already in their subtree (or new people)."""
        actor = self.actor
        if actor is None or actor.is_admin or employee_no not in self.existing:
            return True
        branch = self.branch_by_id.get(self.existing[employee_no][2])
        return branch is not None and can_manage_branch(actor, branch)

    def check(self, number: int, row: list[str]) -> MemberRow | None:
        """The row as a member to write, or None when it has problems (each one recorded)."""
        errors_before = len(self.errors)
        employee_no, name = self.get(row, "工号"), self.get(row, "姓名")
        mobile = normalize_mobile(self.get(row, "手机号")) or ""
        self.check_employee_no(number, employee_no)
        self.check_name(number, name)
        self.check_mobile(number, mobile, employee_no)
        branch = self.check_branch(number, self.get(row, "所属组织"))
        choices = {
            column: self.check_choice(number, column, self.get(row, column), mapping)
            for column, mapping in (
                ("性别", _GENDER_BY_LABEL),
                ("人员类别", _CATEGORY_BY_LABEL),
                ("党内职务", _POSITION_BY_LABEL),
                ("学历", _EDUCATION_BY_LABEL),
            )
        }
        joined = self.check_day(number, "入党日期", self.get(row, "入党日期"))
        born = self.check_day(number, "出生日期", self.get(row, "出生日期"))
        if len(self.errors) != errors_before:
            return None
        return MemberRow(
            number,
            employee_no,
            name,
            mobile,
            branch,
            choices["性别"],
            choices["人员类别"],
            joined,
            choices["党内职务"],
            born,
            choices["学历"],
        )

    def check_employee_no(self, number: int, employee_no: str) -> None:
        if not employee_no:
            self.error(number, "工号", _("工号不能为空"))
        elif not EMPLOYEE_NO_RE.match(employee_no):
            self.error(
                number,
                "工号",
                _(
                    "工号「%(employee_no)s」只能包含字母、数字、下划线或连字符，最长 32 位",
                    employee_no=employee_no,
                ),
            )
        elif employee_no in self.seen_employee:
            self.error(
                number,
                "工号",
                _(
                    "工号 %(employee_no)s 在文件中重复（与第 %(seen_employee)s 行）",
                    employee_no=employee_no,
                    seen_employee=self.seen_employee[employee_no],
                ),
            )
        else:
            self.seen_employee[employee_no] = number
            if not self.may_update(employee_no):
                self.error(
                    number,
                    "工号",
                    _(
                        "工号 %(employee_no)s 是您管辖范围以外的成员，不能通过导入修改",
                        employee_no=employee_no,
                    ),
                )

    def check_name(self, number: int, name: str) -> None:
        if not name:
            self.error(number, "姓名", _("姓名不能为空"))
        elif len(name) > 64:
            self.error(number, "姓名", _("姓名不能超过 64 个字"))
        elif spreadsheets.starts_like_formula(name):
            self.error(number, "姓名", _("姓名不能以 =、+、-、@、制表符或回车开头"))

    # The repeat-in-file branch is alike in shape to check_employee_no's: own column, words and sequel.
    def check_mobile(self, number: int, mobile: str, employee_no: str) -> None:
        if not mobile:
            self.error(number, "手机号", _("手机号不能为空"))
        elif not MOBILE_RE.match(mobile):
            self.error(
                number, "手机号", _("手机号「%(mobile)s」格式不正确，应为 11 位大陆手机号", mobile=mobile)
            )
        elif mobile in self.seen_mobile:
            self.error(
                number,
                "手机号",
                _(
                    "手机号 %(mobile)s 在文件中重复（与第 %(seen_mobile)s 行）",
                    mobile=mobile,
                    seen_mobile=self.seen_mobile[mobile],
                ),
            )
        else:
            self.seen_mobile[mobile] = number
            owner = self.mobile_owner.get(mobile)
            if owner is not None and owner != employee_no:
                self.error(
                    number,
                    "手机号",
                    _("手机号 %(mobile)s 已被工号 %(owner)s 使用", mobile=mobile, owner=owner),
                )

    def check_branch(self, number: int, branch_ref: str) -> Branch | None:
        if not branch_ref:
            self.error(number, "所属组织", _("所属组织不能为空"))
            return None
        if branch_ref not in self.resolved:
            self.resolved[branch_ref] = resolve_branch_reference(branch_ref, self.branches)
        found = self.resolved[branch_ref]
        if found is None:
            self.error(number, "所属组织", _("找不到组织「%(branch_ref)s」", branch_ref=branch_ref))
        elif isinstance(found, list):
            self.error(
                number,
                "所属组织",
                _(
                    "有多个组织名为「%(branch_ref)s」，请填写完整路径，如「上级组织/%(branch_ref)s」",
                    branch_ref=branch_ref,
                ),
            )
        elif self.actor is not None and not can_manage_branch(self.actor, found):
            self.error(number, "所属组织", _("您无权向「%(branch_ref)s」导入成员", branch_ref=branch_ref))
        else:
            return found
        return None

    def check_choice(self, number: int, column: str, text: str, mapping: dict) -> str | None:
        if text and text not in mapping:
            self.error(
                number,
                column,
                _(
                    "「%(text)s」不是有效的%(column)s，可选：%(choices)s",
                    text=text,
                    column=column,
                    choices="、".join(mapping),
                ),
            )
        return mapping.get(text).value if text in mapping else None

    def check_day(self, number: int, column: str, text: str) -> date | None:
        """A date column (入党日期, 出生日期): empty, or a valid day no later than today."""
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            self.error(number, column, _("「%(text)s」不是有效日期，请写成 2010-07-01", text=text))
            return None
        if day > utcnow().date():
            self.error(number, column, _("%(column)s不能晚于今天", column=column))
        return day


def check_rows(rows: list[list[str]], header_index: dict[str, int], actor: User | None, errors: list[dict]):
    """The valid rows and the existing members by employee number; problems go to ``errors``."""
    checker = RowChecker(header_index, actor, errors)
    valid = []
    for offset, row in enumerate(rows):
        if any(cell.strip() for cell in row):
            member = checker.check(offset + 2, row)  # spreadsheet row number: the header is row 1
            if member is not None:
                valid.append(member)
    return valid, checker.existing
