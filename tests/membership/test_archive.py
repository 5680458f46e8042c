"""党员档案: audited views and downloads, confidential parts, 403 for everyone else."""

import io
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from app.core.models import AuditEntry
from app.extensions import db
from app.membership.services import archive
from tests.helpers import config_set

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def upload_dir(app, tmp_path):
    with config_set(app, MEMBERSHIP_UPLOAD_DIR=str(tmp_path / "membership")):
        yield tmp_path / "membership"


@pytest.fixture
def filed(people, upload_dir):
    member, secretary = people["member"], people["secretary"]
    letter = archive.add_document(
        secretary, member, io.BytesIO(PDF), "申请书.pdf", "application", "application"
    )
    review = archive.add_document(secretary, member, io.BytesIO(PDF), "政审.pdf", "political_review")
    archive.add_entry(secretary, member, "review", date(2025, 12, 20), "优秀")
    archive.add_entry(secretary, member, "penalty", date(2025, 3, 1), "内部记录", confidential=True)
    db.session.commit()
    return {"letter": letter, "review": review}


def access_entries(member):
    return db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.target_type == "user",
            AuditEntry.target_id == member.id,
            AuditEntry.action.in_(archive.ACCESS_ACTIONS),
        )
    ).all()


def test_every_view_and_download_is_audited_and_the_coordinator_reads_it(people, filed, client, switch_to):
    member = people["member"]
    switch_to(people["secretary"])
    assert client.get(f"/membership/members/{member.id}/archive").status_code == 200
    response = client.get(f"/membership/documents/{filed['letter'].id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert [e.action for e in access_entries(member)] == ["archive.view", "archive.download"]
    switch_to(people["coordinator"])
    page = client.get(f"/membership/members/{member.id}/archive").get_data(as_text=True)
    assert "书记甲 下载了 张三 的入党申请书" in page
    assert "政审.pdf" in page
    assert "内部记录" in page
    api = client.get(f"/api/v1/members/{member.id}/archive").get_json()["data"]
    assert [a["action"] for a in api["access"]][:3] == ["archive.view", "archive.view", "archive.download"]


def test_the_member_sees_their_own_without_confidential_parts(people, filed, client, login):
    member = people["member"]
    login(member)
    page = client.get(f"/membership/members/{member.id}/archive").get_data(as_text=True)
    assert "申请书.pdf" in page
    assert "优秀" in page
    assert "政审.pdf" not in page
    assert "内部记录" not in page
    assert client.get(f"/membership/documents/{filed['review'].id}").status_code == 403
    assert client.get(f"/membership/documents/{filed['letter'].id}").status_code == 200
    assert (
        client.get("/membership/me").headers["Location"].endswith(f"/membership/members/{member.id}/archive")
    )


def test_another_member_is_refused_by_page_api_and_guessed_file_url(people, filed, client, login):
    member = people["member"]
    login(people["neighbour"])
    assert client.get(f"/membership/members/{member.id}/archive").status_code == 403
    assert client.get(f"/api/v1/members/{member.id}/archive").status_code == 403
    assert client.get(f"/membership/documents/{filed['letter'].id}").status_code == 403
    assert client.get("/membership/documents/999999").status_code == 404
    assert client.post(f"/membership/members/{member.id}/documents", data={}).status_code == 403
    assert access_entries(member) == []


def test_a_coordinator_of_another_subtree_is_refused(people, filed, client, login):
    login(people["other_coordinator"])
    assert client.get(f"/membership/members/{people['member'].id}/archive").status_code == 403
    with pytest.raises(Forbidden):
        archive.load_document(filed["letter"].id, people["other_coordinator"])


def test_documents_are_checked_by_content(people, upload_dir):
    secretary, member = people["secretary"], people["member"]
    for content in (b"<html><script>alert(1)</script>", b"", b"GIF89a...."):
        with pytest.raises(archive.ArchiveError):
            archive.add_document(secretary, member, io.BytesIO(content), "x.pdf", "other")
    with pytest.raises(archive.ArchiveError):
        archive.add_document(secretary, member, io.BytesIO(PDF), "x.pdf", "nonsense")
    document = archive.add_document(secretary, member, io.BytesIO(PDF), "../../evil<>.html", "other")
    assert document.content_type == "application/pdf"
    assert document.filename == "evil.html"


def test_uploading_on_the_page(people, client, login, upload_dir):
    member = people["member"]
    login(people["secretary"])
    url = f"/membership/members/{member.id}/documents"
    data = {"file": (io.BytesIO(PDF), "思想汇报.pdf"), "kind": "thought_report", "step_key": ""}
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    data = {"file": (io.BytesIO(b"<html>"), "x.html"), "kind": "other", "step_key": ""}
    response = client.post(url, data=data, content_type="multipart/form-data", follow_redirects=True)
    assert "只接受 PDF" in response.get_data(as_text=True)


def test_a_democratic_appraisal_grade_is_filed_in_the_archive(people):
    from app.core.signals import review_graded
    from app.membership.models import ArchiveEntry

    member = people["member"]
    review_graded.send("branchlife", member_id=member.id, year=2025, grade="qualified")
    review_graded.send("branchlife", member_id=member.id, year=2025, grade="excellent")  # re-graded
    review_graded.send("branchlife", member_id=member.id, year=2025, grade="nonsense")
    titles = list(
        db.session.scalars(sa.select(ArchiveEntry.title).where(ArchiveEntry.member_id == member.id))
    )
    assert titles == ["2025 年度民主评议：优秀"]
