"""PDF certificates: the Chinese font is embedded, the serial verifies on the public page, a reversed
entry revokes the certificate, and nobody downloads what is not theirs to see."""

import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.accounts.models import ImportJob
from app.core.clock import localtoday, utcnow
from app.core.models import AuditEntry
from app.extensions import db
from app.records import certificates, manual, services
from app.records.models import Certificate
from app.records.tasks import sweep_proof_exports
from courses.models import Enrollment
from tests.helpers import config_set


def _complete(member, course):
    db.session.add(Enrollment(course_id=course.id, user_id=member.id, source="self", completed_at=utcnow()))
    db.session.flush()


@pytest.fixture
def world(create_user, org_tree, make_course):
    trainer = create_user("trainer", branch=org_tree["a1"])
    coordinator = create_user("coordinator", branch=org_tree["a"])
    member = create_user(branch=org_tree["a1"], name="张晓明")
    course = make_course(trainer, title="党史学习教育")
    _complete(member, course)
    lesson = services.append_entry(
        member,
        hours=Decimal("2.50"),
        source_kind="lesson",
        source_ref="lesson:9001",
        actor=None,
        reason="完成课时",
        occurred_at=utcnow(),
        course_id=course.id,
        title="第一讲",
    )
    meeting = manual.credit_manual_hours(member, Decimal("1.5"), "参加主题党日", coordinator)
    db.session.commit()
    return {
        "member": member,
        "trainer": trainer,
        "coordinator": coordinator,
        "course": course,
        "lesson": lesson,
        "meeting": meeting,
        "org": org_tree,
        "create_user": create_user,
    }


def pdf_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return response.data


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) is not installed")
def test_the_certificate_embeds_a_chinese_font(client, login, world, tmp_path):
    login(world["member"])
    body = pdf_of(client, f"/records/members/{world['member'].id}/certificates/{world['course'].id}.pdf")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(body)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    embedded = [row for row in rows if "yes" in row[-5:-3] and re.search(r"WenQuanYi|CJK|Hei|Ming", row[0])]
    assert embedded, listing
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("\n", "")  # lines wrap where the page does
    assert "党史学习教育" in text
    assert "张晓明" in text
    assert "2.50" in text


def test_the_verification_page_confirms_a_real_serial_and_refuses_an_altered_one(client, login, world):
    login(world["member"])
    pdf_of(client, f"/records/members/{world['member'].id}/certificates/{world['course'].id}.pdf")
    certificate = db.session.scalars(sa.select(Certificate)).one()
    assert re.fullmatch(r"HK(-[2-9A-HJ-NP-Z]{5}){4}", certificate.serial)
    client.post("/logout")  # the page is public
    page = client.get(f"/verify/{certificate.serial}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "证书有效" in text
    assert "张*明" in text
    assert "张晓明" not in text
    assert "党史学习教育" in text
    assert "2.50" in text
    # Typed from the paper in lower case without dashes: the same certificate.
    assert client.get(f"/verify/{certificate.serial.replace('-', '').lower()}").status_code == 200
    last = certificate.serial[-1]
    altered = certificate.serial[:-1] + ("2" if last != "2" else "3")
    refused = client.get(f"/verify/{altered}")
    assert refused.status_code == 404
    assert "查无此证书" in refused.get_data(as_text=True)
    assert client.get("/verify/not-a-serial").status_code == 404


def test_the_verification_link_on_the_paper_starts_with_the_site_url(app, client, login, world):
    login(world["member"])
    with config_set(app, SITE_URL="https://dangxiao.example.cn/"):
        body = pdf_of(client, f"/records/members/{world['member'].id}/certificates/{world['course'].id}.pdf")
    certificate = db.session.scalars(sa.select(Certificate)).one()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).replace("\n", "")
    assert f"https://dangxiao.example.cn/verify/{certificate.serial}" in text
    assert "http://localhost/" not in text


