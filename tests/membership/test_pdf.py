"""Server-made PDFs: the 介绍信 and the whole archive, with Chinese text a reader can find."""

import io

from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from app.extensions import db
from app.membership.services import archive, letters
from tests.membership.test_archive import PDF, access_entries, filed, upload_dir  # noqa: F401 -- fixtures


def pdf_text(body: bytes) -> str:
    """Every page's text, as a reader's copy-and-paste gets it (the font carries its Unicode map)."""
    assert body.startswith(b"%PDF-")
    assert body.rstrip().endswith(b"%%EOF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_the_letter_as_a_pdf_names_the_member_in_chinese(people, client, login):
    letter = letters.issue_letter(people["secretary"], people["member"], "某市某区机关工委", "工作调离本单位")
    db.session.commit()
    login(people["secretary"])
    response = client.get(f"/membership/letters/{letter.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = response.get_data()
    assert b"/FontFile2" in body  # the Chinese font travels inside the file
    text = pdf_text(body)
    assert "中国共产党党员组织关系介绍信" in text
    assert "张三" in text
    assert letter.letter_no in text
    assert "某市某区机关工委" in text


def test_the_letter_pdf_is_closed_to_others(people, client, login):
    letter = letters.issue_letter(people["secretary"], people["member"], "某单位", "调离")
    db.session.commit()
    login(people["neighbour"])
    assert client.get(f"/membership/letters/{letter.id}/pdf").status_code == 403
    assert client.get("/membership/letters/999999/pdf").status_code == 404


def test_the_archive_exports_as_one_pdf_audited_with_scans_as_pages(people, filed, client, switch_to):  # noqa: F811
    member, secretary = people["member"], people["secretary"]
    scan = io.BytesIO()
    Image.new("RGB", (40, 60), "white").save(scan, "PNG")
    scan.seek(0)
    archive.add_document(secretary, member, scan, "志愿书.png", "volunteer_form")
    db.session.commit()
    switch_to(people["coordinator"])
    response = client.get(f"/membership/members/{member.id}/archive.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    body = response.get_data()
    text = pdf_text(body)
    for shown in ("张三", "党员档案", "申请书.pdf", "政审.pdf", "优秀", "内部记录", "志愿书.png"):
        assert shown in text, shown
    assert b"/Subtype /Image" in body  # the scan is a page of the PDF
    assert len(PdfReader(io.BytesIO(body)).pages) == 2  # the two stand-in PDFs have no pages to merge
    assert [e.action for e in access_entries(member)] == ["archive.export"]


def test_the_member_exports_their_own_without_confidential_parts(people, filed, client, login):  # noqa: F811
    member = people["member"]
    login(member)
    text = pdf_text(client.get(f"/membership/members/{member.id}/archive.pdf").get_data())
    assert "申请书.pdf" in text
    assert "优秀" in text
    assert "政审.pdf" not in text
    assert "内部记录" not in text


def test_another_member_cannot_export_an_archive(people, filed, client, switch_to):  # noqa: F811
    for outsider in (people["neighbour"], people["other_coordinator"]):
        switch_to(outsider)
        assert client.get(f"/membership/members/{people['member'].id}/archive.pdf").status_code == 403
    assert access_entries(people["member"]) == []


def _uploaded_pdf(*pages: str, password: str | None = None) -> io.BytesIO:
    """A real PDF with one line of text on each page (and encrypted with ``password``)."""
    out = io.BytesIO()
    sheet = canvas.Canvas(out)
    for text in pages:
        sheet.drawString(72, 720, text)
        sheet.showPage()
    sheet.save()
    if password is None:
        out.seek(0)
        return out
    writer = PdfWriter(clone_from=io.BytesIO(out.getvalue()))
    writer.encrypt(password)
    locked = io.BytesIO()
    writer.write(locked)
    locked.seek(0)
    return locked


def _export(client, member) -> bytes:
    response = client.get(f"/membership/members/{member.id}/archive.pdf")
    assert response.status_code == 200
    return response.get_data()


def test_the_export_merges_the_uploaded_pdfs_after_the_summary(people, upload_dir, client, login):  # noqa: F811
    member, secretary = people["member"], people["secretary"]
    archive.add_document(
        secretary, member, _uploaded_pdf("ALPHA-PAGE-1", "ALPHA-PAGE-2"), "申请书.pdf", "application"
    )
    archive.add_document(secretary, member, _uploaded_pdf("BETA-PAGE-1"), "思想汇报.pdf", "thought_report")
    db.session.commit()
    login(secretary)
    body = _export(client, member)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]
    summary = len(pages) - 3
    assert summary >= 1
    assert [p.strip() for p in pages[summary:]] == ["ALPHA-PAGE-1", "ALPHA-PAGE-2", "BETA-PAGE-1"]
    assert not any("PAGE" in p for p in pages[:summary])
    text = pdf_text(body)
    for shown in ("党员档案", "申请书.pdf（附后）", "思想汇报.pdf（附后）"):
        assert shown in text, shown


def test_a_corrupt_or_encrypted_pdf_is_listed_with_a_note_never_a_500(people, upload_dir, client, login):  # noqa: F811
    member, secretary = people["member"], people["secretary"]
    archive.add_document(secretary, member, io.BytesIO(PDF), "坏的.pdf", "other")
    archive.add_document(secretary, member, _uploaded_pdf("SECRET", password="s3cret"), "加密.pdf", "other")
    archive.add_document(secretary, member, _uploaded_pdf("GOOD-PAGE"), "好的.pdf", "other")
    truncated = _uploaded_pdf("CUT-PAGE").getvalue()
    archive.add_document(secretary, member, io.BytesIO(truncated[: len(truncated) // 2]), "半截.pdf", "other")
    db.session.commit()
    login(secretary)
    body = _export(client, member)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]
    assert pages[-1].strip() == "GOOD-PAGE"
    assert not any("SECRET" in p for p in pages)
    text = pdf_text(body)
    assert "加密.pdf（文件已加密，未并入）" in text
    assert "好的.pdf（附后）" in text
    assert "坏的.pdf（文件损坏，未并入）" in text
    assert "半截.pdf（文件损坏，未并入）" in text
