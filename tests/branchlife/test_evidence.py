"""Photos are re-encoded without EXIF (no GPS position survives) and get a thumbnail; files are
accepted by content, not by name."""

import io
import zipfile

import sqlalchemy as sa
from PIL import Image

from app.branchlife.models import MeetingFile
from app.branchlife.services import evidence
from app.extensions import db
from tests.branchlife.test_flow import plan


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 800), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_photos_lose_their_exif_and_files_are_checked_by_content(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600)
    login(people["secretary"])
    url = f"/branchlife/meetings/{meeting.id}/files"
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # the upload does carry a position
    response = client.post(url, data={"kind": "photo", "file": (io.BytesIO(original), "现场.jpg")})
    assert response.status_code == 302
    photo = db.session.scalars(sa.select(MeetingFile)).one()
    stored = Image.open(evidence.upload_dir() / photo.stored_name)
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert b"SpyCam" not in (evidence.upload_dir() / photo.stored_name).read_bytes()
    thumb = Image.open(evidence.upload_dir() / photo.thumb_name)
    assert max(thumb.size) <= 320
    shown = client.get(f"/branchlife/meetings/{meeting.id}/files/{photo.id}?thumb=1")
    assert shown.status_code == 200
    assert shown.mimetype == "image/jpeg"

    client.post(url, data={"kind": "file", "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "决议.pdf")})
    client.post(url, data={"kind": "photo", "file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.jpg")})
    client.post(url, data={"kind": "file", "file": (io.BytesIO(b"PK\x03\x04" + b"\x00" * 40), "x.docx")})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingFile)) == 1
    client.post(url, data={"kind": "file", "file": (io.BytesIO(docx()), "决议.docx")})
    client.post(url, data={"kind": "file", "file": (io.BytesIO(b"%PDF-1.7\n..."), "纪要.pdf")})
    kinds = db.session.scalars(sa.select(MeetingFile.content_type).order_by(MeetingFile.id)).all()
    assert kinds[1:] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/pdf",
    ]
    client.post("/logout")
    login(people["other_member"])
    assert client.get(f"/branchlife/meetings/{meeting.id}/files/{photo.id}").status_code == 403