def test_asking_again_gives_the_same_serial(client, login, world):
    login(world["member"])
    url = f"/records/members/{world['member'].id}/certificates/{world['course'].id}.pdf"
    pdf_of(client, url)
    pdf_of(client, url)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_reversing_the_entry_revokes_the_certificate(client, login, world):
    member = world["member"]
    year = localtoday().year
    login(member)
    pdf_of(client, f"/records/members/{member.id}/certificates/{world['course'].id}.pdf")
    pdf_of(client, f"/records/members/{member.id}/proof/{year}.pdf")
    course_cert, proof = db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()
    assert proof.hours == Decimal("4.00")
    client.post("/logout")
    login(world["coordinator"])
    response = client.post(f"/records/entries/{world['lesson'].id}/reverse", data={"reason": "重复计入"})
    assert response.status_code == 302
    db.session.expire_all()
    assert course_cert.is_revoked
    assert proof.is_revoked
    assert course_cert.revoked_reason == "重复计入"
    page = client.get(f"/verify/{course_cert.serial}").get_data(as_text=True)
    assert "该证书已撤销" in page
    assert "证书有效" not in page
    # Nothing left of the course's hours: no new course certificate; the year's proof is reissued.
    client.post("/logout")
    login(member)
    refused = client.get(f"/records/members/{member.id}/certificates/{world['course'].id}.pdf")
    assert refused.status_code == 409
    assert "已被冲销" in refused.get_data(as_text=True)
    pdf_of(client, f"/records/members/{member.id}/proof/{year}.pdf")
    newest = db.session.scalars(sa.select(Certificate).order_by(Certificate.id.desc()).limit(1)).one()
    assert newest.id != proof.id
    assert newest.hours == Decimal("1.50")
    assert not newest.is_revoked


def test_an_entry_after_the_certificate_does_not_revoke_it(world):
    member, coordinator = world["member"], world["coordinator"]
    proof = certificates.issue_annual_proof(member, localtoday().year)
    later = manual.credit_manual_hours(member, Decimal("1"), "专题学习", coordinator)
    services.reverse_entry(later, "录错了", coordinator)
    db.session.commit()
    db.session.refresh(proof)
    assert not proof.is_revoked


def test_a_member_cannot_download_another_members_certificate(client, login, world):
    other = world["create_user"](branch=world["org"]["a1"])
    login(other)
    member = world["member"]
    assert (
        client.get(f"/records/members/{member.id}/certificates/{world['course'].id}.pdf").status_code == 403
    )
    assert client.get(f"/records/members/{member.id}/proof/{localtoday().year}.pdf").status_code == 403
    assert (
        client.get(f"/records/branches/{world['org']['a1'].id}/proof/{localtoday().year}.zip").status_code
        == 403
    )
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_a_course_not_completed_has_no_certificate(client, login, world, make_course):
    login(world["member"])
    course = make_course(world["trainer"], title="未学课程")
    response = client.get(f"/records/members/{world['member'].id}/certificates/{course.id}.pdf")
    assert response.status_code == 404
    assert "尚未完成该课程" in response.get_data(as_text=True)
    assert client.get(f"/records/members/{world['member'].id}/proof/1999.pdf").status_code == 404


def _start_export(client, branch, year):
    response = client.post(f"/records/branches/{branch.id}/proof/{year}/export")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def test_a_coordinator_gets_the_branch_bundle_of_their_subtree_from_a_background_export(
    app, client, login, world
):
    year = localtoday().year
    colleague = world["create_user"](branch=world["org"]["a2"], name="李红")
    manual.credit_manual_hours(colleague, Decimal("3"), "党课", world["coordinator"])
    world["create_user"](branch=world["org"]["a2"], name="没有学时")
    db.session.commit()
    login(world["coordinator"])
    start = client.get(f"/records/branches/{world['org']['a'].id}/proof/{year}/export")
    assert "生成学时证明压缩包" in start.get_data(as_text=True)
    status_page = _start_export(client, world["org"]["a"], year)  # the worker runs eagerly in tests
    page = client.get(status_page)
    assert page.status_code == 200
    assert "下载压缩包" in page.get_data(as_text=True)
    status = client.get(status_page + "?format=json").get_json()["data"]
    assert status["status"] == "done"
    assert status["finished"] is True
    assert (status["processed"], status["total"]) == (4, 4)  # two certificates issued, then rendered

    response = client.get(status_page + "/download")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(archive.namelist())
    assert len(names) == 2  # one PDF per member with hours; the member without hours has none
    assert any("张晓明" in n for n in names)
    assert any("李红" in n for n in names)
    assert all(n.endswith(".pdf") and archive.read(n).startswith(b"%PDF") for n in names)
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 2
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.actor_id == world["coordinator"].id)
    )
    assert {"hours.branch_proofs_export", "hours.branch_proofs_download"} <= set(actions)


