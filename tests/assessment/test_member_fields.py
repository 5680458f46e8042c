"""Birth date and education (学历), which the statistics count: written by the member import and the
admin's member form, refused with a Chinese message when wrong."""

from datetime import date

from app.accounts.models import Education
from app.extensions import db
from tests.accounts.test_import import HEADER, imported, row, run_import, write_xlsx


def test_the_import_writes_birth_date_and_education(tmp_path, org_tree):
    rows = [HEADER, row(1, 出生日期="1985-03-15", 学历="硕士"), row(2)]
    report = run_import(write_xlsx(tmp_path / "m.xlsx", rows))
    assert report.ok, report.errors
    first, second = imported("IMP0001"), imported("IMP0002")
    assert (first.birth_date, first.education) == (date(1985, 3, 15), Education.MASTER)
    assert (second.birth_date, second.education) == (None, None)


def test_the_import_refuses_a_bad_birth_date_or_education(tmp_path, org_tree):
    rows = [HEADER, row(1, 出生日期="1985-13-01"), row(2, 学历="研究生"), row(3, 出生日期="2999-01-01")]
    report = run_import(write_xlsx(tmp_path / "m.xlsx", rows))
    assert not report.ok
    problems = {(e["row"], e["field"]): e["message"] for e in report.errors}
    assert "不是有效日期" in problems[(2, "出生日期")]
    assert "不是有效的学历" in problems[(3, "学历")]
    assert problems[(4, "出生日期")] == "出生日期不能晚于今天"
    assert imported("IMP0001") is None


def test_the_admin_form_sets_birth_date_and_education(client, login_as, org_tree, create_user):
    login_as("admin")
    member = create_user(branch=org_tree["a1"])
    form = {"employee_no": member.employee_no, "name": member.name, "mobile": member.mobile,
            "branch_id": org_tree["a1"].id, "roles": ["member"], "birth_date": "1990-05-04",
            "education": "doctor"}  # fmt: skip
    response = client.post(f"/users/{member.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.refresh(member)
    assert (member.birth_date, member.education) == (date(1990, 5, 4), Education.DOCTOR)
    page = client.get(f"/users/{member.id}").get_data(as_text=True)
    assert "博士" in page
    too_early = client.post(f"/users/{member.id}/edit", data={**form, "birth_date": "1890-01-01"})
    assert too_early.status_code == 422
