"""Labels of kinds, statuses, categories and choices follow the reader's language, while what is
written once for everyone (spreadsheet templates and exports, search tags) stays in Chinese."""

import io

from openpyxl import load_workbook

from app.accounts.models import BranchPosition, Gender, MemberCategory
from app.extensions import db
from app.quiz import bank


def english(client):
    client.post("/lang/en", data={"next": "/"})


def test_a_members_profile_labels_are_english_in_the_english_locale(client, login_as, org_tree):
    member = login_as("member", branch=org_tree["a1"])
    member.gender, member.category = Gender.FEMALE, MemberCategory.ACTIVIST
    member.position = BranchPosition.SECRETARY
    db.session.commit()
    assert "入党积极分子" in client.get("/account").get_data(as_text=True)
    english(client)
    page = client.get("/account").get_data(as_text=True)
    assert "Female" in page
    assert "Party activist" in page
    assert "Secretary" in page
    assert "入党积极分子" not in page


def test_question_kinds_and_choices_are_english_but_the_export_stays_chinese(client, login_as):
    trainer = login_as("trainer")
    bank.create_question(bank.clean_question("single", "题干一", ["甲", "乙"], "A", "", 2), trainer)
    db.session.commit()
    english(client)
    assert "Single choice" in client.get("/quiz/bank").get_data(as_text=True)
    form = client.get("/quiz/manage/new").get_data(as_text=True)
    assert "Fairly easy" in form
    assert "Any" in form
    rows = list(load_workbook(io.BytesIO(client.get("/quiz/bank/export.xlsx").data)).active.values)
    assert rows[1][0] == "单选题"  # the file's vocabulary: it imports again whatever the page's language


def test_the_member_import_template_keeps_its_chinese_vocabulary(client, login_as, org_tree):
    login_as("coordinator", branch=org_tree["a"])
    english(client)
    notes = load_workbook(io.BytesIO(client.get("/users/import/template.xlsx").data)).worksheets[1]
    values = [row[1] for row in notes.iter_rows(values_only=True)]
    assert "男、女" in values
    assert "书记、副书记、委员、党员" in values


def test_home_sections_and_branch_kinds_are_english(client, login_as, org_tree):
    login_as("admin")
    english(client)
    assert "System overview" in client.get("/").get_data(as_text=True)
    assert "Party branch" in client.get("/org/branches").get_data(as_text=True)
