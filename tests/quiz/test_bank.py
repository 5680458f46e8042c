"""The question bank: trainers write, edit, preview and retire questions; answers are tolerant."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.core.models import AuditEntry
from app.extensions import db
from app.quiz import bank, play
from app.quiz.grading import AnswerError, is_correct, normalize_text, parse_response
from app.quiz.models import Question, QuestionGrant, QuestionKind
from tests.helpers import count


def form(**overrides):
    data = {
        "kind": "single",
        "stem": "党的根本宗旨是？",
        "option_a": "全心全意为人民服务",
        "option_b": "发展经济",
        "option_c": "",
        "answer": "a",
        "explanation": "见党章总纲",
        "difficulty": 2,
        "tags": "党章，宗旨",
        "category": "党章",
        "source": "",
    }
    return {**data, **overrides}


def test_a_trainer_writes_previews_edits_and_retires_a_question(login_as, client):
    trainer = login_as("trainer")
    response = client.post("/quiz/bank/new", data=form())
    assert response.status_code == 302, response.get_data(as_text=True)
    question = db.session.scalar(sa.select(Question))
    assert (question.kind, question.options, question.answer, question.tags) == (
        QuestionKind.SINGLE,
        ["全心全意为人民服务", "发展经济"],
        "A",
        "党章,宗旨",
    )
    preview = client.get(f"/quiz/bank/{question.id}").get_data(as_text=True)
    assert "全心全意为人民服务" in preview
    assert "见党章总纲" in preview
    response = client.post(f"/quiz/bank/{question.id}/edit", data=form(answer="B", explanation="改过"))
    assert response.status_code == 302
    db.session.refresh(question)
    assert question.answer == "B"
    assert client.post(f"/quiz/bank/{question.id}/retire").status_code == 302
    db.session.refresh(question)
    assert question.is_retired
    assert play.draw_questions(5) == []
    assert "党的根本宗旨" not in client.get("/quiz/bank").get_data(as_text=True)
    assert "党的根本宗旨" in client.get("/quiz/bank?retired=1").get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == trainer.id)).all()
    assert actions == ["quiz.question_create", "quiz.question_update", "quiz.question_retire"]


def test_form_errors_and_duplicates_are_refused_with_a_message(login_as, client):
    login_as("trainer")
    response = client.post("/quiz/bank/new", data=form(answer="C"))
    assert response.status_code == 422
    assert "答案「C」不在选项 A、B 中" in response.get_data(as_text=True)
    client.post("/quiz/bank/new", data=form())
    response = client.post("/quiz/bank/new", data=form(stem=" 党的根本宗旨是？ "))
    assert response.status_code == 422
    assert "题库中已有相同的题目" in response.get_data(as_text=True)
    assert count(Question) == 1


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_others_cannot_touch_the_bank(login_as, client, role):
    login_as(role)
    for url in ("/quiz/bank", "/quiz/bank/new", "/quiz/bank/export.xlsx"):
        assert client.get(url).status_code == 403


def test_fill_in_answers_tolerate_width_spacing_and_case():
    question = Question(kind=QuestionKind.FILL, answer=["共产主义", "ABC 123"], options=[])
    for given in ("共产主义", " 共产 主义。", "ａｂｃ１２３", "abc 123"):
        assert is_correct(question, parse_response(question, given, None)), given
    assert not is_correct(question, parse_response(question, "社会主义", None))
    assert normalize_text("Ｈｅｌｌｏ　Ｗｏｒｌｄ！") == "helloworld"


def test_shuffled_options_are_answered_in_the_keys_shown():
    question = Question(kind=QuestionKind.MULTIPLE, options=["甲", "乙", "丙", "丁"], answer=["A", "C"])
    order = [2, 0, 3, 1]  # shown: 丙 甲 丁 乙
    assert is_correct(question, parse_response(question, ["A", "B"], order))
    assert is_correct(question, parse_response(question, "ba", order))
    assert not is_correct(question, parse_response(question, ["A"], order))
    with pytest.raises(AnswerError):
        parse_response(question, "E", order)
    truth = Question(kind=QuestionKind.TRUE_FALSE, options=[], answer=False)
    assert is_correct(truth, parse_response(truth, "错", None))
    assert is_correct(truth, parse_response(truth, False, None))


def test_clean_question_rules():
    with pytest.raises(bank.QuestionError, match="单选题只能有一个正确答案"):
        bank.clean_question("单选", "题", ["甲", "乙"], "AB")
    with pytest.raises(bank.QuestionError, match="选项有重复"):
        bank.clean_question("多选", "题", ["甲", "甲 "], "AB")
    with pytest.raises(bank.QuestionError, match="至少需要一个参考答案"):
        bank.clean_question("填空", "题", [], " | ")
    assert bank.clean_question("判断题", "题", [], "×").answer is False


# --- finding 9: questions have owners -----------------------------------------------------------

FORBIDDEN = "只有题目的作者、获授权共同编辑的讲师或管理员可以修改这道题"


def exported_stems(client) -> list[str]:
    response = client.get("/quiz/bank/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    return [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]


def authored(trainer, n, category="党章"):
    fields = bank.clean_question(
        "single", f"{trainer.name}的第{n}题？", ["甲", "乙"], "A", f"解析{n}号", 3, "", category
    )
    question = bank.create_question(fields, trainer)
    db.session.commit()
    return question


@pytest.fixture
def two_trainers(create_user):
    return create_user("trainer", name="作者甲"), create_user("trainer", name="旁人乙")


def test_finding9_a_trainer_cannot_edit_retire_or_export_another_trainers_question(
    client, login, two_trainers
):
    owner, other = two_trainers
    question = authored(owner, 1)
    assert question.owner_id == owner.id
    login(other)
    for response in (
        client.get(f"/quiz/bank/{question.id}/edit"),
        client.post(f"/quiz/bank/{question.id}/edit", data=form(answer="B")),
        client.post(f"/quiz/bank/{question.id}/retire"),
    ):
        assert response.status_code == 403
        assert FORBIDDEN in response.get_data(as_text=True)
    db.session.refresh(question)
    assert (question.answer, question.is_retired) == ("A", False)
    preview = client.get(f"/quiz/bank/{question.id}").get_data(as_text=True)
    assert question.stem in preview  # the stem, to pick it for a quiz; never the answer or the 解析
    assert "解析1号" not in preview
    assert f"/quiz/bank/{question.id}/edit" not in preview
    assert question.stem not in exported_stems(client)
    response = client.get(f"/quiz/bank/{question.id}/edit", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert FORBIDDEN in response.get_json()["errors"][0]["message"]


def test_finding9_the_owner_grants_a_category_and_the_grantee_co_edits_only_that(client, login, two_trainers):
    owner, other = two_trainers
    shared, private = authored(owner, 1, "党章"), authored(owner, 2, "党史")
    login(owner)
    response = client.post("/quiz/bank/grants", data={"category": "党章", "grantee": other.employee_no})
    assert response.status_code == 302
    client.post("/logout")
    login(other)
    assert client.post(f"/quiz/bank/{shared.id}/edit", data=form(answer="B")).status_code == 302
    assert client.post(f"/quiz/bank/{private.id}/retire").status_code == 403
    assert exported_stems(client) == ["党的根本宗旨是？"]  # the shared one, as edited; not the private one
    # The grantee cannot pass the grant on, nor grant the owner's other categories.
    response = client.post(
        "/quiz/bank/grants",
        data={"category": "党史", "grantee": other.employee_no, "owner": owner.employee_no},
    )
    assert response.status_code == 403
    assert client.post(f"/quiz/bank/{private.id}/retire").status_code == 403
    client.post("/logout")
    login(owner)
    grant = db.session.scalar(sa.select(QuestionGrant))
    assert client.post(f"/quiz/bank/grants/{grant.id}/revoke").status_code == 302
    client.post("/logout")
    login(other)
    assert client.post(f"/quiz/bank/{shared.id}/retire").status_code == 403


def test_finding9_admins_edit_everything_and_grant_for_an_owner(client, login_as, two_trainers):
    owner, other = two_trainers
    mine = authored(owner, 1)
    orphan = make_orphan()
    login_as("admin")
    assert client.post(f"/quiz/bank/{orphan.id}/retire").status_code == 302
    assert client.post(f"/quiz/bank/{mine.id}/retire").status_code == 302
    response = client.post(
        "/quiz/bank/grants",
        data={"category": "党章", "grantee": other.employee_no, "owner": owner.employee_no},
    )
    assert response.status_code == 302
    assert bank.can_edit_question(other, mine)
    assert not bank.can_edit_question(other, orphan)  # questions of unknown origin stay with admins


def test_finding9_grants_go_to_trainers_only(client, login, two_trainers, create_user):
    owner, _other = two_trainers
    member = create_user("member")
    login(owner)
    response = client.post("/quiz/bank/grants", data={"category": "党章", "grantee": member.employee_no})
    assert response.status_code == 422
    assert "只能授权给讲师" in response.get_data(as_text=True)
    response = client.post("/quiz/bank/grants", data={"category": "党章", "grantee": "NOSUCH"})
    assert response.status_code == 422
    assert count(QuestionGrant) == 0


def make_orphan():
    fields = bank.clean_question("true_false", "来历不明的题？", [], "正确")
    question = bank.create_question(fields, None)
    db.session.commit()
    return question