def test_the_old_bundle_address_leads_to_the_new_flow(client, login, world):
    year = localtoday().year
    login(world["coordinator"])
    response = client.get(f"/records/branches/{world['org']['a'].id}/proof/{year}.zip")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/records/branches/{world['org']['a'].id}/proof/{year}/export"
    )


def test_nobody_else_sees_or_downloads_a_coordinators_export(client, login, world):
    year = localtoday().year
    login(world["coordinator"])
    status_page = _start_export(client, world["org"]["a"], year)
    client.post("/logout")
    # Another subtree's coordinator: neither the export, nor starting one for that branch.
    outsider = world["create_user"]("coordinator", branch=world["org"]["b"])
    login(outsider)
    assert client.get(status_page).status_code == 403
    assert client.get(status_page + "?format=json").status_code == 403
    assert client.get(status_page + "/download").status_code == 403
    assert client.post(f"/records/branches/{world['org']['a'].id}/proof/{year}/export").status_code == 403
    assert client.get(f"/records/branches/{world['org']['a1'].id}/proof/{year}.zip").status_code == 403
    client.post("/logout")
    # A member: 403 everywhere.
    login(world["member"])
    assert client.get(status_page).status_code == 403
    assert client.get(status_page + "/download").status_code == 403
    assert client.post(f"/records/branches/{world['org']['a1'].id}/proof/{year}/export").status_code == 403
    assert client.get("/records/proof-exports/999999").status_code == 403
    client.post("/logout")
    login(world["coordinator"])
    assert client.get("/records/proof-exports/999999").status_code == 404


def test_a_branch_without_hours_says_so_instead_of_an_empty_zip(client, login, world):
    login(world["coordinator"])
    status_page = _start_export(client, world["org"]["a2"], localtoday().year)
    text = client.get(status_page).get_data(as_text=True)
    assert "没有成员取得学时" in text
    assert client.get(status_page + "/download").status_code == 404


def test_an_expired_zip_is_swept_and_says_so(app, client, login, world):
    login(world["coordinator"])
    status_page = _start_export(client, world["org"]["a"], localtoday().year)
    job = db.session.scalars(sa.select(ImportJob).where(ImportJob.kind == "branch_proofs")).one()
    path = Path(job.stored_path)
    assert path.is_file()
    assert sweep_proof_exports.apply().get() == 0  # fresh: kept
    job.finished_at = utcnow() - timedelta(hours=app.config["PROOF_EXPORT_HOURS"] + 1)
    db.session.commit()
    assert sweep_proof_exports.apply().get() == 1
    assert not path.exists()
    response = client.get(status_page + "/download")
    assert response.status_code == 410
    assert "已过期" in response.get_data(as_text=True)
    assert "请重新生成" in client.get(status_page).get_data(as_text=True)


def test_a_file_no_export_points_to_is_swept_once_as_old(app):
    folder = Path(app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    fresh, stale = folder / "proofs-1-fresh.part", folder / "proofs-2-stale.part"
    fresh.write_bytes(b"PK")
    stale.write_bytes(b"PK")
    old = (utcnow() - timedelta(hours=app.config["PROOF_EXPORT_HOURS"] + 1)).timestamp()
    os.utime(stale, (old, old))
    sweep_proof_exports.apply().get()
    assert fresh.exists()
    assert not stale.exists()
    fresh.unlink()


@pytest.mark.parametrize(
    ("name", "masked"), [("张晓明", "张*明"), ("王芳", "王*"), ("欧阳娜娜", "欧**娜"), ("李", "李"), ("", "")]
)
def test_names_are_masked(name, masked):
    assert certificates.mask_name(name) == masked


def test_serials_are_unguessable_and_distinct():
    serials = {certificates.new_serial() for _n in range(2000)}
    assert len(serials) == 2000
    assert all(certificates.normalise_serial(s) == s for s in list(serials)[:50])
