"""The category is the workflow's result: 入党申请人 from the 申请入党 step, a bulk import's category as
a baseline entry on the development file, and no admin form that writes it."""

from datetime import date

import sqlalchemy as sa

from app.accounts.importing import COLUMNS, import_members
from app.accounts.models import MemberCategory, User
from app.core.models import AuditEntry
from app.extensions import db
from app.membership.models import CategoryBaseline
from app.membership.services import development as dev
from tests.accounts.test_import import row, write_xlsx


def test_the_application_step_makes_an_applicant_shown_in_lists_and_stats(people, client, login):
    member = people["member"]
    dev.record_step(people["secretary"], member, "application", date(2026, 6, 1))
    db.session.commit()
    assert member.category == MemberCategory.APPLICANT
    assert member.category_label == "入党申请人"

    login(people["admin"])
    listed = client.get("/users?category=applicant").get_data(as_text=True)
    assert member.name in listed
    assert people["neighbour"].name not in listed
    assert '<option value="applicant" selected' in listed
    assert client.get("/users?category=nonsense").status_code == 200  # filters nothing, no 500
    stats = client.get("/org/branches").get_data(as_text=True)
    assert "入党申请人" in stats


def test_the_activist_step_replaces_the_applicant_category(people):
    member = people["member"]
    for key, day in (("application", date(2026, 1, 5)), ("talk", date(2026, 1, 20))):
        dev.record_step(people["secretary"], member, key, day)
    dev.record_step(people["secretary"], member, "activist", date(2026, 2, 1))
    db.session.commit()
    assert member.category == MemberCategory.ACTIVIST


def _import(tmp_path, rows, actor):
    path = write_xlsx(tmp_path / "m.xlsx", [COLUMNS, *rows])
    report = import_members(path, path.name, actor)
    assert report.ok, report.errors
    db.session.commit()
    db.session.expire_all()
    return report


def _member(employee_no) -> User:
    return db.session.scalars(sa.select(User).where(User.employee_no == employee_no)).one()


def test_an_import_sets_the_category_through_an_audited_baseline_entry(tmp_path, people, client, login):
    admin = people["admin"]
    _import(
        tmp_path, [row(1, 人员类别="预备党员"), row(2, 人员类别="入党申请人"), row(3, 人员类别="")], admin
    )
    first, second, third = _member("IMP0001"), _member("IMP0002"), _member("IMP0003")
    assert (first.category, second.category, third.category) == (
        MemberCategory.PROBATIONARY,
        MemberCategory.APPLICANT,
        None,
    )
    baseline = db.session.scalars(
        sa.select(CategoryBaseline).where(CategoryBaseline.member_id == first.id)
    ).one()
    assert (baseline.category, baseline.source, baseline.recorded_by_id) == (
        MemberCategory.PROBATIONARY,
        "import",
        admin.id,
    )
    audits = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.target_type == "user", AuditEntry.target_id == first.id)
    ).all()
    assert "development.baseline" in audits
    assert "user.category" in audits
    assert not db.session.scalars(
        sa.select(CategoryBaseline).where(CategoryBaseline.member_id == third.id)
    ).all()

    login(admin)
    page = client.get(f"/membership/members/{first.id}/development").get_data(as_text=True)
    assert "导入时的既有身份" in page
    assert "预备党员" in page

    # The same file again records nothing new; a changed category adds a second baseline.
    _import(tmp_path, [row(1, 人员类别="预备党员")], admin)
    _import(tmp_path, [row(1, 人员类别="正式党员")], admin)
    assert _member("IMP0001").category == MemberCategory.FULL
    assert (
        len(
            db.session.scalars(
                sa.select(CategoryBaseline).where(CategoryBaseline.member_id == first.id)
            ).all()
        )
        == 2
    )


def test_an_import_does_not_overrule_a_development_file(tmp_path, people):
    member = people["member"]
    dev.record_step(people["secretary"], member, "application", date(2026, 6, 1))
    db.session.commit()
    _import(
        tmp_path,
        [row(9, 工号=member.employee_no, 姓名=member.name, 手机号=member.mobile, 人员类别="正式党员")],
        None,
    )
    assert _member(member.employee_no).category == MemberCategory.APPLICANT
    assert not db.session.scalars(
        sa.select(CategoryBaseline).where(CategoryBaseline.member_id == member.id)
    ).all()


def _form(member, **extra):
    return {
        "employee_no": member.employee_no,
        "name": "张三改",
        "mobile": member.mobile,
        "branch_id": member.branch_id,
        "roles": ["member"],
        **extra,
    }


def test_the_admin_form_no_longer_changes_the_category(people, client, login):
    member = people["member"]
    member.category = MemberCategory.ACTIVIST
    db.session.commit()
    login(people["admin"])
    url = f"/users/{member.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="category"' not in page
    assert "入党积极分子" in page  # shown, with a link to the development file
    assert client.post(url, data=_form(member, category="full")).status_code == 302
    db.session.refresh(member)
    assert member.name == "张三改"
    assert member.category == MemberCategory.ACTIVIST


def test_creating_an_account_cannot_type_a_category(people, client, login):
    login(people["admin"])
    page = client.get("/users/new").get_data(as_text=True)
    assert 'name="category"' not in page
    data = {
        "employee_no": "NEW1",
        "name": "新人",
        "mobile": "13912345678",
        "branch_id": people["tree"]["a1"].id,
        "roles": ["member"],
        "category": "full",
        "password": "Str0ng-pass-123",
    }
    assert client.post("/users/new", data=data).status_code == 302
    assert _member("NEW1").category is None
